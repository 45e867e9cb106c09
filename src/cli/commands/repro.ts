import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";
import { flagsOf } from "../repro_flags.ts";

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
      .action(async (targets: string[], options: Record<string, unknown>) =>
        (await import("../actions/repro.ts")).reproAction(ctx, mode, targets, options)
      );
  }
}
