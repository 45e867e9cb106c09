import { fetchCache } from "../../ops/fetch_cache.ts";
import { pushCache } from "../../ops/push_cache.ts";
import { ReportedFailure } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { untilStopped } from "../stop_signals.ts";
import { printTransferReport, withTransferDisplay } from "../transfer_display.ts";

/** Options of `pivot push` and `pivot fetch` (and, with its own, of `pivot pull`). */
export interface TransferFlags {
  all?: true;
  remote?: string;
  jobs?: number;
  dryRun?: true;
  index: boolean;
  json?: true;
}

/** `pivot push` and `pivot fetch` (`direction`): the transfer, its progress and its summary. */
export async function transferAction(
  ctx: CliContext,
  direction: "push" | "fetch",
  targets: string[],
  options: TransferFlags,
): Promise<void> {
  await untilStopped(
    ctx,
    `the ${direction}`,
    (signal) => transfer(ctx, direction, targets, options, signal),
  );
}

async function transfer(
  ctx: CliContext,
  direction: "push" | "fetch",
  targets: string[],
  options: TransferFlags,
  signal: AbortSignal,
): Promise<void> {
  await using session = await openForCommand(ctx, {
    signal,
    all: options.all ?? false,
    pipelinesOptional: "if-none",
    showWarnings: false,
  });
  const json = options.json ?? false;
  const run = direction === "push" ? pushCache : fetchCache;
  const report = await withTransferDisplay(ctx, json, (onEvent) =>
    run(session, {
      targets,
      remote: options.remote,
      jobs: options.jobs,
      dryRun: options.dryRun ?? false,
      useIndex: options.index,
      onEvent,
      signal,
    }));
  if (printTransferReport(ctx, report, json)) {
    throw new ReportedFailure(`${direction} incomplete`);
  }
}
