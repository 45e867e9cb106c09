/**
 * Showing engine events: JSON Lines (`--json`), plain lines, and on a
 * terminal a status line (done/total, running stages, elapsed) kept below the
 * streamed output.
 *
 * @module
 */
import type { EngineEvent, StageCompleteEvent, SummaryEvent } from "../engine/mod.ts";
import type { CliContext, CliIo } from "./cli_context.ts";

/** How events are shown. */
export interface DisplayOptions {
  /** JSON Lines instead of text. */
  json: boolean;
  /** Show what changed under each stage that runs. */
  explain: boolean;
  /** Redraw a status line (stdout is a terminal and colours are allowed). */
  live: boolean;
  /** Stages run at once: output lines get a `[stage]` prefix only when above 1. */
  jobs: number;
}

/** A sink for engine events; call `close()` when the run ends. */
export interface RunDisplay {
  readonly onEvent: (event: EngineEvent) => void;
  readonly close: () => void;
}

/** True when stdout of `io` is a terminal and `NO_COLOR` is not set. */
export function wantsLiveDisplay(io: Pick<CliIo, "env" | "isTerminal">): boolean {
  return io.isTerminal() && !io.env("NO_COLOR");
}

/** A display for `ctx` (quiet mode shows only failures). */
export function createRunDisplay(ctx: CliContext, options: DisplayOptions): RunDisplay {
  if (options.json) {
    return {
      onEvent: (event) => ctx.stdout(`${JSON.stringify(event)}\n`),
      close: () => {},
    };
  }
  const quiet = ctx.quiet();
  const running = new Set<string>();
  let interleaved = false;
  let done = 0;
  let total = 0;
  const started = performance.now();
  let statusShown = false;
  const clearStatus = () => {
    if (statusShown) ctx.stdout("\r\x1b[2K");
    statusShown = false;
  };
  const drawStatus = () => {
    if (!options.live || quiet || total === 0) return;
    const names = [...running];
    const list = names.length > 3
      ? `${names.slice(0, 3).join(", ")} +${names.length - 3}`
      : names.join(", ");
    const elapsed = ((performance.now() - started) / 1000).toFixed(1);
    ctx.stdout(`\r\x1b[2K[${done}/${total}] ${list === "" ? "" : `running ${list} `}${elapsed}s`);
    statusShown = true;
  };
  const timer = options.live && !quiet
    ? setInterval(() => {
      clearStatus();
      drawStatus();
    }, 200)
    : undefined;
  const print = (text: string, toErr = false) => {
    clearStatus();
    if (toErr) ctx.stderr(text);
    else ctx.stdout(text);
    drawStatus();
  };
  return {
    onEvent(event) {
      switch (event.type) {
        case "stage_start":
          total = event.total;
          running.add(event.stage);
          if (running.size > 1 && options.jobs > 1) interleaved = true;
          break;
        case "stage_log":
          if (quiet) break;
          print(
            // Once stages have run side by side, every line says whose it is.
            interleaved ? `[${event.stage}] ${event.line}\n` : `${event.line}\n`,
            event.stream === "stderr",
          );
          break;
        case "stage_complete":
          total = event.total;
          running.delete(event.stage);
          done++;
          if (quiet && event.status !== "failed") break;
          print(completionLines(event, options.explain), event.status === "failed");
          break;
        case "summary":
          if (!quiet) print(`${summaryLine(event)}\n`);
          break;
      }
    },
    close() {
      if (timer !== undefined) clearInterval(timer);
      clearStatus();
    },
  };
}

const LABELS: Record<StageCompleteEvent["status"], string> = {
  ran: "ran",
  skipped: "up to date",
  restored: "restored",
  failed: "FAILED",
  blocked: "blocked",
};

function completionLines(event: StageCompleteEvent, explain: boolean): string {
  // A failure before the stage started (a missing input) has no time worth showing.
  const seconds = event.status === "ran" || (event.status === "failed" && event.duration_ms > 0)
    ? ` (${(event.duration_ms / 1000).toFixed(1)}s)`
    : "";
  const reason = event.status === "skipped" ? "" : `: ${event.reason}`;
  const lines = [`${LABELS[event.status]} ${event.stage}${reason}${seconds}`];
  if (event.status === "failed" || explain) {
    for (const detail of event.details) lines.push(`    ${detail}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `3 ran, 12 up to date, 1 failed (4.2s)`. */
export function summaryLine(summary: SummaryEvent): string {
  const parts = [
    `${summary.ran} ran`,
    `${summary.skipped} up to date`,
    ...(summary.restored > 0 ? [`${summary.restored} restored`] : []),
    ...(summary.failed > 0 ? [`${summary.failed} failed`] : []),
    ...(summary.blocked > 0 ? [`${summary.blocked} blocked`] : []),
  ];
  const tail = summary.interrupted ? ", interrupted" : "";
  return `${parts.join(", ")}${tail} (${(summary.duration_ms / 1000).toFixed(1)}s)`;
}
