/**
 * `repro --pull` and `run --pull`: the pull before the run, its progress and
 * its summary.
 *
 * @module
 */
import { pullForRepro } from "../ops/pull_for_repro.ts";
import type { Session } from "../session/mod.ts";
import { ReportedFailure } from "../util/errors.ts";
import { formatBytes, plural } from "../util/format_bytes.ts";
import type { CliContext } from "./cli_context.ts";
import { printProblem } from "./print_list.ts";
import { withTransferDisplay } from "./transfer_display.ts";

/**
 * Pulls what the coming run can restore, shows it (`pulled 5 blobs (1.2 KiB)
 * and 1 run-cache entry from 'origin': 2 stages restore instead of running`,
 * or a `pull` JSON line) and stops the command when a download failed.
 *
 * @throws {ReportedFailure} after listing the blobs that failed to download
 */
export async function pullBeforeRun(
  ctx: CliContext,
  session: Session,
  options: {
    readonly targets: readonly string[];
    readonly mode: "repro" | "run";
    readonly force: boolean;
    readonly remote: string | undefined;
    readonly json: boolean;
    /** Stops the pull (see `TransferOptions.signal`). */
    readonly signal: AbortSignal;
  },
): Promise<void> {
  const { json } = options;
  const report = await withTransferDisplay(
    ctx,
    json,
    (onEvent) => pullForRepro(session, { ...options, onEvent }),
  );
  if (json) {
    ctx.stdout(`${JSON.stringify({ type: "pull", ...report })}\n`);
  } else if (!ctx.quiet()) {
    const entries = report.entries === 0
      ? ""
      : ` and ${plural(report.entries, "run-cache entry", "run-cache entries")}`;
    const lines = [
      `pulled ${plural(report.transferred, "blob")} (${
        formatBytes(report.bytes)
      })${entries} from '${report.remote}': ${
        plural(report.stages.length, "stage")
      } to restore instead of running`,
      ...report.tracked.map((item) => `restored tracked input ${item}`),
    ];
    if (ctx.verbose()) {
      for (const { stage, from } of report.stages) {
        lines.push(`  ${stage}: ${from === "lock" ? "as its lock records" : "from the run cache"}`);
      }
    }
    ctx.stdout(`${lines.join("\n")}\n`);
  }
  for (const failure of report.entryFailures) {
    ctx.warn(`cannot use the run-cache entry ${failure.entry}: ${failure.reason}`);
  }
  if (report.failed.length > 0) {
    printProblem(
      ctx,
      `${
        plural(report.failed.length, "blob")
      } failed to download (remote '${report.remote}'), so nothing was run`,
      report.failed.map((f) => `${f.label} (${f.hash}): ${f.reason}`),
      "fix the cause and run the command again (what was pulled stays), or leave out --pull to run the stages",
    );
    throw new ReportedFailure("pull incomplete");
  }
}
