import type { Command } from "@commander-js/extra-typings";
import * as path from "node:path";
import { getAtRevision } from "../../ops/mod.ts";
import type { CliContext } from "../cli_context.ts";
import { openForCommand } from "../open_for_command.ts";
import { printJson } from "../print_json.ts";

const SOURCES = { cache: "the cache", remote: "the remote", git: "git" } as const;

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
    .action(async (targets, options) => {
      await using session = await openForCommand(ctx, {
        all: options.all ?? false,
        pipelinesOptional: true,
        showWarnings: false,
      });
      const report = await getAtRevision(session, {
        rev: options.rev,
        targets,
        output: options.output === undefined ? null : path.resolve(ctx.cwd, options.output),
        force: options.force ?? false,
        remote: options.remote,
      });
      if (options.json) return printJson(ctx, report);
      if (ctx.quiet()) return;
      for (const item of report.items) {
        const where = item.target === item.path || item.target.endsWith(` → ${item.path}`)
          ? item.target
          : `${item.path}: ${item.target}`;
        ctx.stdout(
          `${item.status === "written" ? "wrote" : "unchanged"} ${where} as of ${report.rev} (${
            item.status === "written" ? `from ${SOURCES[item.source]}` : "already that version"
          })\n`,
        );
      }
    });
}
