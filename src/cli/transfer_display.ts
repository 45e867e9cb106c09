/**
 * Showing transfers: a progress line on a terminal, JSON Lines with
 * `--json`, and plain summary lines (`pushed 12 blobs (3.4 MiB), 88 already
 * there, 0 failed`) plus every failure with its reason.
 *
 * @module
 */
import type { TransferEvent, TransferReport } from "../ops/transfer_report.ts";
import { formatBytes, plural } from "../util/format_bytes.ts";
import type { CliContext } from "./cli_context.ts";
import { printProblem } from "./print_list.ts";
import { wantsLiveDisplay } from "./run_display.ts";

/** A sink for transfer events; call `close()` when the transfer ends. */
interface TransferDisplay {
  readonly onEvent: (event: TransferEvent) => void;
  readonly close: () => void;
}

/**
 * Runs a transfer, `work`, showing its events as they come (JSON Lines with
 * `json`, a live line on a terminal, else only `-v` detail lines), the live
 * line cleared once it ends, however it ends.
 */
export async function withTransferDisplay<T>(
  ctx: CliContext,
  json: boolean,
  work: (onEvent: (event: TransferEvent) => void) => Promise<T>,
): Promise<T> {
  const display = createTransferDisplay(ctx, { json, live: wantsLiveDisplay(ctx) });
  try {
    return await work(display.onEvent);
  } finally {
    display.close();
  }
}

/** A display: JSON Lines, a live line (`live`), or only `-v` detail lines. */
function createTransferDisplay(
  ctx: CliContext,
  options: { readonly json: boolean; readonly live: boolean },
): TransferDisplay {
  if (options.json) {
    return { onEvent: (event) => ctx.stdout(`${JSON.stringify(event)}\n`), close: () => {} };
  }
  const live = options.live && !ctx.quiet();
  let shown = false;
  const clear = () => {
    if (shown) ctx.stdout("\r\x1b[2K");
    shown = false;
  };
  return {
    onEvent(event) {
      if (ctx.verbose() && event.type === "retry") {
        clear();
        ctx.stderr(
          `retrying ${event.what} in ${event.delay_ms} ms (attempt ${event.attempt} failed: ${event.reason})\n`,
        );
      }
      if (ctx.verbose() && event.type === "blob" && event.status === "transferred") {
        clear();
        ctx.stdout(`${event.hash} ${event.label}\n`);
      }
      if (live && event.type === "progress") {
        const bytes = event.bytes_total === null
          ? formatBytes(event.bytes_done)
          : `${formatBytes(event.bytes_done)}/${formatBytes(event.bytes_total)}`;
        const failed = event.blobs_failed > 0 ? `, ${event.blobs_failed} failed` : "";
        ctx.stdout(
          `\r\x1b[2K[${event.blobs_done}/${event.blobs_total}] ${bytes}, ${
            formatBytes(event.rate)
          }/s${failed}`,
        );
        shown = true;
      }
    },
    close: clear,
  };
}

/**
 * Prints the outcome of a push or fetch: the summary line (or, with
 * `--json`, a `summary` event) and on stderr every failure.
 *
 * @returns true when anything failed
 */
export function printTransferReport(
  ctx: CliContext,
  report: TransferReport,
  json: boolean,
): boolean {
  const verb = report.direction === "push" ? "push" : "fetch";
  const there = report.direction === "push" ? "already there" : "already in the cache";
  if (json) {
    ctx.stdout(`${JSON.stringify({ type: "summary", ...report })}\n`);
  } else if (!ctx.quiet()) {
    if (report.dryRun) {
      for (const item of report.pending) ctx.stdout(`would ${verb} ${item.label} (${item.hash})\n`);
      ctx.stdout(
        `would ${verb} ${plural(report.pending.length, "blob")} ${
          report.direction === "push" ? "to" : "from"
        } '${report.remote}', ${report.present} ${there}\n`,
      );
    } else {
      ctx.stdout(
        `${verb === "push" ? "pushed" : "fetched"} ${plural(report.transferred, "blob")} (${
          formatBytes(report.bytes)
        }), ${report.present} ${there}, ${report.failed.length} failed\n`,
      );
      if (report.runCache.transferred > 0) {
        ctx.stdout(
          `${verb === "push" ? "pushed" : "fetched"} ${
            plural(report.runCache.transferred, "run-cache entry", "run-cache entries")
          }\n`,
        );
      }
    }
  }
  if (report.droppedFromIndex.length > 0) {
    ctx.warn(
      `the remote index of '${report.remote}' listed ${
        plural(report.droppedFromIndex.length, "blob")
      } that the remote does not have; dropped them from the index: ${
        report.droppedFromIndex.join(", ")
      }`,
    );
  }
  let failed = false;
  if (report.failed.length > 0) {
    failed = true;
    const missing = report.failed.filter((f) => f.reason === "not on the remote").length;
    printProblem(
      ctx,
      `${plural(report.failed.length, "blob")} failed to ${verb} (remote '${report.remote}')`,
      report.failed.map((f) => `${f.label} (${f.hash}): ${f.reason}`),
      missing > 0 && report.direction === "fetch"
        ? "push them from a machine that has them ('pivot push'), or produce them with 'pivot repro'"
        : `fix the cause and run 'pivot ${verb}' again; what is done is not done twice`,
    );
  }
  if (report.runCache.failed.length > 0) {
    failed = true;
    printProblem(
      ctx,
      `${
        plural(report.runCache.failed.length, "run-cache entry", "run-cache entries")
      } failed to ${verb}`,
      report.runCache.failed.map((f) => `${f.entry}: ${f.reason}`),
    );
  }
  if (printSelectionProblems(ctx, report)) failed = true;
  return failed;
}

/**
 * Prints what a selection of targets could not cover: targeted stages with
 * nothing recorded, targeted outputs that are not cached, unreadable
 * tracking files.
 *
 * @returns true when there was any
 */
export function printSelectionProblems(
  ctx: CliContext,
  selection: {
    readonly notRun: readonly string[];
    readonly notCached: readonly string[];
    readonly problems: readonly string[];
  },
): boolean {
  let failed = false;
  if (selection.notRun.length > 0) {
    failed = true;
    printProblem(
      ctx,
      `nothing recorded for ${selection.notRun.join(", ")}: no lock file with ${
        selection.notRun.length === 1 ? "that output" : "those outputs"
      }`,
      [],
      `run 'pivot repro ${selection.notRun.join(" ")}' first`,
    );
  }
  if (selection.notCached.length > 0) {
    failed = true;
    printProblem(
      ctx,
      `not cached (cache: false), so never on a remote: ${selection.notCached.join(", ")}`,
      [],
    );
  }
  if (selection.problems.length > 0) {
    failed = true;
    printProblem(ctx, "unreadable tracking files were skipped", selection.problems);
  }
  return failed;
}
