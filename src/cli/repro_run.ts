/**
 * The run of `pivot repro` and `pivot run` in an open session: the display,
 * Ctrl-C, the no-op stamp key and the exit status. Used by the command
 * tree's `repro`/`run` and, without the command tree, by `fast_repro.ts`.
 *
 * @module
 */
import { noopStampKey } from "../ops/noop_stamp.ts";
import { reproStages } from "../ops/repro_stages.ts";
import type { Config } from "../project/config.ts";
import type { Session } from "../session/mod.ts";
import { ReportedFailure } from "../util/errors.ts";
import type { CliContext } from "./cli_context.ts";
import { createRunDisplay, wantsLiveDisplay } from "./run_display.ts";
import { CommandStop, stopWord } from "./stop_signals.ts";

/** What to run. */
export interface ReproRun {
  readonly mode: "repro" | "run";
  readonly targets: readonly string[];
  /** `--all`: every pipeline of the project. */
  readonly all: boolean;
  readonly force: boolean;
  readonly keepGoing: boolean;
  /** `--jobs`, or `undefined` for the config's `core.jobs`, else the CPU count. */
  readonly jobs: number | undefined;
  /** `--no-commit`. */
  readonly noCommit: boolean;
  readonly json: boolean;
  readonly explain: boolean;
  /** When the command started (ms since the epoch): the no-op stamp is read from then. */
  readonly startedMs: number;
}

/** The stages run at once without `--jobs`: the config's `core.jobs`, else the CPU count. */
export function defaultJobs(config: Config): number {
  const value = config.values["core.jobs"];
  return typeof value === "number" ? value : navigator.hardwareConcurrency;
}

/**
 * The stop of a repro or run: the first stop signal warns that running
 * stages are being stopped. Created before anything else of the command (the
 * session's opening, `--pull`'s pull), so no stop signal ends it unheard.
 */
export function reproStop(ctx: CliContext): CommandStop {
  return new CommandStop((signal) =>
    ctx.warn(`${stopWord(signal)}: stopping running stages (nothing half-done is recorded)`)
  );
}

/**
 * Runs `run` in `session`, showing its events; `stop` (see
 * {@linkcode reproStop}) is the command's, else one of its own.
 *
 * @throws {ReportedFailure} when stopped by a signal (130 for Ctrl-C, 143 for SIGTERM, 129 for
 * SIGHUP: see `stop_signals.ts`), or a stage failed or was blocked
 */
export async function runRepro(
  ctx: CliContext,
  session: Session,
  run: ReproRun,
  stop?: CommandStop,
): Promise<void> {
  const { project } = session;
  const jobs = run.jobs ?? defaultJobs(project.config);
  const display = createRunDisplay(ctx, {
    json: run.json,
    explain: run.explain,
    live: wantsLiveDisplay(ctx) && !run.json,
    jobs,
  });
  using own = stop === undefined ? reproStop(ctx) : null;
  const { signal } = stop ?? own!;
  let result;
  try {
    result = await reproStages(session, {
      targets: run.targets,
      mode: run.mode,
      force: run.force,
      keepGoing: run.keepGoing,
      jobs,
      noCommit: run.noCommit,
      onEvent: display.onEvent,
      signal,
      noopStamp: {
        key: noopStampKey({
          mode: run.mode,
          all: run.all,
          targets: run.targets,
          cwd: project.cwd,
          env: ctx.env,
        }),
        sinceMs: run.startedMs,
        ...(ctx.stampLook === undefined ? {} : { look: ctx.stampLook }),
      },
    });
  } finally {
    display.close();
  }
  if (result.interrupted) throw (stop ?? own!).failure();
  const bad = [...result.results.values()].some((r) =>
    r.status === "failed" || r.status === "blocked"
  );
  if (bad) throw new ReportedFailure("stages failed");
}
