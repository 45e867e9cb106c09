import assert from "node:assert/strict";
import * as path from "node:path";
import { names, tempDir, tree } from "../_helpers/files.ts";
import { addBlob, blobPath } from "../_helpers/storage.ts";
import {
  DirectoryBackend,
  downloadBlobs,
  hashOfBlobKey,
  type RemoteBackend,
  type TransferEvent,
  uploadBlobs,
} from "../../src/remote/mod.ts";
import { ContentCache, hashBytes, hashFile } from "../../src/storage/mod.ts";

const OPTIONS = { jobs: 4, retry: { retries: 0 } };

Deno.test("uploadBlobs() never spreads a corrupt local blob: nothing reaches the remote, the blob is moved aside", async () => {
  await using dir = await tempDir();
  const cacheDir = path.join(dir.path, "cache");
  const good = await addBlob(cacheDir, "good content\n");
  const bad = await addBlob(cacheDir, "original content\n");
  const badFile = blobPath(cacheDir, bad);
  await Deno.chmod(badFile, 0o644);
  await Deno.writeTextFile(badFile, "edited in place!\n");
  await Deno.mkdir(path.join(dir.path, "remote"));
  const backend = await DirectoryBackend.open(path.join(dir.path, "remote"));
  const events: TransferEvent[] = [];
  const outcome = await uploadBlobs(
    backend,
    new ContentCache(cacheDir),
    [{ hash: good, label: "good" }, { hash: bad, label: "bad" }],
    { ...OPTIONS, onEvent: (event) => events.push(event) },
  );
  assert.deepEqual(outcome.transferred, [good]);
  assert.deepEqual(outcome.corrupt, [bad]);
  assert.deepEqual(outcome.failed, [{
    hash: bad,
    label: "bad",
    reason: `the cached copy is corrupt (its content hashes to ${
      hashBytes("edited in place!\n")
    }); moved it aside, not uploaded`,
  }]);
  assert.deepEqual(
    tree(path.join(dir.path, "remote")),
    [
      "files/",
      `files/${good.slice(0, 2)}/`,
      `files/${good.slice(0, 2)}/${good.slice(2)}`,
      ...(bad.slice(0, 2) === good.slice(0, 2) ? [] : [`files/${bad.slice(0, 2)}/`]),
    ].sort(),
  );
  assert.deepEqual(names(path.dirname(badFile)), [`${bad.slice(2)}.corrupt`]);
  assert.deepEqual(
    events.filter((e) => e.type === "blob").map((e) => e.type === "blob" && e.status).sort(),
    [
      "failed",
      "transferred",
    ],
  );
});

Deno.test("downloadBlobs() stores only verified content: a truncated object fails and leaves no file", async () => {
  await using dir = await tempDir();
  const content = "the whole content\n";
  const hash = hashBytes(content);
  const remoteFile = path.join(dir.path, "remote/files", hash.slice(0, 2), hash.slice(2));
  await Deno.mkdir(path.dirname(remoteFile), { recursive: true });
  await Deno.writeTextFile(remoteFile, content.slice(0, 5));
  const missing = hashBytes("never pushed\n");
  const backend = await DirectoryBackend.open(path.join(dir.path, "remote"));
  const cache = new ContentCache(path.join(dir.path, "cache"));
  const outcome = await downloadBlobs(
    backend,
    cache,
    [{ hash, label: "data.csv" }, { hash: missing, label: "gone.csv" }],
    OPTIONS,
  );
  assert.deepEqual(outcome.transferred, []);
  assert.deepEqual(outcome.notFound, [missing]);
  assert.deepEqual(outcome.failed.map((f) => [f.label, f.reason]).sort(), [
    [
      "data.csv",
      `the remote copy is corrupt or truncated (5 bytes whose content hashes to ${
        hashBytes(content.slice(0, 5))
      }); not stored`,
    ],
    ["gone.csv", "not on the remote"],
  ]);
  assert.equal(cache.has(hash), false);
  for (const prefix of names(cache.filesDir)) {
    assert.deepEqual(names(path.join(cache.filesDir, prefix)), [], "no temp file left");
  }

  await Deno.chmod(remoteFile, 0o644);
  await Deno.writeTextFile(remoteFile, content);
  const again = await downloadBlobs(backend, cache, [{ hash, label: "data.csv" }], OPTIONS);
  assert.deepEqual(again.transferred, [hash]);
  assert.equal(await Deno.readTextFile(cache.blobPath(hash)), content);
  assert.equal((await Deno.stat(cache.blobPath(hash))).mode! & 0o777, 0o444);
});

