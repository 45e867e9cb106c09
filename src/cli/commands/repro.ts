import type { Command } from "@commander-js/extra-typings";
import { stageStatus } from "../../ops/mod.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { flagsOf } from "../repro_flags.ts";
import { checkPullOptions, pullBeforeRun } from "../repro_pull.ts";
import { checkWatchOptions, watchAction } from "../repro_watch.ts";
import { runRepro } from "../repro_run.ts";
import { printStatusReports } from "./status.ts";

/** `pivot repro` and `pivot run`. */
export function registerRepro(program: Command, ctx: CliContext): void {
  for (const mode of ["repro", "run"] as const) {
    const command = mode === "repro"
      ? program.command(mode)
        .description(
          "run the targets and everything upstream that is not up to date (default: every stage)",
        )
        .argument("[targets...]", "stages or identities")
      : program.command(mode)
        .description(
          "run exactly these stages (not their upstream) when not up to date; -f forces (their inputs must exist)",
        )
        .argument("<stages...>", "stages or identities");
    // One table for commander and the no-op fast path (see repro_flags.ts).
    for (const flag of flagsOf(mode)) {
      if (flag.parse === undefined) command.option(flag.flags, flag.description);
      else command.option(flag.flags, flag.description, flag.parse);
    }
    command
      .action(async (targets: string[], options: Record<string, unknown>) => {
        checkWatchOptions(options);
        checkPullOptions(options);
        if (options.watch === true) return await watchAction(ctx, targets, options);
        const startedMs = Date.now();
        await using session = await openForCommand(ctx, { all: options.all === true });
        if (options.dryRun === true) {
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
        if (options.pull === true) {
          await pullBeforeRun(ctx, session, {
            targets,
            mode,
            force: options.force === true,
            remote: typeof options.remote === "string" ? options.remote : undefined,
            json: options.json === true,
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
        });
      });
  }
}
