import type { Command } from "@commander-js/extra-typings";
import { initProject } from "../../ops/mod.ts";
import type { CliContext } from "../cli_context.ts";

/** `pivot init [--force]`. */
export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command("init")
    .description("make the current directory a pivot project (.pivot/)")
    .option(
      "-f, --force",
      "re-create .pivot/.gitignore (and a missing config.yaml) in an existing project",
    )
    .action(async (options) => {
      const result = await initProject(ctx.cwd, { force: options.force ?? false });
      if (ctx.quiet()) return;
      for (const file of result.written) ctx.stdout(`wrote ${file}\n`);
      for (const file of result.kept) ctx.stdout(`kept ${file}\n`);
      ctx.stdout("initialized a pivot project; next: write a pivot.yaml and run 'pivot list'\n");
    });
}
