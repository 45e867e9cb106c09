import type { Command } from "@commander-js/extra-typings";
import {
  type ConfigEntry,
  configFileDisplay,
  type ConfigPlace,
  type ConfigScope,
  getConfig,
  listConfig,
  projectRootOf,
  projectRootOrNull,
  setConfig,
  unsetConfig,
} from "../../ops/mod.ts";
import { ReportedFailure } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { printJson } from "../print_json.ts";

/** `pivot config list|get|set|unset [--global]`. */
export function registerConfig(program: Command, ctx: CliContext): void {
  const config = program
    .command("config")
    .description(
      "show or change settings: the project's .pivot/config.yaml, or --global the user's",
    );
  const where = (global: boolean | undefined): { scope: ConfigScope; place: ConfigPlace } =>
    global
      ? { scope: "user", place: { root: null, env: ctx.env } }
      : { scope: "project", place: { root: projectRootOf(ctx.cwd), env: ctx.env } };
  const line = (entry: ConfigEntry) => `${entry.key} = ${entry.value} (${entry.source})\n`;

  config
    .command("list")
    .description("every value with where it comes from (default, user, project)")
    .option("--global", "only the user config")
    .option("--project", "only the project config")
    .option("--json", "print JSON")
    .action(async (options) => {
      const root = options.global ? projectRootOrNull(ctx.cwd) : projectRootOf(ctx.cwd);
      const scope = options.global ? "user" : options.project ? "project" : undefined;
      const entries = await listConfig({ root, env: ctx.env }, scope);
      if (options.json) return printJson(ctx, entries);
      for (const entry of entries) ctx.stdout(line(entry));
    });

  config
    .command("get")
    .description("one value with where it comes from")
    .argument("<key>", "dotted key: cache.dir, remote.jobs, remotes.origin.region, …")
    .option("--global", "only the user config")
    .option("--json", "print JSON")
    .action(async (key, options) => {
      const root = options.global ? projectRootOrNull(ctx.cwd) : projectRootOf(ctx.cwd);
      const entry = await getConfig(
        { root, env: ctx.env },
        key,
        options.global ? "user" : undefined,
      );
      if (options.json) return printJson(ctx, entry);
      if (entry === null) {
        ctx.stderr(`${key} is not set\n`);
        throw new ReportedFailure("not set");
      }
      ctx.stdout(line(entry));
    });

  config
    .command("set")
    .description("set a value (the rest of the file is kept)")
    .argument("<key>", "dotted key")
    .argument("<value>", "the value")
    .option("--global", "write the user config")
    .action(async (key, value, options) => {
      const { scope, place } = where(options.global);
      const entry = await setConfig(place, key, value, scope);
      if (!ctx.quiet()) {
        ctx.stdout(`set ${entry.key} = ${entry.value} in ${configFileDisplay(scope, place)}\n`);
      }
    });

  config
    .command("unset")
    .description("remove a value (remotes.NAME removes a remote)")
    .argument("<key>", "dotted key")
    .option("--global", "change the user config")
    .action(async (key, options) => {
      const { scope, place } = where(options.global);
      await unsetConfig(place, key, scope);
      if (!ctx.quiet()) ctx.stdout(`removed ${key} from ${configFileDisplay(scope, place)}\n`);
    });
}
