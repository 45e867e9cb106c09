import * as path from "node:path";
import { didYouMean } from "../util/did_you_mean.ts";
import { PipelineFileError, PivotError } from "../util/errors.ts";
import { type EnvReader, processEnv } from "../util/env_reader.ts";
import { readTextOrNull } from "../util/fs.ts";
import { DEFAULT_LOAD_TIMEOUT } from "../pipeline/default_load_timeout.ts";
import { isPlainObject, type PlainObject } from "../pipeline/params.ts";

/** How a config value is checked. */
type ConfigType =
  | { readonly type: "string" }
  | { readonly type: "boolean" }
  | { readonly type: "integer"; readonly min: number; readonly unit?: string }
  | { readonly type: "choice"; readonly choices: readonly string[] }
  | { readonly type: "choices"; readonly choices: readonly string[] };

/** Every config key, its type, default and meaning. */
export const CONFIG_KEYS: Readonly<
  Record<string, ConfigType & { readonly default?: string | number; readonly doc: string }>
> = {
  "cache.dir": { type: "string", doc: "content cache directory (default .pivot/cache)" },
  "cache.checkout_mode": {
    type: "choices",
    choices: ["hardlink", "symlink", "copy"],
    default: "hardlink,symlink,copy",
    doc: "how outputs are restored from the cache: a mode, or modes in order of preference",
  },
  "store.data_dir": {
    type: "string",
    default: "data",
    doc: "directory for stage outputs under each pipeline root",
  },
  "core.jobs": {
    type: "integer",
    min: 1,
    default: navigator.hardwareConcurrency,
    doc: "parallel stages (default: the number of CPUs)",
  },
  "core.load_timeout": {
    type: "integer",
    min: 1,
    unit: "seconds",
    default: DEFAULT_LOAD_TIMEOUT,
    doc: "seconds a pipeline.ts module may take to load before it is stopped",
  },
  "remote.jobs": { type: "integer", min: 1, default: 16, doc: "parallel transfers" },
  "remote.retries": {
    type: "integer",
    min: 0,
    default: 4,
    doc: "retries of a failed remote request (throttling, server errors, network errors)",
  },
  "remote.retry_delay": {
    type: "integer",
    min: 1,
    unit: "ms",
    default: 250,
    doc: "delay before the first retry of a failed remote request (ms), doubled for each next one",
  },
  "watch.debounce": {
    type: "integer",
    min: 0,
    default: 300,
    doc: "quiet period (ms) repro --watch waits after a change before it runs",
  },
  "default_remote": { type: "string", doc: "remote used when -r is not given" },
  "params.overrides": {
    type: "string",
    doc:
      "file of per-stage parameter overrides, relative to the project root (default params.yaml); 'none' reads none, for a DVC params.yaml that the scripts read",
  },
};

/** The settings of one remote (`remotes.<name>.<field>`); `url` is required. */
export const REMOTE_FIELDS: Readonly<
  Record<string, ConfigType & { readonly doc: string }>
> = {
  url: { type: "string", doc: "s3://bucket/prefix, a directory path or a file:// URL" },
  endpoint: { type: "string", doc: "endpoint URL of an S3-compatible server" },
  region: { type: "string", doc: "S3 region" },
  profile: { type: "string", doc: "AWS profile whose credentials to use" },
  path_style: { type: "boolean", doc: "path-style S3 requests (most S3-compatible servers)" },
  jobs: { type: "integer", min: 1, doc: "parallel transfers with this remote" },
};

/** A remote name: letters, digits, `_` and `-`. */
export const REMOTE_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

/** The merged configuration: built-in defaults < user config < project config. */
export interface Config {
  /** Flat values by dotted key. */
  readonly values: Readonly<Record<string, string | number>>;
  /** Free-form sections (`remotes`: name → settings, each with a `url`). */
  readonly sections: Readonly<Record<string, PlainObject>>;
}

/** What one config file sets. */
export interface ConfigLayer {
  /** Flat values by dotted key. */
  readonly values: Readonly<Record<string, string | number>>;
  /** Remotes by name, their settings validated (`remotes.x: URL` reads as `{url: URL}`). */
  readonly remotes: Readonly<Record<string, Readonly<Record<string, string | number | boolean>>>>;
}

/**
 * The user config file: `$XDG_CONFIG_HOME/pivot/config.yaml`, else
 * `~/.config/pivot/config.yaml`, the variables read through `env`; `null`
 * when neither is set.
 */
export function userConfigFile(env: EnvReader): string | null {
  const xdg = env("XDG_CONFIG_HOME");
  if (xdg) return path.join(xdg, "pivot", "config.yaml");
  const home = env("HOME");
  return home ? path.join(home, ".config", "pivot", "config.yaml") : null;
}

