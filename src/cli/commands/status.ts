import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot status [TARGETS] [--all] [--explain] [-r [NAME] [--no-index]] [--json]`. */
export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description("list stale stages with the reason, and tracked files that changed")
    .argument("[targets...]", "stages or identities (default: every stage)")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("-e, --explain", "show what changed for each stale stage")
    .option(
      "-r, --remote [name]",
      "instead: which cached outputs and tracked paths are only local, only on the remote (default: default_remote, else the only one) or in neither; targets as for push (put them before -r)",
    )
    .option("--no-index", "with -r: ask the remote about every blob, ignoring the remote index")
    .option("--json", "print JSON")
    .action(async (targets, options) =>
      (await import("../actions/status.ts")).statusAction(ctx, targets, options)
    );
}
