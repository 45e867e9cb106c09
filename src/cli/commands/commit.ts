import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot commit [STAGES] [--all]`. */
export function registerCommit(program: Command, ctx: CliContext): void {
  program
    .command("commit")
    .description(
      "record the workspace in lock files and the cache without running (default: every stale stage)",
    )
    .argument("[stages...]", "stages to record as they are")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .action(async (stages, options) =>
      (await import("../actions/commit.ts")).commitAction(ctx, stages, options)
    );
}