/** The project config file, `<root>/.pivot/config.yaml`. */
export function projectConfigFile(root: string): string {
  return path.join(root, ".pivot", "config.yaml");
}

/**
 * Loads and validates the user and project config files (`env` places the
 * user's; see {@linkcode userConfigFile}).
 *
 * @throws {PipelineFileError} naming the file, line and key on an unknown key or bad value
 */
export async function loadConfig(
  projectRoot: string,
  env: EnvReader = processEnv,
): Promise<Config> {
  const values: Record<string, string | number> = {};
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    if (spec.default !== undefined) values[key] = spec.default;
  }
  const remotes: Record<string, PlainObject> = {};
  for (const file of [userConfigFile(env), projectConfigFile(projectRoot)]) {
    if (file === null) continue;
    const text = await readTextOrNull(file);
    if (text === null) continue;
    const display = path.relative(projectRoot, file).startsWith("..")
      ? file
      : path.relative(projectRoot, file);
    const layer = await parseConfigLayer(text, file, display);
    Object.assign(values, layer.values);
    Object.assign(remotes, layer.remotes);
  }
  return { values, sections: Object.keys(remotes).length === 0 ? {} : { remotes } };
}

/**
 * Parses and validates the text of one config file.
 *
 * @throws {PipelineFileError} naming `display`, the line and the key on an unknown key or bad value
 */
export async function parseConfigLayer(
  text: string,
  file: string,
  display: string,
): Promise<ConfigLayer> {
  const values: Record<string, string | number> = {};
  const remotes: Record<string, Record<string, string | number | boolean>> = {};
  // The YAML parser is imported only for a file to parse (see util/yaml_lib.ts).
  const { parseYamlSource } = await import("../pipeline/yaml_source.ts");
  const { data, locate } = parseYamlSource(text, file, display);
  if (data === null || data === undefined) return { values, remotes };
  const fail: (at: string[], detail: string, hint?: string) => never = (at, detail, hint) => {
    const position = locate(at, true);
    throw new PipelineFileError(file, detail, {
      displayFile: display,
      line: position?.line,
      column: position?.column,
      hint,
    });
  };
  if (!isPlainObject(data)) fail([], "expected a map of settings");
  const walk = (value: PlainObject, at: string[]): void => {
    for (const [name, item] of Object.entries(value)) {
      const keyPath = [...at, name];
      const dotted = keyPath.join(".");
      if (at.length === 0 && name === "remotes") {
        if (!isPlainObject(item)) fail(keyPath, "'remotes' must be a map");
        for (const [remote, settings] of Object.entries(item)) {
          remotes[remote] = checkRemote(
            remote,
            settings,
            (field, detail, hint) =>
              fail(field === null ? [name, remote] : [name, remote, field], detail, hint),
          );
        }
        continue;
      }
      if (isPlainObject(item)) {
        walk(item, keyPath);
        continue;
      }
      const spec = CONFIG_KEYS[dotted];
      if (spec === undefined) {
        fail(keyPath, unknownKeyMessage(dotted), `known keys: ${knownConfigKeys().join(", ")}`);
      }
      values[dotted] = checkValue(dotted, spec, item, (detail) => fail(keyPath, detail)) as
        | string
        | number;
    }
  };
  walk(data, []);
  return { values, remotes };
}

function checkRemote(
  name: string,
  settings: unknown,
  fail: (field: string | null, detail: string, hint?: string) => never,
): Record<string, string | number | boolean> {
  if (!REMOTE_NAME_PATTERN.test(name)) {
    fail(null, `invalid remote name '${name}': use letters, digits, '_' and '-'`);
  }
  if (typeof settings === "string") settings = { url: settings };
  if (!isPlainObject(settings)) {
    fail(null, `remotes.${name} must be a URL or a map of settings with a 'url'`);
  }
  const checked: Record<string, string | number | boolean> = {};
  for (const [field, value] of Object.entries(settings)) {
    const spec = REMOTE_FIELDS[field];
    if (spec === undefined) {
      fail(
        field,
        `unknown remote setting 'remotes.${name}.${field}'${
          didYouMean(field, Object.keys(REMOTE_FIELDS))
        }`,
        `remote settings: ${Object.keys(REMOTE_FIELDS).join(", ")}`,
      );
    }
    checked[field] = checkValue(`remotes.${name}.${field}`, spec, value, (d) => fail(field, d));
  }
  if (checked.url === undefined) fail(null, `remotes.${name} has no 'url'`);
  return checked;
}

/** Every settable key, remote settings shown as `remotes.<name>.<setting>`. */
export function knownConfigKeys(): string[] {
  return [
    ...Object.keys(CONFIG_KEYS),
    ...Object.keys(REMOTE_FIELDS).map((field) => `remotes.<name>.${field}`),
  ];
}

