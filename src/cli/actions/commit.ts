import { commitStages } from "../../ops/commit_stages.ts";
import { ReportedFailure } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printProblem } from "../print_list.ts";
import { untilStopped } from "../stop_signals.ts";

/** `pivot commit`: records the workspace's outputs of stale stages without running them. */
export async function commitAction(
  ctx: CliContext,
  stages: string[],
  options: { all?: true },
): Promise<void> {
  const reports = await untilStopped(ctx, "the commit", async (signal) => {
    await using session = await openForCommand(ctx, { all: options.all ?? false, signal });
    return await commitStages(session, { targets: stages, signal });
  });
  const committed = reports.filter((r) => r.status === "committed");
  const failed = reports.filter((r) => r.status === "failed");
  if (!ctx.quiet()) {
    for (const r of committed) ctx.stdout(`committed ${r.stage} (${r.reason})\n`);
    ctx.stdout(
      committed.length === 0 && failed.length === 0
        ? "nothing to commit: every stage is up to date\n"
        : `${committed.length} committed${failed.length > 0 ? `, ${failed.length} failed` : ""}\n`,
    );
  }
  if (failed.length > 0) {
    // Each kind of failure has its own fix; the same fix is given once.
    const hints = [...new Set(failed.flatMap((r) => r.hint === null ? [] : [r.hint]))];
    printProblem(
      ctx,
      `${failed.length} stage${failed.length === 1 ? "" : "s"} could not be committed`,
      failed.map((r) => `${r.stage}: ${r.reason}`),
      ...(hints.length === 0 ? [] : [hints.join("; ")]),
    );
    throw new ReportedFailure("commit failed");
  }
}
