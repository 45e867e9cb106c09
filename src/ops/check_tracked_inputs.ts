/**
 * The check `repro` and `run` make before running anything: every tracked
 * input of the selected stages matches its `.pvt`, so a lock never records
 * content that the `.pvt` and the cache do not hold. `status`, `verify` and
 * `--dry-run` report the same mismatches as the reason a stage cannot run.
 *
 * @module
 */
import * as path from "node:path";
import type { Project } from "../project/open_project.ts";
import type { Session } from "../session/mod.ts";
import { dataPathFor } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import type { PreciseStat } from "../util/precise_stat.ts";
import { relativePosix } from "../util/paths.ts";
import { shellQuote } from "../util/shell_quote.ts";
import { hasRemote } from "./choose_remote.ts";
import { trackedInputsOf } from "./tracked_inputs.ts";
import {
  describeSharedEdit,
  sharedEditFix,
  type TrackedState,
  trackedStatus,
} from "./tracked_status.ts";

/** A tracked input that does not match its `.pvt`, with the stages that read it. */
export interface TrackedInputMismatch {
  /** How it differs (its status is never `unchanged`). */
  readonly state: TrackedState;
  /** DAG names of the selected stages that read it. */
  readonly readers: readonly string[];
}

/**
 * The tracked inputs of `stages` that are modified, missing or have an
 * unreadable `.pvt`: what {@linkcode checkTrackedInputs} refuses. `known`
 * are tracked paths the caller compared already (`trackedStatus`), so they
 * are not compared (nor warned about) again; the rest are compared here.
 * `stats` looks for the `.pvt` files that could track them (see
 * `trackedInputsOf`).
 */
export async function trackedInputMismatches(
  session: Session,
  stages: readonly string[],
  known: readonly TrackedState[] = [],
  stats: PreciseStat = session.stats,
): Promise<TrackedInputMismatch[]> {
  const { project } = session;
  const inputs = trackedInputsOf(project, stages, stats);
  if (inputs.size === 0) return [];
  const readers = new Map(
    [...inputs].map(([pvt, names]) => [relativePosix(project.root, dataPathFor(pvt)), names]),
  );
  const knownInputs = known.filter((state) => readers.has(state.path));
  const states = knownInputs.length === readers.size
    ? knownInputs
    : await trackedStatus(session, { stages });
  return states.filter((state) => state.status !== "unchanged")
    .map((state) => ({ state, readers: readers.get(state.path)! }));
}

/**
 * Why a stage reading `mismatches` cannot run, as `status` says it:
 * `tracked input does not match its .pvt file: data/raw.csv (modified)`;
 * `details` are the lines of the error {@linkcode checkTrackedInputs} throws.
 */
export function trackedInputsReason(
  project: Project,
  mismatches: readonly TrackedInputMismatch[],
): { reason: string; details: string[] } {
  const shown = (state: TrackedState) => shownPath(project, state);
  return {
    reason: `${mismatchPhrase(mismatches.length)}: ${
      mismatches.map(({ state }) =>
        `${shown(state)} (${state.status === "unreadable" ? "unreadable .pvt file" : state.status})`
      ).join(", ")
    }`,
    details: mismatches.map(({ state, readers }) =>
      `${shown(state)} (read by ${readers.join(", ")}): ${problemOf(state)}`
    ),
  };
}

/**
 * Checks every tracked input of `stages` against its `.pvt` (looked for
 * with `stats`, see `trackedInputsOf`).
 *
 * @throws {PivotError} listing each tracked input that is modified, missing
 *   or has an unreadable `.pvt`, with the stages reading it, and a hint with
 *   the commands that fix each (in backticks: the paths may be shell-quoted)
 */
