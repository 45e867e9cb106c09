import { stageStatus } from "../../ops/stage_status.ts";
import { checkReproOptions } from "../check_repro_options.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printStatusReports } from "../print_status_reports.ts";
import { reproStop, runRepro } from "../repro_run.ts";

/**
 * `pivot repro` and `pivot run` (`mode`): a dry run's list, or the run (after
 * `--pull`'s pull), or watching; the flags are repro_flags.ts's table.
 */
export async function reproAction(
  ctx: CliContext,
  mode: "repro" | "run",
  targets: string[],
  options: Record<string, unknown>,
): Promise<void> {
  checkReproOptions(options);
  if (options.watch === true) {
    const { watchAction } = await import("../repro_watch.ts");
    return await watchAction(ctx, targets, options);
  }
  const open = (signal?: AbortSignal) =>
    openForCommand(ctx, { signal, all: options.all === true, parsesStageCode: true });
  if (options.dryRun === true) {
    // It writes nothing: a stop signal ends it at once, as it ends `status`.
    await using session = await open();
    const reports = await stageStatus(session, { targets, force: options.force === true });
    if (options.json === true) {
      ctx.stdout(`${JSON.stringify({ dry_run: true, stages: reports })}\n`);
      return;
    }
    printStatusReports(ctx, reports, {
      explain: options.explain === true,
      verb: "would run",
    });
    return;
  }
  const startedMs = Date.now();
  // Listening from the start: a stop during the opening or `--pull`'s pull is heard too, and
  // the command fails with the stop's status whatever it was doing.
  using stop = reproStop(ctx);
  await stop.run(async (signal) => {
    await using session = await open(signal);
    if (options.pull === true) {
      const { pullBeforeRun } = await import("../repro_pull.ts");
      await pullBeforeRun(ctx, session, {
        targets,
        mode,
        force: options.force === true,
        remote: typeof options.remote === "string" ? options.remote : undefined,
        json: options.json === true,
        signal,
      });
    }
    await runRepro(ctx, session, {
      mode,
      targets,
      all: options.all === true,
      force: options.force === true,
      keepGoing: options.keepGoing === true,
      jobs: typeof options.jobs === "number" ? options.jobs : undefined,
      noCommit: options.commit === false,
      json: options.json === true,
      explain: options.explain === true,
      startedMs,
    }, stop);
  });
}
