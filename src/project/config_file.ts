/**
 * Editing one config file (the project's `.pivot/config.yaml` or the user's
 * `~/.config/pivot/config.yaml`): a change keeps the rest of the file
 * (comments and order included), is validated as a whole before it is
 * written, and is written through a temp file and a rename.
 *
 * @module
 */
import * as path from "node:path";
import type { Document } from "../util/yaml_lib.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import type { EnvReader } from "../util/env_reader.ts";
import { PivotError } from "../util/errors.ts";
import { readTextOrNull } from "../util/fs.ts";
import { type ConfigLayer, parseConfigLayer, projectConfigFile, userConfigFile } from "./config.ts";

/** Which config file: the project's (default) or the user's (`--global`). */
export type ConfigScope = "project" | "user";

/**
 * Where the config files are: the project root (`null` outside a project)
 * and the variables that place the user's file.
 */
export interface ConfigPlace<Root extends string | null = string | null> {
  /** The project root, or `null` outside a project. */
  readonly root: Root;
  /** The variables the command sees (`XDG_CONFIG_HOME`, `HOME`). */
  readonly env: EnvReader;
}

/**
 * The config file of `scope` (the project's needs `place.root`).
 *
 * @throws {PivotError} when the user file has no place (neither `XDG_CONFIG_HOME` nor `HOME` set)
 */
export function configFileOf(scope: ConfigScope, { root, env }: ConfigPlace): string {
  if (scope === "project") {
    if (root === null) throw new PivotError("internal error: project config without a project");
    return projectConfigFile(root);
  }
  const file = userConfigFile(env);
  if (file === null) {
    throw new PivotError("no place for the user config: neither XDG_CONFIG_HOME nor HOME is set", {
      hint: "set HOME (or XDG_CONFIG_HOME), or leave out --global",
    });
  }
  return file;
}

/** How messages show the config file of `scope`. */
export function configFileDisplay(scope: ConfigScope, place: ConfigPlace): string {
  const file = configFileOf(scope, place);
  return scope === "project" && place.root !== null ? path.relative(place.root, file) : file;
}

/**
 * What the config file of `scope` sets (nothing when it does not exist).
 *
 * @throws {PipelineFileError} when it is invalid
 */
export async function readConfigLayer(
  scope: ConfigScope,
  place: ConfigPlace,
): Promise<ConfigLayer> {
  const file = configFileOf(scope, place);
  const text = await readTextOrNull(file);
  if (text === null) return { values: {}, remotes: {} };
  return await parseConfigLayer(text, file, configFileDisplay(scope, place));
}

/**
 * Applies `edit` to the config file of `scope` and writes it back, unless the
 * result is invalid (then nothing is written and the error names the file).
 *
 * @returns what `edit` returned
 * @throws {PipelineFileError} when the edited file would be invalid
 */
export async function editConfigFile<T>(
  scope: ConfigScope,
  place: ConfigPlace,
  edit: (doc: Document) => T,
): Promise<T> {
  const file = configFileOf(scope, place);
  const before = (await readTextOrNull(file)) ?? "";
  const { isMap, parseDocument } = await import("../util/yaml_lib.ts");
  const doc = parseDocument(before);
  if (doc.errors.length > 0 || (doc.contents !== null && !isMap(doc.contents))) {
    // Let the validator describe what is wrong, with its position.
    await parseConfigLayer(before, file, configFileDisplay(scope, place));
    throw new PivotError(`${configFileDisplay(scope, place)}: expected a map of settings`);
  }
  const result = edit(doc);
  const after = isMap(doc.contents) && doc.contents.items.length === 0 ? "" : String(doc);
  await parseConfigLayer(after, file, configFileDisplay(scope, place));
  if (after !== before) atomicWrite(file, after);
  return result;
}
