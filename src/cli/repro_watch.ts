/**
 * `pivot repro --watch`: watching started, its events
 * shown, Ctrl-C or SIGTERM turned into a clean stop (exit status 130 or 143).
 *
 * @module
 */
import { watchRepro } from "../ops/watch_repro.ts";
import type { CliContext } from "./cli_context.ts";
import { wantsLiveDisplay } from "./run_display.ts";
import { CommandStop, stopWord } from "./stop_signals.ts";
import { createWatchDisplay } from "./watch_display.ts";

/**
 * Watches until Ctrl-C or SIGTERM, then ends with exit status 130 or 143.
 *
 * @throws {ReportedFailure} (130 or 143) once watching has stopped
 * @throws {PivotError} when watching cannot start (not a project, the socket in use)
 */
export async function watchAction(
  ctx: CliContext,
  targets: readonly string[],
  options: Record<string, unknown>,
): Promise<never> {
  const json = options.json === true;
  const jobs = typeof options.jobs === "number" ? options.jobs : undefined;
  const display = createWatchDisplay(ctx, {
    json,
    explain: options.explain === true,
    live: wantsLiveDisplay(ctx) && !json,
    jobs: jobs ?? navigator.hardwareConcurrency,
  });
  using stop = new CommandStop((signal) =>
    ctx.warn(
      `${
        stopWord(signal)
      }: watching stops (running stages are stopped, nothing half-done is recorded)`,
    )
  );
  try {
    await watchRepro({
      cwd: ctx.cwd,
      env: ctx.env,
      targets,
      all: options.all === true,
      force: options.force === true,
      keepGoing: options.keepGoing === true,
      ...(jobs === undefined ? {} : { jobs }),
      noCommit: options.commit === false,
      ...(typeof options.debounce === "number" ? { debounceMs: options.debounce } : {}),
      serve: options.serve === true,
      onEvent: display.onEvent,
      warn: ctx.warn,
      signal: stop.signal,
    });
  } finally {
    display.close();
  }
  throw stop.failure();
}
