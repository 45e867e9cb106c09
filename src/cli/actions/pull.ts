import { pullOutputs } from "../../ops/pull_outputs.ts";
import { ReportedFailure } from "../../util/errors.ts";
import { plural } from "../../util/format_bytes.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printNotOverwritten } from "../print_not_overwritten.ts";
import { printProblem } from "../print_list.ts";
import { untilStopped } from "../stop_signals.ts";
import type { TransferFlags } from "./push.ts";
import { printTransferReport, withTransferDisplay } from "../transfer_display.ts";

/** Options of `pivot pull`: a fetch's, and the checkout's. */
interface PullFlags extends TransferFlags {
  force?: true;
  checkoutMode?: string;
}

/** `pivot pull`: fetches from a remote, then checks out what was fetched. */
export async function pullAction(
  ctx: CliContext,
  targets: string[],
  options: PullFlags,
): Promise<void> {
  await untilStopped(ctx, "the pull", (signal) => pull(ctx, targets, options, signal));
}

async function pull(
  ctx: CliContext,
  targets: string[],
  options: PullFlags,
  signal: AbortSignal,
): Promise<void> {
  await using session = await openForCommand(ctx, {
    signal,
    all: options.all ?? false,
    pipelinesOptional: "if-none",
    showWarnings: false,
    checkoutMode: options.checkoutMode,
  });
  const json = options.json ?? false;
  const report = await withTransferDisplay(ctx, json, (onEvent) =>
    pullOutputs(session, {
      targets,
      remote: options.remote,
      jobs: options.jobs,
      dryRun: options.dryRun ?? false,
      useIndex: options.index,
      onEvent,
      force: options.force ?? false,
      signal,
    }));
  let failed = printTransferReport(ctx, report.fetch, json);
  const checkout = report.checkout;
  if (checkout === null) {
    if (failed) ctx.stderr("nothing was checked out\n");
    if (failed) throw new ReportedFailure("pull incomplete");
    return;
  }
  if (json) {
    ctx.stdout(
      `${
        JSON.stringify({
          type: "checkout",
          restored: checkout.restored.map((item) => item.label),
          up_to_date: checkout.upToDate.length,
          modified: checkout.modified.map((item) => item.label),
          missing: checkout.missing.map((item) => item.label),
        })
      }\n`,
    );
  } else if (!ctx.quiet()) {
    for (const item of checkout.restored) ctx.stdout(`restored ${item.label}\n`);
    ctx.stdout(
      `${checkout.restored.length} restored, ${checkout.upToDate.length} up to date\n`,
    );
  }
  if (checkout.modified.length > 0) {
    failed = true;
    printNotOverwritten(
      ctx,
      checkout.modified,
      "pass --force to overwrite (the workspace content is lost), or keep the change with 'pivot commit' / 'pivot track --force'",
    );
  }
  if (checkout.missing.length > 0) {
    failed = true;
    printProblem(
      ctx,
      `${plural(checkout.missing.length, "path")} cannot be restored: content missing`,
      checkout.missing.map((item) => item.label),
    );
  }
  if (failed) throw new ReportedFailure("pull incomplete");
}
