import type { Command } from "@commander-js/extra-typings";
import {
  checkExampleTarget,
  EXAMPLE_TRACKED,
  initProject,
  trackPaths,
  writeExampleFiles,
} from "../../ops/mod.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";

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
    .action(async (options) => {
      const example = options.example ?? false;
      if (example) await checkExampleTarget(ctx.cwd);
      const result = await initProject(ctx.cwd, { force: options.force ?? false });
      const written = [...result.written];
      if (example) {
        written.push(...await writeExampleFiles(ctx.cwd));
        await using session = await openForCommand(ctx);
        const [tracked] = await trackPaths(session, [EXAMPLE_TRACKED]);
        written.push(tracked!.pvt, ...(tracked!.gitignore === null ? [] : [tracked!.gitignore]));
      }
      if (ctx.quiet()) return;
      for (const file of written) ctx.stdout(`wrote ${file}\n`);
      for (const file of result.kept) ctx.stdout(`kept ${file}\n`);
      ctx.stdout(
        example
          ? "initialized a pivot project with an example pipeline; next: 'pivot repro', then 'pivot repro' again\n"
          : "initialized a pivot project; next: write a pivot.yaml and run 'pivot list'\n",
      );
    });
}
