import type { Command } from "@commander-js/extra-typings";
import {
  addRemote,
  currentDefault,
  listRemotes,
  modifyRemote,
  projectRootOf,
  removeRemote,
  setDefaultRemote,
} from "../../ops/mod.ts";
import { PivotError } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { printJson } from "../print_json.ts";

/** `pivot remote add|list|remove|default|modify`. */
export function registerRemote(program: Command, ctx: CliContext): void {
  const place = () => ({ root: projectRootOf(ctx.cwd), env: ctx.env });
  const remote = program
    .command("remote")
    .description("manage remotes: s3://bucket/prefix, a directory path or a file:// URL");
  const scope = (global: boolean | undefined) => (global ? "user" as const : undefined);
  const say = (text: string) => {
    if (!ctx.quiet()) ctx.stdout(`${text}\n`);
  };

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
    .action(async (name, url, options) => {
      await addRemote(place(), name, url, {
        makeDefault: options.default ?? false,
        force: options.force ?? false,
        scope: options.global ? "user" : "project",
      });
      say(`added remote '${name}'${options.default ? " (default)" : ""}`);
    });

  remote
    .command("list")
    .description("the configured remotes, with their settings")
    .option("--json", "print JSON")
    .action(async (options) => {
      const remotes = await listRemotes(place());
      if (options.json) return printJson(ctx, remotes);
      if (remotes.length === 0) {
        say("no remotes; add one with 'pivot remote add NAME URL'");
        return;
      }
      for (const entry of remotes) {
        const settings = Object.entries(entry.settings).map(([k, v]) => `${k}=${v}`);
        ctx.stdout(
          `${entry.name}\t${entry.url}${entry.isDefault ? "\t(default)" : ""}${
            settings.length > 0 ? `\t${settings.join(" ")}` : ""
          }${entry.source === "user" ? "\t(user config)" : ""}\n`,
        );
      }
    });

  remote
    .command("remove")
    .description("remove a remote from the config that defines it")
    .argument("<name>", "remote name")
    .option("--global", "remove it from the user config")
    .action(async (name, options) => {
      const from = await removeRemote(place(), name, scope(options.global));
      say(`removed remote '${name}'${from === "user" ? " from the user config" : ""}`);
    });

  remote
    .command("default")
    .description("show the default remote, or make NAME the default")
    .argument("[name]", "remote name")
    .option("--global", "set it in the user config")
    .action(async (name, options) => {
      const root = place();
      if (name === undefined) {
        const current = await currentDefault(root);
        if (current === null) {
          throw new PivotError("no default remote set", {
            hint: "set one: pivot remote default NAME (a single remote is used without one)",
          });
        }
        ctx.stdout(`${current}\n`);
        return;
      }
      await setDefaultRemote(root, name, options.global ? "user" : "project");
      say(`default remote: '${name}'`);
    });

  remote
    .command("modify")
    .description("change a setting of a remote: url, endpoint, region, profile, path_style, jobs")
    .argument("<name>", "remote name")
    .argument("<setting>", "url, endpoint, region, profile, path_style or jobs")
    .argument("<value>", "the new value")
    .option("--global", "change the definition in the user config")
    .action(async (name, setting, value, options) => {
      await modifyRemote(place(), name, setting, value, scope(options.global));
      say(`set ${setting} of remote '${name}'`);
    });
}
