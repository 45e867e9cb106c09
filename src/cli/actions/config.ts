import {
  type ConfigEntry,
  getConfig,
  listConfig,
  setConfig,
  unsetConfig,
} from "../../ops/edit_config.ts";
import {
  configFileDisplay,
  type ConfigPlace,
  type ConfigScope,
  projectRootOf,
  projectRootOrNull,
} from "../../ops/project_location.ts";
import { ReportedFailure } from "../../util/errors.ts";
import type { CliContext } from "../cli_context.ts";
import { printJson } from "../print_json.ts";

/** Where `config set` and `config unset` write: the user config with `--global`, else the project's. */
function where(
  ctx: CliContext,
  global: boolean | undefined,
): { scope: ConfigScope; place: ConfigPlace } {
  return global
    ? { scope: "user", place: { root: null, env: ctx.env } }
    : { scope: "project", place: { root: projectRootOf(ctx.cwd), env: ctx.env } };
}

/** `key = value (source)`. */
function line(entry: ConfigEntry): string {
  return `${entry.key} = ${entry.value} (${entry.source})\n`;
}

/** `pivot config list`: every value with where it comes from. */
export async function configListAction(
  ctx: CliContext,
  options: { global?: true; project?: true; json?: true },
): Promise<void> {
  const root = options.global ? projectRootOrNull(ctx.cwd) : projectRootOf(ctx.cwd);
  const scope = options.global ? "user" : options.project ? "project" : undefined;
  const entries = await listConfig({ root, env: ctx.env }, scope);
  if (options.json) return printJson(ctx, entries);
  for (const entry of entries) ctx.stdout(line(entry));
}

/** `pivot config get KEY`: one value with where it comes from. */
export async function configGetAction(
  ctx: CliContext,
  key: string,
  options: { global?: true; json?: true },
): Promise<void> {
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
}

/** `pivot config set KEY VALUE`. */
export async function configSetAction(
  ctx: CliContext,
  key: string,
  value: string,
  options: { global?: true },
): Promise<void> {
  const { scope, place } = where(ctx, options.global);
  const entry = await setConfig(place, key, value, scope);
  if (!ctx.quiet()) {
    ctx.stdout(`set ${entry.key} = ${entry.value} in ${configFileDisplay(scope, place)}\n`);
  }
}

/** `pivot config unset KEY`. */
export async function configUnsetAction(
  ctx: CliContext,
  key: string,
  options: { global?: true },
): Promise<void> {
  const { scope, place } = where(ctx, options.global);
  await unsetConfig(place, key, scope);
  if (!ctx.quiet()) ctx.stdout(`removed ${key} from ${configFileDisplay(scope, place)}\n`);
}
