/**
 * How `status` and `verify` describe what needs a repair: an output of an
 * up-to-date stage missing from the workspace or from the cache, and a
 * tracked path that does not match its `.pvt`, each with the command that
 * fixes it.
 *
 * @module
 */
import { describeSharedEdit, sharedEditFix, type TrackedState } from "../ops/tracked_status.ts";
import type { OutputProblem } from "../ops/stage_status.ts";
import { shellQuote } from "../util/shell_quote.ts";

/**
 * `train:model → data/ml/train/model.json: missing, restorable: pivot checkout train:model`,
 * or `…: content missing from the cache; 'pivot commit train' (or repro) re-caches it from the workspace`,
 * or (`verify --allow-missing`) `…: content in neither the local cache nor the remote; …`.
 */
export function outputProblemLine(problem: OutputProblem): string {
  const label = `${problem.identity} → ${problem.path}`;
  switch (problem.status) {
    case "missing":
      return `${label}: missing, restorable: ${problem.fix}`;
    case "uncached":
      return `${label}: content missing from the cache; '${problem.fix}' (or repro) re-caches it from the workspace`;
    case "lost":
      return `${label}: content in neither the local cache nor the remote; push it from a clone that has it, or produce it again with '${problem.fix}'`;
  }
}

/**
 * What is wrong with a tracked path and how to fix it (``modified; `pivot
 * checkout data.csv` restores …``), or `null` when nothing is: `shown` is
 * the path as a command run here takes it; `pullable`: a remote is
 * configured to pull recorded content from. Commands that hold a path stand
 * in backticks (the path may be shell-quoted: `'my data.csv'`).
 */
export function trackedProblem(
  state: TrackedState,
  shown: string,
  options: { readonly pullable: boolean },
): string | null {
  const arg = shellQuote(shown);
  const lost = ", and the cache does not hold its recorded content";
  const record = `\`pivot track --force ${arg}\` records the workspace's content`;
  switch (state.status) {
    case "unchanged":
      return state.cached
        ? null
        : `content missing from the cache; \`pivot track ${arg}\` re-caches it from the workspace`;
    case "modified":
      if (state.sharedEdit !== undefined) {
        return `${describeSharedEdit(state.sharedEdit)}; ${sharedEditFix(arg)}`;
      }
      if (state.cached) {
        // Only --force restores content the cache lacks, and it loses the edit: record first.
        return state.workspaceCached
          ? `modified; \`pivot checkout ${arg}\` restores what its .pvt file records, ${record}`
          : `modified; ${record}, \`pivot checkout --force ${arg}\` restores what its .pvt file records (discarding it)`;
      }
      return options.pullable
        ? `modified${lost}; \`pivot pull ${arg}\` fetches it (the newer version after a \`git pull\`), ${record}`
        : `modified${lost}; ${record}`;
    case "missing":
      return state.cached ? `missing, restorable: pivot checkout ${arg}` : `missing${lost}`;
    case "unreadable":
      return "its .pvt file cannot be read";
  }
}
