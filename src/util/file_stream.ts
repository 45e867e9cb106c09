/**
 * A file as a stream of chunks sized to the file. `Deno.FsFile.readable`
 * allocates a 64 KiB buffer for every read, so streaming thousands of tiny
 * blobs leaves hundreds of megabytes of buffers for the garbage collector
 * (collected late: peak memory grows with the count of files, not their
 * size); here a file of `n` bytes costs about `n` bytes.
 *
 * @module
 */

/** The largest chunk read at once. */
const CHUNK_SIZE = 64 * 1024;

/**
 * The content of `file` (open for reading, at its start) as a stream,
 * expecting about `size` bytes: each read asks for what is left of `size`
 * (at most 64 KiB), then one byte to see the end (a file that grew is read
 * on in 64 KiB chunks). The file is closed at its end, on cancel and on a
 * read error.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileStream } from "./file_stream.ts";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hello");
 * const text = await new Response(fileStream(await Deno.open(path), 5)).text();
 * assert.equal(text, "hello");
 * await Deno.remove(path);
 * ```
 */
export function fileStream(file: Deno.FsFile, size: number): ReadableStream<Uint8Array> {
  let left = size;
  const close = () => {
    try {
      file.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buffer = new Uint8Array(
        left > 0 ? Math.min(left, CHUNK_SIZE) : left === 0 ? 1 : CHUNK_SIZE,
      );
      let count: number | null;
      try {
        count = await file.read(buffer);
      } catch (error) {
        close();
        controller.error(error);
        return;
      }
      if (count === null) {
        close();
        controller.close();
        return;
      }
      // Past the expected size: the file grew, read on in whole chunks.
      left = left > 0 ? left - count : -1;
      controller.enqueue(count === buffer.length ? buffer : buffer.slice(0, count));
    },
    cancel() {
      close();
    },
  }, { highWaterMark: 0 });
}