function unknownKeyMessage(key: string): string {
  return `unknown config key '${key}'${didYouMean(key, Object.keys(CONFIG_KEYS))}`;
}

/**
 * How the config key `key` is checked: a {@linkcode CONFIG_KEYS} entry or a
 * remote setting `remotes.<name>.<setting>`.
 *
 * @throws {PivotError} naming the known keys for anything else
 */
export function configKeySpec(key: string): ConfigType {
  const spec = CONFIG_KEYS[key];
  if (spec !== undefined) return spec;
  const match = key.match(/^remotes\.([^.]+)\.([^.]+)$/);
  if (match !== null) {
    const [, name, field] = match as unknown as [string, string, string];
    if (!REMOTE_NAME_PATTERN.test(name)) {
      throw new PivotError(`invalid remote name '${name}': use letters, digits, '_' and '-'`);
    }
    const fieldSpec = REMOTE_FIELDS[field];
    if (fieldSpec !== undefined) return fieldSpec;
    throw new PivotError(
      `unknown remote setting '${field}'${didYouMean(field, Object.keys(REMOTE_FIELDS))}`,
      { hint: `remote settings: ${Object.keys(REMOTE_FIELDS).join(", ")}` },
    );
  }
  throw new PivotError(unknownKeyMessage(key), {
    hint: `known keys: ${knownConfigKeys().join(", ")}`,
  });
}

/**
 * Turns the command-line text `text` into the value of `key` (`"8"` → 8,
 * `"true"` → true) and checks it.
 *
 * @throws {PivotError} naming the key and what it accepts
 */
export function parseConfigValue(key: string, text: string): string | number | boolean {
  const spec = configKeySpec(key);
  let value: unknown = text;
  if (spec.type === "integer" && /^[+-]?\d+$/.test(text.trim())) value = Number(text.trim());
  if (spec.type === "boolean") {
    const lower = text.trim().toLowerCase();
    if (["true", "yes", "on", "1"].includes(lower)) value = true;
    if (["false", "no", "off", "0"].includes(lower)) value = false;
  }
  return checkValue(key, spec, value, (detail) => {
    throw new PivotError(detail);
  });
}

function checkValue(
  key: string,
  spec: ConfigType,
  value: unknown,
  fail: (detail: string) => never,
): string | number | boolean {
  switch (spec.type) {
    case "boolean":
      if (typeof value !== "boolean") fail(`${key} must be true or false`);
      return value as boolean;
    case "string":
      if (typeof value !== "string" || value.trim() === "") {
        fail(`${key} must be a non-empty string`);
      }
      return value as string;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value) || value < spec.min) {
        fail(
          `${key} must be an integer of at least ${spec.min}${
            spec.unit === undefined ? "" : ` (${spec.unit})`
          }`,
        );
      }
      return value as number;
    case "choice":
      if (typeof value !== "string" || !spec.choices.includes(value)) {
        fail(
          `${key} must be one of ${spec.choices.join(", ")}${
            didYouMean(String(value), spec.choices)
          }`,
        );
      }
      return value as string;
    case "choices": {
      const items = Array.isArray(value)
        ? value
        : typeof value === "string"
        ? value.split(",").map((item) => item.trim())
        : [value];
      for (const item of items) {
        if (typeof item !== "string" || !spec.choices.includes(item)) {
          fail(
            `${key} must be one of ${spec.choices.join(", ")}, or several in order of preference${
              didYouMean(String(item), spec.choices)
            }`,
          );
        }
      }
      if (items.length === 0 || new Set(items).size !== items.length) {
        fail(`${key} must name each of ${spec.choices.join(", ")} at most once`);
      }
      return items.join(",");
    }
  }
}

/**
 * The file of per-stage parameter overrides (config `params.overrides`,
 * default `params.yaml` at the project root), or `null` when set to `none`.
 */
export function paramsOverridesFile(root: string, config: Config): string | null {
  const value = configString(config, "params.overrides") ?? "params.yaml";
  return value === "none" ? null : path.resolve(root, value);
}

/** The items of a list setting (`cache.checkout_mode`), or `undefined`. */
export function configList(config: Config, key: string): string[] | undefined {
  const value = configString(config, key);
  return value === undefined ? undefined : value.split(",");
}

/** A number setting, or `undefined`. */
export function configNumber(config: Config, key: string): number | undefined {
  const value = config.values[key];
  return typeof value === "number" ? value : undefined;
}

/** A string setting, or `undefined`. */
export function configString(config: Config, key: string): string | undefined {
  const value = config.values[key];
  return typeof value === "string" ? value : undefined;
}
