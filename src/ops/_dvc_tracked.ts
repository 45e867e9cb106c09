/**
 * DVC's `.dvc` files for `import-dvc`: the data each one tracks, whether it
 * is present, and whether it is still the version the file records.
 *
 * @module
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import { parse } from "../util/yaml_lib.ts";
import { SKIPPED_DIRECTORIES } from "../discovery/mod.ts";
import { isPlainObject } from "../pipeline/mod.ts";
import { lstatOrNullSync, readTextOrNullSync } from "../util/fs.ts";
import { isInside } from "../util/paths.ts";

/** One path a `.dvc` file tracks. */
export interface DvcTrackedPath {
  /** Absolute path of the `.dvc` file. */
  readonly dvcFile: string;
  /** Absolute path of the data. */
  readonly data: string;
  /** The MD5 DVC recorded (`….dir` for a directory), or `null`. */
  readonly md5: string | null;
  /** `present`, `missing`, or `outside` (the project). */
  readonly state: "present" | "missing" | "outside";
  /** True when the `.dvc` file records how the data was imported (`deps`). */
  readonly imported: boolean;
}

/** A `.dvc` file that could not be read. */
export interface DvcFileProblem {
  readonly dvcFile: string;
  readonly problem: string;
}

/**
 * Every path tracked by a `.dvc` file below `dir` (skipping `.dvc/`, `.git/`
 * and the directories pipeline discovery skips).
 */
export function findDvcTracked(
  dir: string,
  projectRoot: string,
): { tracked: DvcTrackedPath[]; problems: DvcFileProblem[] } {
  const tracked: DvcTrackedPath[] = [];
  const problems: DvcFileProblem[] = [];
  const walk = (current: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(current)].sort((a, b) => a.name < b.name ? -1 : 1);
    } catch {
      return;
    }
    for (const entry of entries) {
      const child = path.join(current, entry.name);
      if (entry.isDirectory) {
        if (entry.name !== ".dvc" && !SKIPPED_DIRECTORIES.has(entry.name)) walk(child);
      } else if (entry.isFile && entry.name.endsWith(".dvc") && entry.name !== ".dvc") {
        read(child);
      }
    }
  };
  const read = (dvcFile: string) => {
    let data: unknown;
    try {
      data = parse(readTextOrNullSync(dvcFile) ?? "");
    } catch (error) {
      problems.push({
        dvcFile,
        problem: `invalid YAML: ${(error as Error).message.split("\n")[0]}`,
      });
      return;
    }
    const outs = isPlainObject(data) ? data["outs"] : undefined;
    if (!Array.isArray(outs)) {
      problems.push({ dvcFile, problem: "it has no 'outs' list" });
      return;
    }
    const imported = isPlainObject(data) && data["deps"] !== undefined;
    for (const out of outs) {
      if (!isPlainObject(out) || typeof out["path"] !== "string") continue;
      const abs = path.resolve(path.dirname(dvcFile), out["path"]);
      const md5 = out["md5"] ?? out["hash"];
      const state = !isInside(projectRoot, abs) || abs === projectRoot
        ? "outside"
        : lstatOrNullSync(abs) === null
        ? "missing"
        : "present";
      tracked.push({
        dvcFile,
        data: abs,
        md5: typeof md5 === "string" ? md5 : null,
        state,
        imported,
      });
    }
  };
  walk(dir);
  return { tracked, problems };
}

/** The MD5 of a file, as DVC 3 records it (hex). */
export async function md5OfFile(file: string): Promise<string> {
  const hash = createHash("md5");
  // The stream closes the file once read (or cancelled).
  const handle = await Deno.open(file);
  for await (const chunk of handle.readable) hash.update(chunk);
  return hash.digest("hex");
}
