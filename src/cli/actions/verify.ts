import * as path from "node:path";
import { trackedPasses, type VerifyResult, verifyStages } from "../../ops/verify_stages.ts";
import type { TrackedState } from "../../ops/tracked_status.ts";
import { verifyRecorded } from "../../ops/verify_recorded.ts";
import { plural } from "../../util/format_bytes.ts";
import { ReportedFailure, UsageError } from "../../util/errors.ts";
import { relativePosix } from "../../util/paths.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printJson } from "../print_json.ts";
import { outputProblemLine, trackedProblem } from "../problem_lines.ts";
import { hasRemote } from "../../ops/choose_remote.ts";

/** `pivot verify`: fails unless every stage is up to date with its outputs cached and tracked paths match. */
export async function verifyAction(
  ctx: CliContext,
  targets: string[],
  options: {
    all?: true;
    allowMissing?: true;
    remote?: string;
    index: boolean;
    json?: true;
  },
): Promise<void> {
  const allowMissing = options.allowMissing ?? false;
  if (!allowMissing && (options.remote !== undefined || !options.index)) {
    throw new UsageError(
      `${
        options.remote === undefined ? "--no-index" : "-r/--remote"
      } applies only with --allow-missing`,
    );
  }
  await using session = await openForCommand(ctx, {
    all: options.all ?? false,
    pipelinesOptional: "if-none",
  });
  const { project } = session;
  const result: VerifyResult & { remote?: string; local?: number; remoteOnly?: number } =
    allowMissing
      ? await verifyRecorded(session, {
        targets,
        remote: options.remote,
        useIndex: options.index,
      })
      : await verifyStages(session, { targets });
  const { stages: reports, tracked } = result;
  const badTracked = tracked.filter((t) => !trackedPasses(t, allowMissing));
  const passed = reports.every((r) => r.passed) && badTracked.length === 0;
  if (options.json) printJson(ctx, { passed, ...result });
  else if (!ctx.quiet()) {
    const lines = reports.flatMap((r) =>
      r.passed ? [`ok     ${r.stage}`] : [
        `FAILED ${r.stage}: ${r.reason}`,
        ...r.outputs.map((o) => `    ${outputProblemLine(o)}`),
      ]
    );
    for (const item of badTracked) {
      const shown = relativePosix(project.cwd, path.join(project.root, item.path));
      lines.push(
        `FAILED tracked ${item.path}: ${
          trackedLine(item, shown, {
            remote: result.remote,
            pullable: hasRemote(project.config),
          })
        }`,
      );
    }
    const failed = reports.filter((r) => !r.passed).length;
    const content = result.remote === undefined
      ? ""
      : `; content: ${plural(result.local ?? 0, "blob")} in the cache, ${
        result.remoteOnly ?? 0
      } only on remote '${result.remote}'`;
    lines.push(
      passed
        ? `verification passed: ${plural(reports.length, "stage")} up to date${
          allowMissing ? " as recorded" : ""
        }${content}`
        : failedLine(failed, reports.length, badTracked.length, tracked.length),
    );
    ctx.stdout(`${lines.join("\n")}\n`);
  }
  if (!passed) throw new ReportedFailure("verification failed");
}

/**
 * What is wrong with a tracked path; with `remote` (the remote
 * `--allow-missing` looked at), content the remote holds is no problem;
 * `pullable`: a remote is configured.
 */
function trackedLine(
  state: TrackedState,
  shown: string,
  options: { readonly remote: string | undefined; readonly pullable: boolean },
): string {
  const { remote, pullable } = options;
  if (remote !== undefined && state.onRemote === false) {
    return `content in neither the local cache nor remote '${remote}'; push it from a clone that has it, or record the data again with 'pivot track --force ${shown}'`;
  }
  return trackedProblem(state, shown, { pullable }) ?? "";
}

/**
 * `verification failed: 1 of 2 stages, 1 of 1 tracked path`; what failed
 * only, so a run whose stages all passed says so rather than "0 of 4 stages":
 * `verification failed: 1 of 1 tracked path (4 stages passed)`.
 */
function failedLine(failed: number, stages: number, badTracked: number, tracked: number): string {
  const parts = [
    ...(failed > 0 ? [`${failed} of ${plural(stages, "stage")}`] : []),
    ...(badTracked > 0 ? [`${badTracked} of ${plural(tracked, "tracked path")}`] : []),
  ];
  const passed = failed === 0 && stages > 0 ? ` (${plural(stages, "stage")} passed)` : "";
  return `verification failed: ${parts.join(", ")}${passed}`;
}
