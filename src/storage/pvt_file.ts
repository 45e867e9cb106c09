/**
 * `.pvt` files: the record of a tracked data file or directory, stored next
 * to it (`data.csv` → `data.csv.pvt`) and meant to be committed.
 *
 * @module
 */
import * as path from "node:path";
import { atomicWrite } from "../util/atomic_write.ts";
import { PivotError } from "../util/errors.ts";
import { readTextOrNull } from "../util/fs.ts";
import { shellQuote } from "../util/shell_quote.ts";
import {
  checkCount,
  checkFields,
  checkKnownKeys,
  checkManifest,
  checkString,
  manifestFields,
} from "./_fields.ts";
import { metadataYaml, parseMetadataYaml } from "./_yaml_out.ts";
import { checkHash } from "./hash_string.ts";
import { type HashInfo, isDirHash } from "./manifest.ts";

/** The suffix of tracking files. */
export const PVT_SUFFIX = ".pvt";

/** What a `.pvt` file records. */
export interface PvtRecord {
  /** The tracked path's base name (it sits beside the `.pvt`). */
  readonly path: string;
  /** The file's hash, or the directory's tree hash and manifest. */
  readonly info: HashInfo;
  /** Size in bytes (the sum of the files for a directory). */
  readonly size: number;
}

/** The `.pvt` file of `dataPath` (trailing slashes dropped). */
export function pvtPathFor(dataPath: string): string {
  return dataPath.replace(/\/+$/, "") + PVT_SUFFIX;
}

/** The data path a `.pvt` file tracks. */
export function dataPathFor(pvtPath: string): string {
  return pvtPath.slice(0, -PVT_SUFFIX.length);
}

/** The `.pvt` text: `path`, `hash`, `size`, and `num_files` + `manifest` for a directory. */
export function serializePvt(record: PvtRecord): string {
  const { info } = record;
  return metadataYaml({
    path: record.path,
    hash: info.hash,
    size: record.size,
    ...(isDirHash(info)
      ? { num_files: info.manifest.length, manifest: manifestFields(info.manifest) }
      : {}),
  });
}

/** Writes the `.pvt` of the tracked path `dataPath` atomically. */
export function writePvtFile(dataPath: string, info: HashInfo, size: number): void {
  atomicWrite(
    pvtPathFor(dataPath),
    serializePvt({ path: path.basename(dataPath), info, size }),
  );
}

/**
 * Parses and validates `.pvt` text for the file `pvtPath`: no keys beyond
 * the five known ones, `path` equal to the data file's base name, a valid
 * hash, and for a directory a manifest matching it.
 *
 * @throws {PivotError} describing the first problem
 */
export async function parsePvt(text: string, pvtPath: string): Promise<PvtRecord> {
  const data = await parseMetadataYaml(text);
  const fields = checkFields(data, "pvt");
  checkKnownKeys(fields, ["path", "hash", "size", "num_files", "manifest"], "pvt");
  const expected = path.basename(dataPathFor(pvtPath));
  const name = checkString(fields.path, "path");
  if (name !== expected) {
    throw new PivotError(`path: expected '${expected}' (the file beside it), found '${name}'`);
  }
  const hash = checkHash(fields.hash, "hash");
  const size = checkCount(fields.size, "size");
  if (fields.manifest === undefined) {
    if (fields.num_files !== undefined) throw new PivotError("num_files: only for directories");
    return { path: name, info: { hash }, size };
  }
  const manifest = checkManifest(fields.manifest, hash, "manifest");
  if (checkCount(fields.num_files, "num_files") !== manifest.length) {
    throw new PivotError(
      `num_files: ${fields.num_files} but the manifest lists ${manifest.length}`,
    );
  }
  const total = manifest.reduce((sum, entry) => sum + entry.size, 0);
  if (size !== total) throw new PivotError(`size: ${size} but the manifest sums to ${total}`);
  return { path: name, info: { hash, manifest }, size };
}

/**
 * Reads the `.pvt` file at `pvtPath`, or `null` when it does not exist.
 * Messages show it as `display` (a project-relative path).
 *
 * @throws {PivotError} naming the file when it is malformed
 */
export async function readPvtFile(
  pvtPath: string,
  display: string = pvtPath,
): Promise<PvtRecord | null> {
  const text = await readTextOrNull(pvtPath);
  if (text === null) return null;
  try {
    return await parsePvt(text, pvtPath);
  } catch (error) {
    if (!(error instanceof PivotError)) throw error;
    throw new PivotError(`malformed tracking file ${display}: ${error.message}`, {
      hint: `restore it from git (git checkout -- ${
        shellQuote(display)
      }) or record the data again (pivot track --force ${shellQuote(dataPathFor(display))})`,
    });
  }
}
