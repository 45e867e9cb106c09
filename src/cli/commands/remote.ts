import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../cli_context.ts";

/** `pivot remote add|list|remove|default|modify`. */
export function registerRemote(program: Command, ctx: CliContext): void {
  const remote = program
    .command("remote")
    .description("manage remotes: s3://bucket/prefix, a directory path or a file:// URL");
  remote
    .command("add")
    .description("add a remote (to the project config, or with --global the user's)")
    .argument("<name>", "remote name (letters, digits, _ and -)")
    .argument(
      "<url>",
      "s3://bucket/prefix, a directory path (relative to the project root) or file:// URL",
    )
    .option("-d, --default", "make it the default remote")
    .option("-f, --force", "replace a remote of that name")
    .option("--global", "write the user config")
    .action(async (name, url, options) =>
      (await import("../actions/remote.ts")).addRemoteAction(ctx, name, url, options)
    );

  remote
    .command("list")
    .description("the configured remotes, with their settings")
    .option("--json", "print JSON")
    .action(async (options) =>
      (await import("../actions/remote.ts")).listRemotesAction(ctx, options)
    );

  remote
    .command("remove")
    .description("remove a remote from the config that defines it")
    .argument("<name>", "remote name")
    .option("--global", "remove it from the user config")
    .action(async (name, options) =>
      (await import("../actions/remote.ts")).removeRemoteAction(ctx, name, options)
    );

  remote
    .command("default")
    .description("show the default remote, or make NAME the default")
    .argument("[name]", "remote name")
    .option("--global", "set it in the user config")
    .action(async (name, options) =>
      (await import("../actions/remote.ts")).defaultRemoteAction(ctx, name, options)
    );

  remote
    .command("modify")
    .description("change a setting of a remote: url, endpoint, region, profile, path_style, jobs")
    .argument("<name>", "remote name")
    .argument("<setting>", "url, endpoint, region, profile, path_style or jobs")
    .argument("<value>", "the new value")
    .option("--global", "change the definition in the user config")
    .action(async (name, setting, value, options) =>
      (await import("../actions/remote.ts")).modifyRemoteAction(ctx, name, setting, value, options)
    );
}
