/**
 * What `import-dvc` reads besides `dvc.yaml`: variables and parameter files
 * (YAML or JSON), flattened to dotted names as DVC addresses them, and the
 * directories `dvc.lock` records.
 *
 * @module
 */
import * as path from "node:path";
import { parse } from "../util/yaml_lib.ts";
import { isPlainObject, type PlainObject } from "../pipeline/mod.ts";
import { readTextOrNullSync } from "../util/fs.ts";

/** A variables or parameters file, flattened. */
export interface ValueFile {
  /** Absolute path. */
  readonly file: string;
  /** Every value by dotted name (`train.lr`; maps and lists too). */
  readonly values: ReadonlyMap<string, unknown>;
}

/** Adds every value of `map` to `into` under its dotted name. */
export function flatten(map: PlainObject, into: Map<string, unknown>, prefix = ""): void {
  for (const [key, value] of Object.entries(map)) {
    into.set(`${prefix}${key}`, value);
    if (isPlainObject(value)) flatten(value, into, `${prefix}${key}.`);
  }
}

/** Why a values file could not be read. */
export type ValueFileProblem = "missing" | "unsupported" | "invalid";

/**
 * Reads a YAML or JSON file of values; a TOML or Python file (which DVC also
 * reads) is `unsupported`.
 */
export function readValueFile(file: string): ValueFile | ValueFileProblem {
  if (!/\.(ya?ml|json)$/i.test(file)) return "unsupported";
  const text = readTextOrNullSync(file);
  if (text === null) return "missing";
  let data: unknown;
  try {
    data = parse(text);
  } catch {
    return "invalid";
  }
  const values = new Map<string, unknown>();
  if (data === null || data === undefined) return { file, values };
  if (!isPlainObject(data)) return "invalid";
  flatten(data, values);
  return { file, values };
}

/**
 * The absolute paths `dvc.lock` records as directories (an `md5` ending in
 * `.dir`, or a file count), resolving each stage's paths against its working
 * directory (`wdirOf(base stage name)`). An unreadable lock gives none.
 */
export function lockedDirectories(
  lockFile: string,
  wdirOf: (stage: string) => string,
): Set<string> {
  const dirs = new Set<string>();
  const text = readTextOrNullSync(lockFile);
  if (text === null) return dirs;
  let data: unknown;
  try {
    data = parse(text);
  } catch {
    return dirs;
  }
  if (!isPlainObject(data) || !isPlainObject(data["stages"])) return dirs;
  for (const [name, stage] of Object.entries(data["stages"])) {
    if (!isPlainObject(stage)) continue;
    const wdir = wdirOf(name.split("@")[0]!);
    for (const section of ["outs", "deps"]) {
      const entries = stage[section];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (!isPlainObject(entry) || typeof entry["path"] !== "string") continue;
        const md5 = entry["md5"] ?? entry["hash"];
        if ((typeof md5 === "string" && md5.endsWith(".dir")) || entry["nfiles"] !== undefined) {
          dirs.add(path.resolve(wdir, entry["path"]));
        }
      }
    }
  }
  return dirs;
}
