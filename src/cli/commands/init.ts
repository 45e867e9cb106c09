import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot init [--force] [--example]`. */
export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command("init")
    .description("make the current directory a pivot project (.pivot/)")
    .option(
      "-f, --force",
      "re-create .pivot/.gitignore (and a missing config.yaml) in an existing project",
    )
    .option(
      "--example",
      "also write a small working pipeline: a shell stage, a TypeScript stage, a metric and a tracked input",
    )
    .action(async (options) => (await import("../actions/init.ts")).initAction(ctx, options));
}
