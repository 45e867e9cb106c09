import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot get TARGETS… [--rev REV] [-o PATH] [-f] [-r NAME] [--json]`. */
export function registerGet(program: Command, ctx: CliContext): void {
  program
    .command("get")
    .description("write stage outputs or tracked files as they were at a git revision")
    .argument("<targets...>", "identities (train, train:model) or tracked or committed paths")
    .option("--rev <rev>", "the git revision to take them from", "HEAD")
    .option(
      "-o, --output <path>",
      "write here instead of each output's own path (a directory for several outputs)",
    )
    .option("-f, --force", "replace existing files that differ")
    .option("-r, --remote <name>", "the remote to fetch content the cache lacks from")
    .option("-a, --all", "every pipeline of the project, as one DAG")
    .option("--json", "print JSON")
    .action(async (targets, options) =>
      (await import("../actions/get.ts")).getAction(ctx, targets, options)
    );
}
