import assert from "node:assert/strict";
import * as path from "node:path";
import { tempDir } from "../_helpers/files.ts";
import { DirectoryBackend, findOnRemote, type RemoteBackend } from "../../src/remote/mod.ts";
import { hashBytes } from "../../src/storage/mod.ts";

/** A backend that counts the requests made to `inner`. */
function counting(inner: RemoteBackend, counts: { size: number; list: number }): RemoteBackend {
  return {
    indexKey: inner.indexKey,
    size: (key) => {
      counts.size++;
      return inner.size(key);
    },
    list: (prefix) => {
      counts.list++;
      return inner.list(prefix);
    },
    get: (key) => inner.get(key),
    put: (key, body, size) => inner.put(key, body, size),
    delete: (key) => inner.delete(key),
    close: () => inner.close(),
  };
}

async function remoteWith(root: string, contents: string[]): Promise<string[]> {
  const hashes = contents.map((text) => hashBytes(text));
  for (const [i, hash] of hashes.entries()) {
    const file = path.join(root, "files", hash.slice(0, 2), hash.slice(2));
    await Deno.mkdir(path.dirname(file), { recursive: true });
    await Deno.writeTextFile(file, contents[i]!);
  }
  return hashes;
}

Deno.test("findOnRemote() asks per blob for a few, lists blob directories for many, and rejects other sizes", async (t) => {
  await using dir = await tempDir();
  const contents = Array.from({ length: 70 }, (_, i) => `blob number ${i}\n`);
  const present = await remoteWith(dir.path, contents);
  const absent = Array.from({ length: 10 }, (_, i) => hashBytes(`absent ${i}\n`));
  const backend = await DirectoryBackend.open(dir.path);
  const sizes = new Map(present.map((hash, i) => [hash, contents[i]!.length]));
  sizes.set(present[0]!, 999); // the remote copy of this one is not the size of ours

  await t.step("many: one listing per blob directory", async () => {
    const counts = { size: 0, list: 0 };
    const found = await findOnRemote(counting(backend, counts), [...present, ...absent], {
      sizes,
      jobs: 4,
      retry: { retries: 0 },
    });
    assert.deepEqual([...found].sort(), present.slice(1).sort());
    assert.equal(counts.size, 0);
    const dirs = new Set([...present, ...absent].map((hash) => hash.slice(0, 2)));
    assert.equal(counts.list, dirs.size);
  });

  await t.step("few: one request each, none for hashes the index knows", async () => {
    const counts = { size: 0, list: 0 };
    const found = await findOnRemote(counting(backend, counts), [
      ...present.slice(0, 5),
      absent[0]!,
    ], {
      known: new Set([present[1]!, absent[1]!]),
      sizes,
      jobs: 4,
      retry: { retries: 0 },
    });
    assert.deepEqual([...found].sort(), present.slice(1, 5).sort());
    assert.equal(counts.size, 5);
    assert.equal(counts.list, 0);
  });
});
