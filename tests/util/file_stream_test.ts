import assert from "node:assert/strict";
import * as path from "node:path";
import { pseudoRandomBytes, tempDir } from "../_helpers/files.ts";
import { fileStream } from "../../src/util/file_stream.ts";

/** The chunks of `stream`, with the size of the buffer behind each. */
async function chunksOf(stream: ReadableStream<Uint8Array>) {
  const chunks: { length: number; buffer: number }[] = [];
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) {
    chunks.push({ length: chunk.length, buffer: chunk.buffer.byteLength });
    parts.push(chunk);
  }
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return { chunks, all };
}

/** Asserts that `file` was closed (by the stream). */
function assertClosed(file: Deno.FsFile): void {
  assert.throws(() => file.close(), Deno.errors.BadResource);
}

Deno.test("fileStream() reads a tiny file into a buffer of its size, not a 64 KiB one, and closes it", async () => {
  await using dir = await tempDir();
  const file = path.join(dir.path, "blob");
  await Deno.writeTextFile(file, "blob 7\n");
  const handle = await Deno.open(file);
  const { chunks, all } = await chunksOf(fileStream(handle, 7));
  assert.equal(new TextDecoder().decode(all), "blob 7\n");
  assert.deepEqual(chunks, [{ length: 7, buffer: 7 }]);
  assertClosed(handle);
});

Deno.test("fileStream() reads an empty file as no chunks", async () => {
  await using dir = await tempDir();
  const file = path.join(dir.path, "empty");
  await Deno.writeFile(file, new Uint8Array());
  const handle = await Deno.open(file);
  const { chunks } = await chunksOf(fileStream(handle, 0));
  assert.deepEqual(chunks, []);
  assertClosed(handle);
});

Deno.test("fileStream() reads a file larger than a chunk in chunks of at most 64 KiB, each its own size", async () => {
  await using dir = await tempDir();
  const file = path.join(dir.path, "big");
  const data = pseudoRandomBytes(150_000);
  await Deno.writeFile(file, data);
  const { chunks, all } = await chunksOf(fileStream(await Deno.open(file), data.length));
  assert.deepEqual(all, data);
  assert.deepEqual(chunks, [
    { length: 65_536, buffer: 65_536 },
    { length: 65_536, buffer: 65_536 },
    { length: 18_928, buffer: 18_928 },
  ]);
});

Deno.test("fileStream() reads a file that grew past the expected size to its end", async () => {
  await using dir = await tempDir();
  const file = path.join(dir.path, "grown");
  await Deno.writeTextFile(file, "first part, then more that was appended\n");
  const { all } = await chunksOf(fileStream(await Deno.open(file), 10));
  assert.equal(new TextDecoder().decode(all), "first part, then more that was appended\n");
});

Deno.test("fileStream() closes the file when the reader cancels", async () => {
  await using dir = await tempDir();
  const file = path.join(dir.path, "big");
  await Deno.writeFile(file, pseudoRandomBytes(200_000));
  const handle = await Deno.open(file);
  const reader = fileStream(handle, 200_000).getReader();
  assert.equal((await reader.read()).value?.length, 65_536);
  await reader.cancel();
  assertClosed(handle);
});
