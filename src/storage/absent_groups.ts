/**
 * Absent paths of a no-op stamp by directory: most `.pvt` files that could
 * track an input do not exist, and a stamp holds them as the signature of
 * their directory with their names. While the directory keeps that
 * signature (taken outside the racy window), no entry of it was added,
 * removed or renamed, so all are still absent: one `stat` instead of one
 * each. When it changed, each is looked at again. Kept light: the no-op
 * fast path reads them.
 *
 * @module
 */
import * as path from "node:path";
import { ABSENT, fileSignature, fileSignatureText } from "./file_signature.ts";
import { settledBefore } from "./racy_window.ts";
import type { PreciseStat } from "../util/precise_stat.ts";

/** Names absent from a directory (no entry, not even a dangling symlink). */
export interface AbsentGroup {
  /** The directory (absolute), as its entries' paths hold it. */
  readonly dir: string;
  /**
   * Its signature, taken outside the racy window of when the names were
   * found absent; `null` when it was not: each name is then looked at.
   */
  readonly signature: string | null;
  readonly names: readonly string[];
}

/** Splits an absolute `file` into its directory and name (the platform's separators). */
function split(file: string): { dir: string; name: string } {
  return { dir: path.dirname(file), name: path.basename(file) };
}

/**
 * Pushes onto `changed` the paths of `groups` that exist now (at most
 * `limit` in all); a group whose directory keeps its signature has none.
 */
export function pushPresentPaths(
  groups: readonly AbsentGroup[],
  stats: PreciseStat,
  changed: string[],
  limit = Infinity,
): void {
  for (const group of groups) {
    if (group.signature !== null && fileSignatureText(stats, group.dir) === group.signature) {
      continue;
    }
    for (const name of group.names) {
      if (changed.length >= limit) return;
      const file = path.join(group.dir, name);
      if (fileSignatureText(stats, file, true) !== ABSENT) changed.push(file);
    }
  }
}

/**
 * The absent paths of one stamp being taken: those of an earlier stamp
 * carried over, and those found absent now.
 */
export class AbsentGroupsBuilder {
  readonly #carried: { dir: string; signature: string | null; names: Set<string> }[];
  /** Names found absent now, by directory, with the earliest moment each must be settled by. */
  readonly #found = new Map<string, { names: string[]; at: number }>();

  /** Starts from the groups of an earlier stamp, carried over as they are. */
  constructor(carried: readonly AbsentGroup[] = []) {
    this.#carried = carried.map((group) => ({ ...group, names: new Set(group.names) }));
  }

  /** True when `file` is absent in a carried group (its signature there: absent). */
  carries(file: string): boolean {
    const { dir, name } = split(file);
    return this.#carried.some((group) => group.dir === dir && group.names.has(name));
  }

  /** Takes `file` out of the carried groups: it is recorded anew. */
  forget(file: string): void {
    // Asked for every path a stamp records (30,000 of a fresh run of 10,000 stages).
    if (this.#carried.length === 0) return;
    const { dir, name } = split(file);
    for (const group of this.#carried) if (group.dir === dir) group.names.delete(name);
  }

  /** Records `file`, found to have no entry at all (`lstat`), as absent, read at `at`. */
  add(file: string, at: number): void {
    this.forget(file);
    const { dir, name } = split(file);
    const found = this.#found.get(dir);
    if (found === undefined) this.#found.set(dir, { names: [name], at });
    else {
      found.names.push(name);
      found.at = Math.min(found.at, at);
    }
  }

  /**
   * The groups: the carried ones, and one per directory of the names found
   * absent, under the directory's signature now when it is settled before
   * their earliest reading (else none: each is looked at). Groups of a
   * directory with the same signature are one.
   */
  build(stats: PreciseStat): AbsentGroup[] {
    const groups = new Map<string, { dir: string; signature: string | null; names: string[] }>();
    const put = (dir: string, signature: string | null, names: Iterable<string>) => {
      const key = JSON.stringify([dir, signature]);
      const group = groups.get(key) ?? { dir, signature, names: [] };
      group.names.push(...names);
      groups.set(key, group);
    };
    for (const group of this.#carried) {
      if (group.names.size > 0) put(group.dir, group.signature, group.names);
    }
    for (const [dir, { names, at }] of this.#found) {
      const signature = fileSignature(stats, dir, true);
      const settled = signature !== null && signature.text.startsWith("d:") &&
        settledBefore(signature, at);
      put(dir, settled ? signature.text : null, names);
    }
    return [...groups.values()].map((group) => ({ ...group, names: [...new Set(group.names)] }));
  }
}
