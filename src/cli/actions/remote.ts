import {
  addRemote,
  currentDefault,
  listRemotes,
  modifyRemote,
  removeRemote,
  setDefaultRemote,
} from "../../ops/manage_remotes.ts";
import { type ConfigPlace, projectRootOf } from "../../ops/project_location.ts";
import { PivotError } from "../../util/errors.ts";
import { shellQuote } from "../../util/shell_quote.ts";
import type { CliContext } from "../cli_context.ts";
import { printJson } from "../print_json.ts";

/** Where the project's config is, for `ctx`'s directory. */
function place(ctx: CliContext): ConfigPlace<string> {
  return { root: projectRootOf(ctx.cwd), env: ctx.env };
}

/** The user config with `--global`, else whichever config defines the remote. */
function scope(global: boolean | undefined): "user" | undefined {
  return global ? "user" : undefined;
}

/** Prints `text` unless quiet. */
function say(ctx: CliContext, text: string): void {
  if (!ctx.quiet()) ctx.stdout(`${text}\n`);
}

/** `pivot remote add NAME URL`. */
export async function addRemoteAction(
  ctx: CliContext,
  name: string,
  url: string,
  options: { default?: true; force?: true; global?: true },
): Promise<void> {
  const added = await addRemote(place(ctx), name, url, {
    makeDefault: options.default ?? false,
    force: options.force ?? false,
    scope: options.global ? "user" : "project",
  });
  say(ctx, `added remote '${name}'${options.default ? " (default)" : ""}`);
  if (added.missingDirectory !== null) {
    const dir = shellQuote(added.missingDirectory);
    ctx.warn(
      `remote '${name}' is the directory ${dir}, which does not exist: create it (mkdir -p ${dir}) or mount its share before 'pivot push'`,
    );
  }
}

/** `pivot remote list`. */
export async function listRemotesAction(
  ctx: CliContext,
  options: { json?: true },
): Promise<void> {
  const remotes = await listRemotes(place(ctx));
  if (options.json) return printJson(ctx, remotes);
  if (remotes.length === 0) {
    say(ctx, "no remotes; add one with 'pivot remote add NAME URL'");
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
}

/** `pivot remote remove NAME`. */
export async function removeRemoteAction(
  ctx: CliContext,
  name: string,
  options: { global?: true },
): Promise<void> {
  const from = await removeRemote(place(ctx), name, scope(options.global));
  say(ctx, `removed remote '${name}'${from === "user" ? " from the user config" : ""}`);
}

/** `pivot remote default [NAME]`: shows or sets the default remote. */
export async function defaultRemoteAction(
  ctx: CliContext,
  name: string | undefined,
  options: { global?: true },
): Promise<void> {
  const root = place(ctx);
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
  say(ctx, `default remote: '${name}'`);
}

/** `pivot remote modify NAME SETTING VALUE`. */
export async function modifyRemoteAction(
  ctx: CliContext,
  name: string,
  setting: string,
  value: string,
  options: { global?: true },
): Promise<void> {
  await modifyRemote(place(ctx), name, setting, value, scope(options.global));
  say(ctx, `set ${setting} of remote '${name}'`);
}
