import {
  checkExampleTarget,
  EXAMPLE_TRACKED,
  writeExampleFiles,
} from "../../ops/example_project.ts";
import { initProject } from "../../ops/init_project.ts";
import { trackPaths } from "../../ops/track_paths.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";

/** `pivot init`: creates `.pivot/`, with `--example` a small working pipeline too. */
export async function initAction(
  ctx: CliContext,
  options: { force?: true; example?: true },
): Promise<void> {
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
      : `initialized a pivot project; next: write a pivot.yaml${
        result.unusableName === null
          ? ""
          : ` beginning with 'pipeline: <name>' (the directory name '${result.unusableName}' cannot name the pipeline: a letter, then letters, digits, '_' or '-')`
      } and run 'pivot list'\n`,
  );
}
