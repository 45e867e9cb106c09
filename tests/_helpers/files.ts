/**
 * File-system helpers for tests: deterministic bytes, existence and mode
 * checks, directory listings and self-removing temporary directories.
 * Importing it also waits for the xxHash64 WebAssembly module, so tests can
 * call `hashBytes` (directly or through the code under test) from the start,
 * as the CLI does after its own `await xxhashReady`.
 *
 * @module
 */
import * as path from "node:path";
import { xxhashReady } from "../../src/storage/xxhash.ts";
import { lstatOrNullSync } from "../../src/util/fs.ts";

await xxhashReady;

/**
 * `size` bytes of deterministic pseudo-random data (xorshift32 from `seed`),
 * so that every position matters to a hash.
 */
export function pseudoRandomBytes(size: number, seed = 0x9e3779b9): Uint8Array {
  const data = new Uint8Array(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    data[i] = x & 0xff;
  }
  return data;
}

/** Permission bits of `file` (not following symlinks). */
export function modeOf(file: string): number {
  return (Deno.lstatSync(file).mode ?? 0) & 0o777;
}

/** True when `file` exists (not following symlinks: a dangling link exists). */
export function exists(file: string): boolean {
  return lstatOrNullSync(file) !== null;
}

/** Names in `dir`, sorted; `[]` when it does not exist. */
export function names(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((entry) => entry.name).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/**
 * Every path under `dir` (relative, `/`-separated, directories with a trailing
 * `/`), sorted, without following symlinks.
 */
export function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const entry of Deno.readDirSync(abs)) {
      const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory) {
        out.push(`${childRel}/`);
        walk(path.join(abs, entry.name), childRel);
      } else {
        out.push(childRel);
      }
    }
  };
  walk(dir, "");
  return out.sort();
}

/** A temporary directory that removes itself (and all it holds) on dispose. */
export interface TempDir extends AsyncDisposable {
  /** Absolute (real) path of the directory. */
  readonly path: string;
}

/** Creates a fresh temporary directory named `<prefix>…`: `await using dir = await tempDir()`. */
export async function tempDir(prefix = "pivot_test_"): Promise<TempDir> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  return { path: dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}