export async function checkTrackedInputs(
  session: Session,
  stages: readonly string[],
  stats: PreciseStat = session.stats,
): Promise<void> {
  const { project } = session;
  const mismatches = await trackedInputMismatches(session, stages, [], stats);
  if (mismatches.length === 0) return;
  const bad = mismatches.map(({ state }) => state);
  const shown = (state: TrackedState) => shownPath(project, state);
  const { details: items } = trackedInputsReason(project, mismatches);
  const paths = (test: (state: TrackedState) => boolean) =>
    bad.filter(test).map((state) => shellQuote(shown(state))).join(" ");
  const hints: string[] = [];
  // Edited through a hardlink another path shares: recording it would record an accident.
  for (const state of bad) {
    if (state.sharedEdit !== undefined) hints.push(sharedEditFix(shellQuote(shown(state))));
  }
  const edited = (s: TrackedState) => s.status === "modified" && s.sharedEdit === undefined;
  const back = paths((s) => edited(s) && s.cached);
  const lost = paths((s) => edited(s) && !s.cached);
  const restorable = paths((s) => s.status === "missing" && s.cached);
  const gone = paths((s) => s.status === "missing" && !s.cached);
  const unreadable = paths((s) => s.status === "unreadable");
  const remote = hasRemote(project.config);
  if (back !== "") {
    // The workspace content is in the cache too (a version switched by `git pull` or `git
    // checkout`): restoring loses nothing. Otherwise it was edited here, and only --force
    // restores, losing the edit: recording it comes first.
    const plain = paths((s) => edited(s) && s.cached && s.workspaceCached === true);
    const forced = paths((s) => edited(s) && s.cached && s.workspaceCached !== true);
    if (plain !== "") {
      hints.push(
        `\`pivot checkout ${plain}\` restores what the .pvt file records (as after a \`git pull\` or \`git checkout\`), or \`pivot track --force ${plain}\` records the workspace's content instead`,
      );
    }
    if (forced !== "") {
      hints.push(
        `\`pivot track --force ${forced}\` records the workspace's content, or \`pivot checkout --force ${forced}\` restores what the .pvt file records (discarding the workspace's content, which no cache holds)`,
      );
    }
  }
  if (lost !== "") {
    hints.push(
      remote
        ? `\`pivot pull ${lost}\` fetches what the .pvt file records (the newer version after a \`git pull\`), or \`pivot track --force ${lost}\` records the workspace's content instead`
        : `\`pivot track --force ${lost}\` records the workspace's content (the recorded version is in no cache here; a remote with it, 'pivot remote add', lets \`pivot pull ${lost}\` fetch it)`,
    );
  }
  if (restorable !== "") hints.push(`restore with \`pivot checkout ${restorable}\``);
  if (gone !== "") {
    hints.push(
      remote
        ? `fetch with \`pivot pull ${gone}\`, or run \`pivot repro --pull\``
        : `put ${gone} back by hand: the cache does not hold the recorded content, and no remote is configured to pull it from`,
    );
  }
  if (unreadable !== "") {
    hints.push(
      `restore the .pvt file from git, or record the data again with \`pivot track --force ${unreadable}\``,
    );
  }
  throw new PivotError(
    `${mismatchPhrase(bad.length)}, so nothing was run:\n${
      items.map((item) => `  ${item}`).join("\n")
    }`,
    { hint: hints.join("; ") },
  );
}

/** `tracked input does not match its .pvt file`, or `2 tracked inputs do not match their .pvt files`. */
function mismatchPhrase(count: number): string {
  return count === 1
    ? "tracked input does not match its .pvt file"
    : `${count} tracked inputs do not match their .pvt files`;
}

/** A tracked path as a command run in the current directory takes it. */
function shownPath(project: Project, state: TrackedState): string {
  return relativePosix(project.cwd, path.join(project.root, state.path));
}

function problemOf(state: TrackedState): string {
  if (state.sharedEdit !== undefined) return describeSharedEdit(state.sharedEdit);
  const lost = state.cached ? "" : ", and the cache does not hold its recorded content";
  switch (state.status) {
    case "modified":
    case "missing":
      return `${state.status}${lost}`;
    case "unreadable":
      return "its .pvt file cannot be read, see the warning above";
    case "unchanged":
      return "unchanged";
  }
}
