import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot config list|get|set|unset [--global]`. */
export function registerConfig(program: Command, ctx: CliContext): void {
  const config = program
    .command("config")
    .description(
      "show or change settings: the project's .pivot/config.yaml, or --global the user's",
    );
  config
    .command("list")
    .description("every value with where it comes from (default, user, project)")
    .option("--global", "only the user config")
    .option("--project", "only the project config")
    .option("--json", "print JSON")
    .action(async (options) =>
      (await import("../actions/config.ts")).configListAction(ctx, options)
    );

  config
    .command("get")
    .description("one value with where it comes from")
    .argument("<key>", "dotted key: cache.dir, remote.jobs, remotes.origin.region, …")
    .option("--global", "only the user config")
    .option("--json", "print JSON")
    .action(async (key, options) =>
      (await import("../actions/config.ts")).configGetAction(ctx, key, options)
    );

  config
    .command("set")
    .description("set a value (the rest of the file is kept)")
    .argument("<key>", "dotted key")
    .argument("<value>", "the value")
    .option("--global", "write the user config")
    .action(async (key, value, options) =>
      (await import("../actions/config.ts")).configSetAction(ctx, key, value, options)
    );

  config
    .command("unset")
    .description("remove a value (remotes.NAME removes a remote)")
    .argument("<key>", "dotted key")
    .option("--global", "change the user config")
    .action(async (key, options) =>
      (await import("../actions/config.ts")).configUnsetAction(ctx, key, options)
    );
}
