/**
 * xxHash64 (seed 0) of bytes and files, as 16 lowercase hex characters.
 *
 * @module
 */
// The package's ES module, not its `main` (a UMD bundle): loading that goes through the
// CommonJS loader, which costs a command ~10 ms to start.
// @ts-types="hash-wasm/dist/lib/index.d.ts"
import { createXXHash64, type IHasher } from "hash-wasm/dist/index.esm.js";

/** Files up to this size are read whole; larger ones are streamed. */
const WHOLE_READ_LIMIT = 4 * 1024 * 1024;
/** Chunk size for streamed reads; two chunks are in flight at once. */
const CHUNK_SIZE = 4 * 1024 * 1024;

/**
 * A hasher used only by synchronous code paths, so calls never interleave:
 * one WebAssembly instance per thread, set once when it is compiled (a
 * tool, not a cache: it holds nothing between calls).
 */
// deno-lint-ignore pivot/no-module-state
let shared: IHasher | null = null;

/**
 * Settles once {@linkcode hashBytes} can be called: the WebAssembly hasher
 * is compiled asynchronously. Entry points await it once; a top-level await
 * here would break the lazily initialised modules of `deno bundle`.
 */
export const xxhashReady: Promise<void> = createXXHash64(0, 0).then((hasher) => {
  shared = hasher;
});

/** A fresh incremental xxHash64 hasher, for data that arrives in pieces. */
export function createHasher(): Promise<IHasher> {
  return createXXHash64(0, 0);
}

/**
 * The xxHash64 of `data`.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashBytes, xxhashReady } from "./xxhash.ts";
 *
 * await xxhashReady;
 * assert.equal(hashBytes(new TextEncoder().encode("abc")), "44bc2cf5ad770999");
 * ```
 */
export function hashBytes(data: Uint8Array | string): string {
  if (shared === null) throw new Error("internal error: hashBytes() before xxhashReady settled");
  shared.init();
  shared.update(data);
  return shared.digest("hex");
}

/** The xxHash64 of a file read synchronously in one piece (for small files). */
export function hashFileSync(file: string): string {
  return hashBytes(Deno.readFileSync(file));
}

/**
 * The xxHash64 of a file's content. Small files are read whole; large ones
 * are streamed with the next chunk read while the current one is hashed, so
 * memory stays at two chunks whatever the file size.
 */
export async function hashFile(file: string): Promise<string> {
  const handle = await Deno.open(file);
  try {
    const { size } = await handle.stat();
    if (size <= WHOLE_READ_LIMIT) {
      const data = new Uint8Array(size);
      const read = await readFull(handle, data);
      // A file that grew since stat: fall back to streaming from the start.
      if (read === size && (await handle.read(new Uint8Array(1))) === null) {
        return hashBytes(data);
      }
      await handle.seek(0, Deno.SeekMode.Start);
    }
    return await hashStream(handle);
  } finally {
    handle.close();
  }
}

async function hashStream(handle: Deno.FsFile): Promise<string> {
  const hasher = await createHasher();
  hasher.init();
  let next = new Uint8Array(CHUNK_SIZE);
  let spare = new Uint8Array(CHUNK_SIZE);
  let pending = readFull(handle, next);
  for (;;) {
    const count = await pending;
    if (count === 0) break;
    const current = next;
    next = spare;
    spare = current;
    pending = count < CHUNK_SIZE ? Promise.resolve(0) : readFull(handle, next);
    hasher.update(count === CHUNK_SIZE ? current : current.subarray(0, count));
  }
  return hasher.digest("hex");
}

/** Reads until `buffer` is full or the file ends; returns the byte count. */
export async function readFull(handle: Deno.FsFile, buffer: Uint8Array): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const count = await handle.read(buffer.subarray(filled));
    if (count === null) break;
    filled += count;
  }
  return filled;
}
