import {
  configFileDisplay,
  type ConfigPlace,
  type ConfigScope,
  editConfigFile,
  readConfigLayer,
  REMOTE_FIELDS,
  REMOTE_NAME_PATTERN,
} from "../project/mod.ts";
import { deleteConfigPath } from "../project/delete_config_path.ts";
import { parseRemoteUrl, redactUrl } from "../remote/mod.ts";
import { didYouMean } from "../util/did_you_mean.ts";
import { statOrNull } from "../util/fs.ts";
import { PivotError } from "../util/errors.ts";
import { remoteSpecOf } from "./choose_remote.ts";
import { setConfig } from "./edit_config.ts";

/** A configured remote, as it may be shown (URLs without credentials). */
export interface RemoteEntry {
  readonly name: string;
  readonly url: string;
  /** Its other settings (`endpoint`, `region`, `path_style`, …). */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  /** True for the default remote. */
  readonly isDefault: boolean;
  /** The config file that defines it. */
  readonly source: ConfigScope;
}

/** Every configured remote (the project's definition winning over the user's), by name. */
export async function listRemotes(place: ConfigPlace<string>): Promise<RemoteEntry[]> {
  const found = await definitions(place);
  const fallback = await currentDefault(place);
  return [...found].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, { settings, source }]) => {
    const { url, ...rest } = settings;
    const others = Object.fromEntries(
      Object.entries(rest).map(([k, v]) => [k, typeof v === "string" ? redactUrl(v) : v]),
    );
    return {
      name,
      url: redactUrl(String(url)),
      settings: others,
      isDefault: name === fallback,
      source,
    };
  });
}

/** Options for {@linkcode addRemote}. */
export interface AddRemoteOptions {
  /** Also make it the default remote. @default {false} */
  readonly makeDefault?: boolean;
  /** Replace a remote of that name (and all its settings). @default {false} */
  readonly force?: boolean;
  /** The config file to write. @default {"project"} */
  readonly scope?: ConfigScope;
}

/** What {@linkcode addRemote} found about the remote it added. */
export interface AddedRemote {
  /** The absolute path of a directory remote that does not exist (yet), else `null`. */
  readonly missingDirectory: string | null;
}

/**
 * Adds the remote `name` at `url` to the config.
 *
 * @throws {PivotError} on a bad name or URL, or an existing remote without `force`
 */
export async function addRemote(
  place: ConfigPlace<string>,
  name: string,
  url: string,
  options: AddRemoteOptions = {},
): Promise<AddedRemote> {
  const { makeDefault = false, force = false, scope = "project" } = options;
  checkName(name);
  remoteSpecOf(name, { url }, place.root);
  const location = parseRemoteUrl(url, place.root);
  const existing = (await readConfigLayer(scope, place)).remotes[name];
  if (existing !== undefined && !force) {
    throw new PivotError(
      `remote '${name}' already exists in ${configFileDisplay(scope, place)} (${
        redactUrl(String(existing.url))
      })`,
      { hint: `pass --force to replace it, or change it: pivot remote modify ${name} url URL` },
    );
  }
  await editConfigFile(scope, place, (doc) => {
    doc.setIn(["remotes", name], doc.createNode({ url }));
    if (makeDefault) doc.setIn(["default_remote"], name);
  });
  const missingDirectory =
    location.kind === "directory" && (await statOrNull(location.path)) === null
      ? location.path
      : null;
  return { missingDirectory };
}

/**
 * Removes the remote `name` from the file that defines it (the project's
 * before the user's, or exactly `scope`), and `default_remote` there when
 * it names it.
 *
 * @returns the file it was removed from
 * @throws {PivotError} when no such remote is configured
 */
export async function removeRemote(
  place: ConfigPlace<string>,
  name: string,
  scope?: ConfigScope,
): Promise<ConfigScope> {
  const where = scope ?? (await definitions(place)).get(name)?.source;
  if (where === undefined || (await readConfigLayer(where, place)).remotes[name] === undefined) {
    throw await unknownRemote(place, name, scope);
  }
  await editConfigFile(where, place, (doc) => {
    deleteConfigPath(doc, ["remotes", name]);
    if (doc.get("default_remote") === name) deleteConfigPath(doc, ["default_remote"]);
  });
  return where;
}

/**
 * Makes `name` the default remote (in the project config, or `scope`).
 *
 * @throws {PivotError} when no such remote is configured
 */
export async function setDefaultRemote(
  place: ConfigPlace<string>,
  name: string,
  scope: ConfigScope = "project",
): Promise<void> {
  checkName(name);
  await setConfig(place, "default_remote", name, scope);
}

/** The default remote's name (`default_remote`), or `null` when none is set. */
export async function currentDefault(place: ConfigPlace<string>): Promise<string | null> {
  const user = await readConfigLayer("user", place);
  const project = await readConfigLayer("project", place);
  const value = project.values["default_remote"] ?? user.values["default_remote"];
  return typeof value === "string" ? value : null;
}

/**
 * Sets one setting of the remote `name` in the file that defines it.
 *
 * @throws {PivotError} for an unknown remote or setting, or a bad value (naming what is allowed)
 */
export async function modifyRemote(
  place: ConfigPlace<string>,
  name: string,
  setting: string,
  value: string,
  scope?: ConfigScope,
): Promise<void> {
  if (REMOTE_FIELDS[setting] === undefined) {
    throw new PivotError(
      `unknown remote setting '${setting}'${didYouMean(setting, Object.keys(REMOTE_FIELDS))}`,
      { hint: `settings: ${Object.keys(REMOTE_FIELDS).join(", ")}` },
    );
  }
  const where = scope ?? (await definitions(place)).get(name)?.source;
  if (where === undefined || (await readConfigLayer(where, place)).remotes[name] === undefined) {
    throw await unknownRemote(place, name, scope);
  }
  await setConfig(place, `remotes.${name}.${setting}`, value, where);
}

type Settings = Readonly<Record<string, string | number | boolean>>;

async function definitions(
  place: ConfigPlace<string>,
): Promise<Map<string, { settings: Settings; source: ConfigScope }>> {
  const found = new Map<string, { settings: Settings; source: ConfigScope }>();
  for (const source of ["user", "project"] as const) {
    for (const [name, settings] of Object.entries((await readConfigLayer(source, place)).remotes)) {
      found.set(name, { settings, source });
    }
  }
  return found;
}

async function unknownRemote(
  place: ConfigPlace<string>,
  name: string,
  scope?: ConfigScope,
): Promise<PivotError> {
  checkName(name);
  const names = [...(await definitions(place)).keys()].sort();
  const where = scope === undefined ? "" : ` in ${configFileDisplay(scope, place)}`;
  return new PivotError(`unknown remote '${name}'${where}${didYouMean(name, names)}`, {
    hint: names.length === 0
      ? "no remote is configured; add one: pivot remote add NAME URL"
      : `configured remotes: ${names.join(", ")}`,
  });
}

function checkName(name: string): void {
  if (!REMOTE_NAME_PATTERN.test(name)) {
    throw new PivotError(`invalid remote name '${name}': use letters, digits, '_' and '-'`);
  }
}
