import * as path from "node:path";
import { didYouMean } from "../util/did_you_mean.ts";
import { PipelineFileError } from "../util/errors.ts";
import { readTextOrNull } from "../util/fs.ts";
import { isPlainObject, type PlainObject } from "../pipeline/mod.ts";
import { parseYamlSource } from "../pipeline/yaml_source.ts";

/** How a config value is checked. */
type ConfigType =
  | { readonly type: "string" }
  | { readonly type: "integer"; readonly min: number }
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
  "core.jobs": { type: "integer", min: 1, doc: "parallel stages (default: CPU count)" },
  "remote.jobs": { type: "integer", min: 1, default: 16, doc: "parallel transfers" },
  "watch.debounce": { type: "integer", min: 0, default: 300, doc: "watch quiet period (ms)" },
  "default_remote": { type: "string", doc: "remote used when -r is not given" },
  "params.overrides": {
    type: "string",
    doc:
      "file of per-stage parameter overrides, relative to the project root (default params.yaml); 'none' reads none, for a DVC params.yaml that the scripts read",
  },
};

/** Sections whose entries are free-form maps (validated by their own commands). */
const MAP_SECTIONS = ["remotes"];

/** The merged configuration: built-in defaults < user config < project config. */
export interface Config {
  /** Flat values by dotted key. */
  readonly values: Readonly<Record<string, string | number>>;
  /** Free-form sections (`remotes`). */
  readonly sections: Readonly<Record<string, PlainObject>>;
}

/** The user config file: `$XDG_CONFIG_HOME/pivot/config.yaml`, else `~/.config/pivot/config.yaml`. */
export function userConfigFile(): string | null {
  const xdg = Deno.env.get("XDG_CONFIG_HOME");
  if (xdg) return path.join(xdg, "pivot", "config.yaml");
  const home = Deno.env.get("HOME");
  return home ? path.join(home, ".config", "pivot", "config.yaml") : null;
}

/**
 * Loads and validates the user and project config files.
 *
 * @throws {PipelineFileError} naming the file, line and key on an unknown key or bad value
 */
export async function loadConfig(projectRoot: string): Promise<Config> {
  const values: Record<string, string | number> = {};
  for (const [key, spec] of Object.entries(CONFIG_KEYS)) {
    if (spec.default !== undefined) values[key] = spec.default;
  }
  const sections: Record<string, PlainObject> = {};
  const files = [userConfigFile(), path.join(projectRoot, ".pivot", "config.yaml")];
  for (const file of files) {
    if (file === null) continue;
    const text = await readTextOrNull(file);
    if (text === null) continue;
    const display = path.relative(projectRoot, file).startsWith("..")
      ? file
      : path.relative(projectRoot, file);
    const { data, locate } = parseYamlSource(text, file, display);
    if (data === null || data === undefined) continue;
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
        if (at.length === 0 && MAP_SECTIONS.includes(name)) {
          if (!isPlainObject(item)) fail(keyPath, `'${name}' must be a map`);
          sections[name] = { ...sections[name], ...item };
          continue;
        }
        if (isPlainObject(item)) {
          walk(item, keyPath);
          continue;
        }
        const spec = CONFIG_KEYS[dotted];
        if (spec === undefined) {
          fail(
            keyPath,
            `unknown config key '${dotted}'${didYouMean(dotted, Object.keys(CONFIG_KEYS))}`,
            `known keys: ${Object.keys(CONFIG_KEYS).join(", ")}`,
          );
        }
        values[dotted] = checkValue(dotted, spec, item, (detail) => fail(keyPath, detail));
      }
    };
    walk(data, []);
  }
  return { values, sections };
}

function checkValue(
  key: string,
  spec: ConfigType,
  value: unknown,
  fail: (detail: string) => never,
): string | number {
  switch (spec.type) {
    case "string":
      if (typeof value !== "string" || value.trim() === "") {
        fail(`${key} must be a non-empty string`);
      }
      return value as string;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value) || value < spec.min) {
        fail(`${key} must be an integer of at least ${spec.min}`);
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

/** A string setting, or `undefined`. */
export function configString(config: Config, key: string): string | undefined {
  const value = config.values[key];
  return typeof value === "string" ? value : undefined;
}
