import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot track PATHS… [--force]`. */
export function registerTrack(program: Command, ctx: CliContext): void {
  program
    .command("track")
    .description(
      "cache data files or directories that no stage produces and record them in .pvt files",
    )
    .argument("<paths...>", "files or directories inside the project")
    .option("-f, --force", "record new content for paths that are already tracked")
    .action(async (paths, options) =>
      (await import("../actions/track.ts")).trackAction(ctx, paths, options)
    );
}
