import {
  CONFIG_KEYS,
  configFileDisplay,
  configKeySpec,
  type ConfigLayer,
  type ConfigPlace,
  type ConfigScope,
  editConfigFile,
  parseConfigValue,
  readConfigLayer,
} from "../project/mod.ts";
import { deleteConfigPath } from "../project/delete_config_path.ts";
import { redactUrl } from "../remote/mod.ts";
import { didYouMean } from "../util/did_you_mean.ts";
import { PivotError } from "../util/errors.ts";
import { remoteSpecOf } from "./choose_remote.ts";

/** Where a config value comes from. */
export type ConfigSource = "default" | ConfigScope;

/** One config value, as it may be shown (credentials in URLs replaced by `***`). */
export interface ConfigEntry {
  /** Dotted key (`cache.dir`, `remotes.origin.url`). */
  readonly key: string;
  readonly value: string | number | boolean;
  readonly source: ConfigSource;
}

/**
 * The config values: of one file (`scope`), or merged (defaults < user <
 * project; `place.root` `null` outside a project), sorted by key.
 *
 * @throws {PipelineFileError} when a config file is invalid
 */
export async function listConfig(
  place: ConfigPlace,
  scope?: ConfigScope,
): Promise<ConfigEntry[]> {
  const entries = new Map<string, ConfigEntry>();
  const put = (key: string, value: string | number | boolean, source: ConfigSource) =>
    entries.set(key, { key, value: shown(key, value), source });
  const scopes: ConfigScope[] = scope !== undefined
    ? [scope]
    : place.root === null
    ? ["user"]
    : ["user", "project"];
  if (scope === undefined) {
    for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
      if (spec.default !== undefined) put(key, spec.default, "default");
    }
  }
  for (const source of scopes) {
    const layer = await readConfigLayer(source, place);
    // A remote defined again replaces the earlier definition as a whole.
    for (const name of Object.keys(layer.remotes)) {
      for (const key of entries.keys()) {
        if (key.startsWith(`remotes.${name}.`)) entries.delete(key);
      }
    }
    for (const [key, value] of flatten(layer)) put(key, value, source);
  }
  return [...entries.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The value of `key` (of one file, or merged), or `null` when it is not set.
 *
 * @throws {PivotError} for an unknown key
 */
export async function getConfig(
  place: ConfigPlace,
  key: string,
  scope?: ConfigScope,
): Promise<ConfigEntry | null> {
  configKeySpec(key);
  return (await listConfig(place, scope)).find((entry) => entry.key === key) ?? null;
}

/**
 * Sets `key` to the value written `text` in the config file of `scope`,
 * keeping the rest of the file.
 *
 * @returns the entry as stored
 * @throws {PivotError} for an unknown key or a bad value, naming what is allowed
 */
export async function setConfig(
  place: ConfigPlace,
  key: string,
  text: string,
  scope: ConfigScope,
): Promise<ConfigEntry> {
  const value = parseConfigValue(key, text);
  const keys = key.split(".");
  if (key === "default_remote") {
    const names = new Set<string>();
    for (
      const source of place.root === null
        ? ["user" as const]
        : ["user" as const, "project" as const]
    ) {
      for (const name of Object.keys((await readConfigLayer(source, place)).remotes)) {
        names.add(name);
      }
    }
    if (!names.has(String(value))) {
      throw new PivotError(`unknown remote '${value}'${didYouMean(String(value), names)}`, {
        hint: names.size === 0
          ? "no remote is configured; add one: pivot remote add NAME URL"
          : `configured remotes: ${[...names].sort().join(", ")}`,
      });
    }
  }
  if (keys[0] === "remotes") {
    const [, name, field] = keys as [string, string, string];
    const current = (await readConfigLayer(scope, place)).remotes[name];
    if (current === undefined && field !== "url") {
      throw new PivotError(`no remote '${name}' in ${configFileDisplay(scope, place)}`, {
        hint: `add it first: pivot remote add ${name} URL${scope === "user" ? " --global" : ""}`,
      });
    }
    remoteSpecOf(name, { ...current, [field]: value }, place.root ?? "/");
  }
  await editConfigFile(scope, place, (doc) => {
    if (keys[0] === "remotes" && typeof doc.getIn(keys.slice(0, 2)) === "string") {
      doc.setIn(keys.slice(0, 2), doc.createNode({ url: doc.getIn(keys.slice(0, 2)) }));
    }
    doc.setIn(keys, value);
  });
  return { key, value: shown(key, value), source: scope };
}

/**
 * Removes `key` (or, for `remotes.<name>`, the whole remote) from the config
 * file of `scope`, with any section it leaves empty.
 *
 * @throws {PivotError} when it is not set there, or for a remote's `url`
 */
export async function unsetConfig(
  place: ConfigPlace,
  key: string,
  scope: ConfigScope,
): Promise<void> {
  const keys = key.split(".");
  const wholeRemote = keys.length === 2 && keys[0] === "remotes";
  if (keys[0] === "remotes" && keys[2] === "url") {
    throw new PivotError(`a remote needs its url; cannot unset ${key}`, {
      hint: `remove the remote instead: pivot remote remove ${keys[1]}`,
    });
  }
  const removed = await editConfigFile(scope, place, (doc) => deleteConfigPath(doc, keys));
  if (removed) return;
  if (!wholeRemote) configKeySpec(key);
  throw new PivotError(`${key} is not set in ${configFileDisplay(scope, place)}`, {
    hint: scope === "project"
      ? "'pivot config list' shows where each value comes from (--global for the user file)"
      : "'pivot config list --global' shows what the user file sets",
  });
}

/** A layer's values as dotted keys, remotes as `remotes.<name>.<setting>`. */
function flatten(layer: ConfigLayer): [string, string | number | boolean][] {
  return [
    ...Object.entries(layer.values),
    ...Object.entries(layer.remotes).flatMap(([name, settings]) =>
      Object.entries(settings).map(([field, value]) =>
        [`remotes.${name}.${field}`, value] as [string, string | number | boolean]
      )
    ),
  ];
}

/** A value as it may be shown: URLs without credentials. */
function shown(key: string, value: string | number | boolean): string | number | boolean {
  return typeof value === "string" && /^remotes\.[^.]+\.(url|endpoint)$/.test(key)
    ? redactUrl(value)
    : value;
}
