/**
 * Values filed under paths, found again by any path that touches one: the
 * path itself, a path inside it (a file in a directory dependency), or a
 * directory around it (a directory of inputs moved away).
 *
 * @module
 */
import * as path from "node:path";
import { isInside } from "../util/paths.ts";

/**
 * Paths under one root, each with values. A lookup walks the path's
 * ancestors (a trie walk, one map probe per level), so its cost does not
 * grow with the number of paths filed.
 *
 * @example Finding the consumer of a file inside a directory dependency
 * ```ts
 * import assert from "node:assert/strict";
 * import { PathIndex } from "./path_index.ts";
 *
 * const index = new PathIndex<string>("/p");
 * index.add("/p/data/images", "train");
 * index.add("/p/data/raw.csv", "prepare");
 * assert.deepEqual([...index.find("/p/data/images/cat.png")], ["train"]);
 * assert.deepEqual([...index.find("/p/data")].sort(), ["prepare", "train"]);
 * assert.deepEqual([...index.find("/p/other.csv")], []);
 * ```
 */
export class PathIndex<T> {
  readonly #root: string;
  /** Values by the path they were filed under. */
  readonly #at = new Map<string, Set<T>>();
  /** Values by each directory (below the root) around a path they were filed under. */
  readonly #around = new Map<string, Set<T>>();

  /** An empty index of paths under `root`. */
  constructor(root: string) {
    this.#root = root;
  }

  /** Files `value` under `file` (absolute, normalised). */
  add(file: string, value: T): void {
    addTo(this.#at, file, value);
    for (let dir = path.dirname(file); this.#below(dir); dir = path.dirname(dir)) {
      addTo(this.#around, dir, value);
    }
  }

  /** The values filed under `file`, under a directory around it, or under a path inside it. */
  find(file: string): Set<T> {
    const found = new Set<T>();
    for (let at = file;; at = path.dirname(at)) {
      for (const value of this.#at.get(at) ?? []) found.add(value);
      if (!this.#below(at)) break;
    }
    for (const value of this.#around.get(file) ?? []) found.add(value);
    return found;
  }

  /** True for a path strictly below the root. */
  #below(dir: string): boolean {
    return dir !== this.#root && path.dirname(dir) !== dir && isInside(this.#root, dir);
  }
}

function addTo<T>(map: Map<string, Set<T>>, key: string, value: T): void {
  let values = map.get(key);
  if (values === undefined) map.set(key, values = new Set());
  values.add(value);
}