Deno.test("downloadBlobs() checks a streamed download as it checks a copy: a corrupt object from a remote that cannot copy is not stored", async () => {
  await using dir = await tempDir();
  const content = "the whole content\n";
  const hash = hashBytes(content);
  const remoteFile = path.join(dir.path, "remote/files", hash.slice(0, 2), hash.slice(2));
  await Deno.mkdir(path.dirname(remoteFile), { recursive: true });
  await Deno.writeTextFile(remoteFile, "the whole c0ntent\n");
  const directory = await DirectoryBackend.open(path.join(dir.path, "remote"));
  // As a remote reached over a network: its objects come as streams only.
  const streaming: RemoteBackend = {
    indexKey: directory.indexKey,
    size: (key) => directory.size(key),
    list: (prefix) => directory.list(prefix),
    get: (key) => directory.get(key),
    put: (key, body, size) => directory.put(key, body, size),
    delete: (key) => directory.delete(key),
    close: () => directory.close(),
  };
  const cache = new ContentCache(path.join(dir.path, "cache"));
  const outcome = await downloadBlobs(streaming, cache, [{ hash, label: "data.csv" }], OPTIONS);
  assert.deepEqual(outcome.failed.map((f) => f.reason), [
    `the remote copy is corrupt or truncated (18 bytes whose content hashes to ${
      hashBytes("the whole c0ntent\n")
    }); not stored`,
  ]);
  assert.equal(cache.has(hash), false);
  assert.deepEqual(names(path.join(cache.filesDir, hash.slice(0, 2))), [], "no temp file left");
});

Deno.test("ContentCache.verified() does not read again a blob a download just checked and stored, unless it changed since", async () => {
  await using dir = await tempDir();
  const content = "downloaded content\n";
  const hash = hashBytes(content);
  const remoteFile = path.join(dir.path, "remote/files", hash.slice(0, 2), hash.slice(2));
  await Deno.mkdir(path.dirname(remoteFile), { recursive: true });
  await Deno.writeTextFile(remoteFile, content);
  const cache = new ContentCache(path.join(dir.path, "cache"));
  const read: string[] = [];
  cache.useVerifier({
    hashFile: (file) => {
      read.push(file);
      return hashFile(file);
    },
  });
  const backend = await DirectoryBackend.open(path.join(dir.path, "remote"));
  const outcome = await downloadBlobs(backend, cache, [{ hash, label: "data.csv" }], OPTIONS);
  assert.deepEqual(outcome.transferred, [hash]);
  assert.equal(await cache.verified(hash), true);
  assert.deepEqual(read, [], "hashed on its way in: not read again");
  // Edited in place since (as root can, whatever the mode), then made read-only again.
  const blob = cache.blobPath(hash);
  await Deno.chmod(blob, 0o644);
  await Deno.writeTextFile(blob, "edited in place!\n");
  await Deno.chmod(blob, 0o444);
  assert.equal(await cache.verified(hash), false);
  assert.deepEqual(read, [blob]);
  assert.deepEqual(cache.quarantined, [hash]);
});

Deno.test("hashOfBlobKey() accepts only well-formed blob keys from a listing", () => {
  assert.equal(hashOfBlobKey("files/ab/cdef0123456789"), "abcdef0123456789");
  for (
    const key of [
      "files/ab/cdef012345678",
      "files/AB/cdef0123456789",
      "files/ab/.cdef0123456789.x.tmp",
      "files/ab/../cdef01234567",
      "files/abc/def0123456789",
      "runs/ab/cdef0123456789",
    ]
  ) {
    assert.equal(hashOfBlobKey(key), null, key);
  }
});

Deno.test("uploadBlobs() and DirectoryBackend.get() move a small blob in a buffer of its size, not 64 KiB", async () => {
  // Thousands of blobs each read through a 64 KiB buffer left hundreds of MB for the
  // garbage collector: the peak memory of a push or pull grew with the count of blobs.
  await using dir = await tempDir();
  const cacheDir = path.join(dir.path, "cache");
  const hashes = await Promise.all(["blob 1\n", "blob 22\n"].map((c) => addBlob(cacheDir, c)));
  await Deno.mkdir(path.join(dir.path, "remote"));
  const directory = await DirectoryBackend.open(path.join(dir.path, "remote"));
  const sent: string[] = [];
  const recording = Object.assign(Object.create(directory), {
    put: (key: string, body: ReadableStream<Uint8Array>, size: number) =>
      directory.put(
        key,
        body.pipeThrough(
          new TransformStream({
            transform(chunk, controller) {
              sent.push(`${chunk.length} in ${chunk.buffer.byteLength}`);
              controller.enqueue(chunk);
            },
          }),
        ),
        size,
      ),
  });
  const items = hashes.map((hash) => ({ hash, label: hash }));
  const up = await uploadBlobs(recording, new ContentCache(cacheDir), items, OPTIONS);
  assert.deepEqual(up.transferred.toSorted(), hashes.toSorted());
  assert.deepEqual(sent.toSorted(), ["7 in 7", "8 in 8"]);
  const received: string[] = [];
  for (const hash of hashes) {
    for await (const chunk of await directory.get(`files/${hash.slice(0, 2)}/${hash.slice(2)}`)) {
      received.push(`${chunk.length} in ${chunk.buffer.byteLength}`);
    }
  }
  assert.deepEqual(received.toSorted(), ["7 in 7", "8 in 8"]);
  const down = await downloadBlobs(
    directory,
    new ContentCache(path.join(dir.path, "copy")),
    items,
    OPTIONS,
  );
  assert.deepEqual(down.transferred.toSorted(), hashes.toSorted());
});
