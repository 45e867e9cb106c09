import { checkoutOutputs } from "../../ops/checkout_outputs.ts";
import { ReportedFailure } from "../../util/errors.ts";
import { plural } from "../../util/format_bytes.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printNotOverwritten } from "../print_not_overwritten.ts";
import { printProblem } from "../print_list.ts";
import { untilStopped } from "../stop_signals.ts";

/** `pivot checkout`: restores outputs and tracked paths from the cache. */
export async function checkoutAction(
  ctx: CliContext,
  targets: string[],
  options: CheckoutFlags,
): Promise<void> {
  await untilStopped(ctx, "the checkout", (signal) => checkout(ctx, targets, options, signal));
}

/** Options of `pivot checkout`. */
interface CheckoutFlags {
  all?: true;
  force?: true;
  onlyMissing?: true;
  relink?: true;
  checkoutMode?: string;
}

async function checkout(
  ctx: CliContext,
  targets: string[],
  options: CheckoutFlags,
  signal: AbortSignal,
): Promise<void> {
  await using session = await openForCommand(ctx, {
    signal,
    all: options.all ?? false,
    pipelinesOptional: "if-none",
    showWarnings: false,
    checkoutMode: options.checkoutMode,
  });
  const report = await checkoutOutputs(session, {
    targets,
    force: options.force ?? false,
    onlyMissing: options.onlyMissing ?? false,
    relink: options.relink ?? false,
    signal,
  });
  for (const { hash, movedTo } of report.corrupt) {
    ctx.warn(
      `the cached content ${hash} had been edited in place (through a hardlinked copy?); moved it aside to ${movedTo} in the cache`,
    );
  }
  if (!ctx.quiet()) {
    for (const item of report.restored) ctx.stdout(`restored ${item.label}\n`);
    for (const item of report.relinked) ctx.stdout(`relinked ${item.label}\n`);
    if (ctx.verbose()) {
      for (const item of report.upToDate) ctx.stdout(`up to date ${item.label}\n`);
      for (const item of report.skipped) ctx.stdout(`skipped ${item.label}\n`);
    }
    const parts = [
      report.restored.length > 0 ? `${report.restored.length} restored` : null,
      report.relinked.length > 0 ? `${report.relinked.length} relinked` : null,
      report.upToDate.length > 0 ? `${report.upToDate.length} up to date` : null,
      report.skipped.length > 0 ? `${report.skipped.length} skipped (present)` : null,
      targets.length === 0 && report.notRun.length > 0
        ? `${plural(report.notRun.length, "stage")} not run yet`
        : null,
      report.absentNotCached.length > 0
        ? `${report.absentNotCached.length} missing and not cached (run the stage: pivot repro ${
          [...new Set(report.absentNotCached.map((item) => item.stage))].join(" ")
        })`
        : null,
    ].filter((part) => part !== null);
    const considered = report.restored.length + report.relinked.length +
      report.upToDate.length +
      report.skipped.length + report.modified.length + report.missing.length;
    if (parts.length > 0) ctx.stdout(`${parts.join(", ")}\n`);
    else if (considered === 0 && targets.length === 0 && report.problems.length === 0) {
      ctx.stdout("nothing to check out: no cached output is recorded and nothing is tracked\n");
    }
  }
  if (report.modified.length > 0) {
    printNotOverwritten(
      ctx,
      report.modified,
      "pass --force to overwrite (the workspace content is lost), --only-missing to leave existing paths alone, or keep the change with 'pivot commit' / 'pivot track --force'",
    );
  }
  if (report.missing.length > 0) {
    printProblem(
      ctx,
      `${plural(report.missing.length, "path")} cannot be restored: content missing from the cache`,
      report.missing.map((item) => item.label),
      "run 'pivot pull' to fetch it from a remote, or 'pivot repro' to produce a stage output again",
    );
  }
  if (targets.length > 0 && report.notRun.length > 0) {
    printProblem(
      ctx,
      `nothing recorded to restore for ${report.notRun.join(", ")}: no lock file with ${
        report.notRun.length === 1 ? "that output" : "those outputs"
      }`,
      [],
      `run 'pivot repro ${report.notRun.join(" ")}' to produce ${
        report.notRun.length === 1 ? "it" : "them"
      }`,
    );
  }
  if (report.notCached.length > 0) {
    printProblem(
      ctx,
      `not cached (cache: false), so not restorable: ${report.notCached.join(", ")}`,
      [],
      "re-run the stage to produce it",
    );
  }
  if (report.problems.length > 0) {
    printProblem(ctx, "unreadable tracking files were skipped", report.problems);
  }
  if (!report.complete) throw new ReportedFailure("checkout incomplete");
}
