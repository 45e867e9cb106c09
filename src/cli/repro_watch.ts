/**
 * `pivot repro --watch`: watching started, its events
 * shown, Ctrl-C turned into a clean stop (exit status 130).
 *
 * @module
 */
import { watchRepro } from "../ops/watch_repro.ts";
import { ReportedFailure } from "../util/errors.ts";
import type { CliContext } from "./cli_context.ts";
import { wantsLiveDisplay } from "./run_display.ts";
import { createWatchDisplay } from "./watch_display.ts";

/**
 * Watches until Ctrl-C, then ends with exit status 130.
 *
 * @throws {ReportedFailure} (130) once watching has stopped
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
  const controller = new AbortController();
  const onSignal = () => {
    if (!controller.signal.aborted) {
      ctx.warn(
        "interrupted: watching stops (running stages are stopped, nothing half-done is recorded)",
      );
    }
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
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
      signal: controller.signal,
    });
  } finally {
    display.close();
    Deno.removeSignalListener("SIGINT", onSignal);
  }
  throw new ReportedFailure("interrupted", 130);
}
