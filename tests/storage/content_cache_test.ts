import assert from "node:assert/strict";
import * as path from "node:path";
import { ContentCache, hashBytes, STALE_TEMP_MS } from "../../src/storage/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { openPreciseStat } from "../../src/util/precise_stat.ts";
import { exists, modeOf, names, pseudoRandomBytes, tempDir } from "../_helpers/files.ts";
import { makeProject } from "../_helpers/project.ts";

const encoder = new TextEncoder();

/** A temporary directory holding a cache at `<root>/cache` and source files at `<root>/src`. */
async function setup() {
  const project = await makeProject({}, { init: false });
  const cache = new ContentCache(project.path("cache"));
  return {
    project,
    cache,
    /** Writes `data` to `src/<name>` and returns its absolute path. */
    source: async (name: string, data: Uint8Array | string): Promise<string> => {
      const file = project.path(path.join("src", name));
      await Deno.mkdir(path.dirname(file), { recursive: true });
      await Deno.writeFile(file, typeof data === "string" ? encoder.encode(data) : data);
      return file;
    },
    /** Stores `text` in the cache as `label`; returns its bytes, hash and blob path. */
    store: async (text: string, label: string) => {
      const data = encoder.encode(text);
      const hash = hashBytes(data);
      await cache.addBytes(data, hash, label);
      return { data, hash, blob: cache.blobPath(hash) };
    },
    [Symbol.asyncDispose]: () => project[Symbol.asyncDispose](),
  };
}

function isPivotError(error: unknown): boolean {
  assert.ok(error instanceof PivotError, `expected a PivotError, got ${String(error)}`);
  return true;
}

Deno.test("ContentCache.addFile() writes a read-only blob at files/<2 hex>/<14 hex>", async () => {
  await using s = await setup();
  const content = "hello, cache\n";
  const hash = hashBytes(content);
  const file = await s.source("hello.txt", content);

  await s.cache.addFile(file, hash);

  const blob = path.join(s.project.root, "cache", "files", hash.slice(0, 2), hash.slice(2));
  assert.equal(hash.slice(2).length, 14);
  assert.equal(s.cache.blobPath(hash), blob);
  assert.ok(Deno.lstatSync(blob).isFile);
  assert.equal(modeOf(blob), 0o444);
  assert.equal(await Deno.readTextFile(blob), content);
  // Only the blob: the temp file was renamed into place.
  assert.deepEqual(names(path.dirname(blob)), [hash.slice(2)]);
  // The source is left as it was.
  assert.equal(await Deno.readTextFile(file), content);
  assert.equal(modeOf(file) & 0o200, 0o200);
  assert.equal(s.cache.has(hash), true);
});

Deno.test("ContentCache.addFile() does not rewrite a blob that is already cached", async () => {
  await using s = await setup();
  const content = "same content twice\n";
  const hash = hashBytes(content);
  const first = await s.source("first.txt", content);
  const second = await s.source("second.txt", content);

  await s.cache.addFile(first, hash);
  const blob = s.cache.blobPath(hash);
  const before = Deno.statSync(blob);
  await new Promise((resolve) => setTimeout(resolve, 30));
  await s.cache.addFile(second, hash);
  const after = Deno.statSync(blob);

  assert.equal(after.ino, before.ino);
  assert.equal(after.mtime?.getTime(), before.mtime?.getTime());
  assert.equal(after.ctime?.getTime(), before.ctime?.getTime());
  assert.equal(after.nlink, 1);
  assert.deepEqual(names(path.dirname(blob)), [hash.slice(2)]);
});

Deno.test("ContentCache.addFile() rejects content that does not match the hash and leaves nothing behind", async () => {
  await using s = await setup();
  const file = await s.source("actual.txt", "actual content\n");
  const claimed = hashBytes("the content that was recorded\n");

  await assert.rejects(s.cache.addFile(file, claimed), (error: unknown) => {
    isPivotError(error);
    assert.match((error as Error).message, new RegExp(`expected ${claimed}`));
    assert.match((error as Error).message, new RegExp(`got ${hashBytes("actual content\n")}`));
    return true;
  });

  const blob = s.cache.blobPath(claimed);
  assert.equal(exists(blob), false);
  assert.deepEqual(names(path.dirname(blob)), [], "no blob and no temp file in the blob dir");
  assert.deepEqual([...s.cache.listBlobs()], []);
  assert.deepEqual([...s.cache.listLeftovers(Date.now() + 10 * STALE_TEMP_MS)], []);
  assert.equal(s.cache.has(claimed), false);
});

Deno.test("ContentCache.addFile() streams files larger than 4 MiB", async (t) => {
  const MiB = 1024 * 1024;
  const sizes: [string, number][] = [
    ["4 MiB + 1 byte", 4 * MiB + 1],
    ["exactly two chunks (8 MiB)", 8 * MiB],
    ["two chunks and a tail", 8 * MiB + 12345],
  ];
  for (const [label, size] of sizes) {
    await t.step(label, async () => {
      await using s = await setup();
      const data = pseudoRandomBytes(size, size);
      const hash = hashBytes(data);
      const file = await s.source("big.bin", data);

      await s.cache.addFile(file, hash);

      const blob = s.cache.blobPath(hash);
      assert.equal(modeOf(blob), 0o444);
      const stored = await Deno.readFile(blob);
      assert.equal(stored.length, size);
      assert.ok(stored.every((byte, i) => byte === data[i]), "blob content differs from source");
      assert.deepEqual(names(path.dirname(blob)), [hash.slice(2)]);
    });
  }

  await t.step("a wrong hash is rejected on the streamed path too", async () => {
    await using s = await setup();
    const data = pseudoRandomBytes(6 * MiB);
    const file = await s.source("big.bin", data);
    data[data.length - 1] = data[data.length - 1]! ^ 0xff;
    const claimed = hashBytes(data);

    await assert.rejects(s.cache.addFile(file, claimed), isPivotError);

    assert.equal(exists(s.cache.blobPath(claimed)), false);
    assert.deepEqual(names(path.dirname(s.cache.blobPath(claimed))), []);
  });
});

Deno.test("ContentCache.addBytes() stores verified bytes and rejects a wrong hash", async () => {
  await using s = await setup();
  const data = encoder.encode("bytes from a remote\n");
  const hash = hashBytes(data);

  await s.cache.addBytes(data, hash, "remote blob");
  const blob = s.cache.blobPath(hash);
  assert.equal(modeOf(blob), 0o444);
  assert.deepEqual(await Deno.readFile(blob), data);

  const claimed = hashBytes("something else");
  await assert.rejects(s.cache.addBytes(data, claimed, "remote blob xyz"), (error: unknown) => {
    isPivotError(error);
    assert.match((error as Error).message, /^remote blob xyz does not match its recorded hash/);
    return true;
  });
  assert.equal(exists(s.cache.blobPath(claimed)), false);
  assert.deepEqual(names(path.dirname(s.cache.blobPath(claimed))), []);
  assert.deepEqual([...s.cache.listBlobs()].map((info) => info.hash), [hash]);
});

Deno.test("ContentCache.blobPath() rejects malformed hashes before touching disk", async (t) => {
  await using s = await setup();
  const file = await s.source("f.txt", "x");
  // A cache directory that does not exist: any write would create it.
  const cache = new ContentCache(s.project.path("never-created"));
  const bad = [
    "../../etc/passwd",
    "0123456789ABCDEF",
    "0123456789abcdeF",
    "abc123",
    "0123456789abcde",
    "0123456789abcdef0",
    "0123456789abcdeg",
    "../0123456789abcd",
    "",
  ];
  for (const hash of bad) {
    await t.step(JSON.stringify(hash), async () => {
      assert.throws(() => cache.blobPath(hash), isPivotError);
      assert.throws(() => cache.has(hash), isPivotError);
      await assert.rejects(cache.addFile(file, hash), isPivotError);
      await assert.rejects(cache.addBytes(encoder.encode("x"), hash, "test"), isPivotError);
    });
  }
  assert.equal(exists(cache.dir), false);
  assert.deepEqual(names(s.project.root), ["src"]);
  // A well-formed hash maps inside files/.
  assert.equal(
    cache.blobPath("0123456789abcdef"),
    path.join(s.project.root, "never-created", "files", "01", "23456789abcdef"),
  );
});

Deno.test("ContentCache.listBlobs() lists blobs and skips names that are not hashes", async () => {
  await using s = await setup();
  const one = encoder.encode("one\n");
  const two = encoder.encode("second blob\n");
  const h1 = hashBytes(one);
  const h2 = hashBytes(two);
  await s.cache.addBytes(one, h1, "one");
  await s.cache.addBytes(two, h2, "two");

  const files = s.cache.filesDir;
  const prefix = path.join(files, h1.slice(0, 2));
  const junk: [string, string][] = [
    [path.join(prefix, `.${h1.slice(2)}.0000.tmp`), "temp"],
    [path.join(prefix, `${"a".repeat(14)}.corrupt`), "corrupt"],
    [path.join(prefix, "ABCDEF01234567"), "uppercase"],
    [path.join(prefix, "abc"), "short"],
    [path.join(prefix, "a".repeat(15)), "long"],
    [path.join(files, "zz", "0123456789abcd"), "bad prefix"],
    [path.join(files, "AB", "0123456789abcd"), "uppercase prefix"],
    [path.join(files, "abc", "0123456789abcd"), "long prefix"],
    [path.join(files, "0123456789abcdef"), "file at the top"],
  ];
  for (const [file, content] of junk) {
    await Deno.mkdir(path.dirname(file), { recursive: true });
    await Deno.writeTextFile(file, content);
  }
  // A directory named like a blob is not a blob.
  await Deno.mkdir(path.join(prefix, "bbbbbbbbbbbbbb"));

  const found = [...s.cache.listBlobs()].sort((a, b) => a.hash.localeCompare(b.hash));
  const expected = [
    { hash: h1, path: s.cache.blobPath(h1), size: one.length },
    { hash: h2, path: s.cache.blobPath(h2), size: two.length },
  ].sort((a, b) => a.hash.localeCompare(b.hash));
  assert.deepEqual(found.map(({ changedMs: _, ...blob }) => blob), expected);
  // Just written: changed a moment ago.
  for (const blob of found) assert.ok(Math.abs(Date.now() - blob.changedMs) < 60_000);
});

Deno.test("ContentCache.listBlobs() dates a blob by its last status change, not only its content", async () => {
  await using s = await setup();
  const { hash, blob } = await s.store("adopted\n", "adopted");
  // A blob adopted by rename keeps the modification time of the output it was.
  const old = new Date(Date.now() - 3 * 3600_000);
  Deno.utimeSync(blob, old, old);
  Deno.chmodSync(blob, 0o444);
  const [found] = [...s.cache.listBlobs()];
  assert.equal(found?.hash, hash);
  assert.ok(Date.now() - found.changedMs < 60_000, `${Date.now() - found.changedMs} ms old`);
});

/**
 * Stores `content` through `add`, removes the blob and its emptied bucket
 * directory behind the cache's back (as a `gc` of another process does),
 * and stores it again: the writer creates the bucket again.
 */
async function storeAfterBucketRemoved(
  cache: ContentCache,
  content: Uint8Array,
  add: () => Promise<unknown>,
): Promise<void> {
  const hash = hashBytes(content);
  await add();
  const blob = cache.blobPath(hash);
  Deno.removeSync(blob);
  Deno.removeSync(path.dirname(blob));
  await add();
  assert.deepEqual(Deno.readFileSync(blob), content);
  assert.equal(modeOf(blob), 0o444);
  assert.deepEqual(names(path.dirname(blob)), [hash.slice(2)]);
}

Deno.test("ContentCache writers create a bucket directory again when gc removed it meanwhile", async (t) => {
  await using s = await setup();
  await t.step("addBytes()", async () => {
    const data = encoder.encode("bytes\n");
    await storeAfterBucketRemoved(
      s.cache,
      data,
      () => s.cache.addBytes(data, hashBytes(data), "x"),
    );
  });
  await t.step("addFile() of a small file", async () => {
    const data = encoder.encode("small file\n");
    const file = await s.source("small.txt", data);
    await storeAfterBucketRemoved(s.cache, data, () => s.cache.addFile(file, hashBytes(data)));
  });
  await t.step("addFile() of a file streamed in chunks", async () => {
    const data = pseudoRandomBytes(4 * 1024 * 1024 + 1);
    const file = await s.source("large.bin", data);
    await storeAfterBucketRemoved(s.cache, data, () => s.cache.addFile(file, hashBytes(data)));
  });
  await t.step("adoptFile()", async () => {
    const data = encoder.encode("adopted output\n");
    const file = s.project.path("src/adopted.txt");
    await storeAfterBucketRemoved(s.cache, data, async () => {
      await Deno.writeFile(file, data);
      assert.equal(await s.cache.adoptFile(file, hashBytes(data)), true);
      assert.equal(exists(file), false);
    });
  });
});

Deno.test("ContentCache.listBlobs() of a cache that does not exist is empty", async () => {
  await using dir = await tempDir();
  const cache = new ContentCache(path.join(dir.path, "missing"));
  assert.deepEqual([...cache.listBlobs()], []);
  assert.deepEqual([...cache.listLeftovers()], []);
});

Deno.test("ContentCache.has() quarantines a blob that was made writable and edited", async () => {
  await using s = await setup();
  const { data, hash, blob } = await s.store("original content\n", "original");

  // What editing a hardlinked workspace copy does to the blob.
  await Deno.chmod(blob, 0o644);
  await Deno.writeTextFile(blob, "edited in place\n");

  assert.equal(s.cache.has(hash), false);
  assert.equal(exists(blob), false);
  assert.equal(await Deno.readTextFile(`${blob}.corrupt`), "edited in place\n");
  assert.deepEqual(s.cache.quarantined, [hash]);
  assert.deepEqual([...s.cache.listBlobs()], []);
  assert.deepEqual([...s.cache.listLeftovers()], [{
    path: `${blob}.corrupt`,
    size: "edited in place\n".length,
  }]);

  // The blob can be stored again afterwards.
  await s.cache.addBytes(data, hash, "original");
  assert.equal(s.cache.has(hash), true);
  assert.deepEqual(await Deno.readFile(blob), data);
  assert.equal(modeOf(blob), 0o444);
  assert.deepEqual(s.cache.quarantined, [hash]);
});

Deno.test("ContentCache.has() makes a writable but intact blob read-only again", async () => {
  await using s = await setup();
  const { data, hash, blob } = await s.store("untouched\n", "untouched");
  await Deno.chmod(blob, 0o644);

  assert.equal(s.cache.has(hash), true);
  assert.equal(modeOf(blob), 0o444);
  assert.deepEqual(await Deno.readFile(blob), data);
  assert.deepEqual(s.cache.quarantined, []);
  assert.equal(exists(`${blob}.corrupt`), false);
});

Deno.test("ContentCache.has() is false for a missing blob and for a directory in its place", async () => {
  await using s = await setup();
  const hash = hashBytes("not stored");
  assert.equal(s.cache.has(hash), false);
  await Deno.mkdir(s.cache.blobPath(hash), { recursive: true });
  assert.equal(s.cache.has(hash), false);
  assert.deepEqual(s.cache.quarantined, []);
});

Deno.test("ContentCache.listLeftovers() lists stale temp files and corrupt blobs, not fresh temp files", async () => {
  await using s = await setup();
  const { hash } = await s.store("a real blob\n", "blob");

  const files = s.cache.filesDir;
  const oldTemp = path.join(files, "ab", `.cdef0123456789.${crypto.randomUUID()}.tmp`);
  const freshTemp = path.join(files, "ab", `.cdef0123456789.${crypto.randomUUID()}.tmp`);
  const corrupt = path.join(files, "cd", "ef0123456789ab.corrupt");
  await Deno.mkdir(path.join(files, "ab"), { recursive: true });
  await Deno.mkdir(path.join(files, "cd"), { recursive: true });
  await Deno.writeTextFile(oldTemp, "half a blob");
  await Deno.writeTextFile(freshTemp, "being written");
  await Deno.writeTextFile(corrupt, "edited");
  const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
  await Deno.utime(oldTemp, twoHoursAgo, twoHoursAgo);

  const sorted = (items: Iterable<{ path: string; size: number }>) =>
    [...items].sort((a, b) => a.path.localeCompare(b.path));
  assert.deepEqual(
    sorted(s.cache.listLeftovers()),
    sorted([{ path: oldTemp, size: 11 }, { path: corrupt, size: 6 }]),
  );
  // Once the fresh one is old enough it is a leftover too.
  assert.deepEqual(
    sorted(s.cache.listLeftovers(Date.now() + STALE_TEMP_MS + 60_000)),
    sorted([{ path: oldTemp, size: 11 }, { path: freshTemp, size: 13 }, {
      path: corrupt,
      size: 6,
    }]),
  );
  // None of them is a blob.
  assert.deepEqual([...s.cache.listBlobs()].map((info) => info.hash), [hash]);
});

Deno.test("ContentCache.adoptFile() with the stat taken before hashing trusts that hash while the file is unchanged, and checks a file rewritten since", async () => {
  await using s = await setup();
  // Unchanged since its stat: adopted under the hash given, without reading it again
  // (a deliberately wrong hash shows that nothing re-hashed it).
  const kept = await s.source("kept.txt", "kept output\n");
  const claimed = hashBytes("what the caller hashed\n");
  assert.equal(await s.cache.adoptFile(kept, claimed, Deno.statSync(kept)), true);
  assert.equal(await Deno.readTextFile(s.cache.blobPath(claimed)), "kept output\n");
  assert.equal(exists(kept), false);

  // Rewritten after its stat (other size): read, found not to match, and put back.
  const hashed = "first content\n";
  const rewritten = await s.source("rewritten.txt", hashed);
  const before = Deno.statSync(rewritten);
  await Deno.writeTextFile(rewritten, "rewritten afterwards, longer\n");
  await assert.rejects(
    () => s.cache.adoptFile(rewritten, hashBytes(hashed), before),
    (error: unknown) =>
      isPivotError(error) && /changed while being cached/.test((error as Error).message),
  );
  assert.equal(await Deno.readTextFile(rewritten), "rewritten afterwards, longer\n");
  assert.equal(s.cache.has(hashBytes(hashed)), false);
});

/**
 * Runs `adopt` and returns, for each read of `file` or of a file in the
 * cache, whether `file` was still in place then.
 */
async function readsOf(
  cache: ContentCache,
  file: string,
  adopt: () => Promise<unknown>,
): Promise<boolean[]> {
  const reads: boolean[] = [];
  const watched = (target: string | URL) =>
    String(target) === file || String(target).startsWith(cache.filesDir);
  const readFileSync = Deno.readFileSync;
  const open = Deno.open;
  Deno.readFileSync = (target) => {
    if (watched(target)) reads.push(exists(file));
    return readFileSync(target);
  };
  Deno.open = (target, options) => {
    if (watched(target)) reads.push(exists(file));
    return open(target, options);
  };
  try {
    await adopt();
  } finally {
    Deno.readFileSync = readFileSync;
    Deno.open = open;
  }
  return reads;
}

Deno.test("ContentCache.adoptFile() without a stat taken before hashing reads a file where it is before moving it: a pivot killed meanwhile leaves it in place", async (t) => {
  const cases: [string, number][] = [["a small file", 1_000], ["a file read in chunks", 5 << 20]];
  for (const [name, size] of cases) {
    await t.step(name, async () => {
      await using s = await setup();
      using stats = openPreciseStat();
      s.cache.useStats(stats);
      const data = pseudoRandomBytes(size);
      const file = await s.source("entry.bin", data);
      // Written a while ago (a directory output committed after it was made).
      const past = new Date(Date.now() - 60_000);
      Deno.utimeSync(file, past, past);
      const hash = hashBytes(data);
      const reads = await readsOf(s.cache, file, async () => {
        assert.equal(await s.cache.adoptFile(file, hash), true);
      });
      // Not in a temp file of the cache, which a later sweep removes, while it is read.
      assert.deepEqual(reads, [true]);
      assert.equal(exists(file), false);
      assert.deepEqual(await Deno.readFile(s.cache.blobPath(hash)), data);
      assert.equal(modeOf(s.cache.blobPath(hash)), 0o444);
    });
  }
  await t.step("a file changed within the racy window: read once, after the move", async () => {
    await using s = await setup();
    using stats = openPreciseStat();
    s.cache.useStats(stats);
    const file = await s.source("entry.txt", "just written\n");
    const hash = hashBytes("just written\n");
    const reads = await readsOf(s.cache, file, async () => {
      assert.equal(await s.cache.adoptFile(file, hash), true);
    });
    assert.deepEqual(reads, [false]);
    assert.equal(await Deno.readTextFile(s.cache.blobPath(hash)), "just written\n");
  });
  await t.step("a file whose content is not the hash given: left where it is", async () => {
    await using s = await setup();
    const file = await s.source("entry.txt", "not what was hashed\n");
    const past = new Date(Date.now() - 60_000);
    Deno.utimeSync(file, past, past);
    await assert.rejects(
      () => s.cache.adoptFile(file, hashBytes("what was hashed\n")),
      (error: unknown) =>
        isPivotError(error) && /changed while being cached/.test((error as Error).message),
    );
    assert.equal(await Deno.readTextFile(file), "not what was hashed\n");
    assert.equal(s.cache.has(hashBytes("what was hashed\n")), false);
  });
});

Deno.test("ContentCache.linkInPlace() makes an unchanged file its blob where it is, and leaves a changed file, or one whose blob exists, as it was", async () => {
  await using s = await setup();
  // Unchanged since its stat: linked into the cache, still in place, read-only.
  const kept = await s.source("kept.txt", "kept output\n");
  const hash = hashBytes("kept output\n");
  assert.equal(s.cache.linkInPlace(kept, hash, Deno.statSync(kept)), true);
  const blob = s.cache.blobPath(hash);
  assert.equal(Deno.statSync(kept).ino, Deno.statSync(blob).ino);
  assert.equal(modeOf(kept), 0o444);
  assert.equal(await Deno.readTextFile(kept), "kept output\n");
  assert.equal(s.cache.has(hash), true);

  // Its blob is there already: nothing done (the caller adopts it the usual way).
  const again = await s.source("again.txt", "kept output\n");
  assert.equal(s.cache.linkInPlace(again, hash, Deno.statSync(again)), false);
  assert.equal(Deno.statSync(again).nlink, 1);
  assert.equal(modeOf(again), 0o644);

  // Rewritten after its stat (other size): no blob, and the file as it was, writable.
  const hashed = "first content\n";
  const rewritten = await s.source("rewritten.txt", hashed);
  const before = Deno.statSync(rewritten);
  await Deno.writeTextFile(rewritten, "rewritten afterwards, longer\n");
  assert.equal(s.cache.linkInPlace(rewritten, hashBytes(hashed), before), false);
  assert.equal(s.cache.has(hashBytes(hashed)), false);
  assert.equal(await Deno.readTextFile(rewritten), "rewritten afterwards, longer\n");
  assert.equal(modeOf(rewritten), 0o644);
  assert.equal(Deno.statSync(rewritten).nlink, 1);
});

Deno.test("ContentCache.linkInPlace() leaves a symlink to a file as it was, its target's mode too", async () => {
  await using s = await setup();
  const target = await s.source("target.txt", "target content\n");
  const link = s.project.path("src/link.txt");
  await Deno.symlink("target.txt", link);
  const hash = hashBytes("target content\n");
  assert.equal(s.cache.linkInPlace(link, hash, Deno.statSync(link)), false);
  assert.equal(s.cache.has(hash), false);
  assert.equal(Deno.lstatSync(link).isSymlink, true);
  assert.equal(modeOf(target), 0o644);
  assert.equal(await Deno.readTextFile(link), "target content\n");
});

/** Makes `cache` look paths up through the precise `stat`, noting each path looked at in `calls`. */
function spyStats(cache: ContentCache, calls: string[]): Disposable {
  const precise = openPreciseStat();
  cache.useStats({
    precise: true,
    stat(file, follow) {
      calls.push(file);
      return precise.stat(file, follow);
    },
    [Symbol.dispose]() {},
  });
  return precise;
}

Deno.test("ContentCache.linkInPlace() links a new blob after one look at the blob, and one at its bucket the first time (made when missing, without a failing link)", async () => {
  await using s = await setup();
  const calls: string[] = [];
  using _stats = spyStats(s.cache, calls);
  // Neither files/ nor the bucket exists yet (a fresh cache).
  const first = await s.source("first.txt", "first output\n");
  const hash = hashBytes("first output\n");
  const linkSync = Deno.linkSync;
  let links = 0;
  Deno.linkSync = (from, to) => {
    links++;
    linkSync(from, to);
  };
  try {
    assert.equal(s.cache.linkInPlace(first, hash, Deno.statSync(first)), true);
    assert.deepEqual(calls, [s.cache.blobPath(hash), path.dirname(s.cache.blobPath(hash))]);
    assert.equal(links, 1);
  } finally {
    Deno.linkSync = linkSync;
  }
  assert.equal(Deno.statSync(first).ino, Deno.statSync(s.cache.blobPath(hash)).ino);
  assert.equal(modeOf(first), 0o444);
  // Another blob of the same bucket: the blob alone is looked at.
  const sibling = await s.source("sibling.txt", "sibling output\n");
  const siblingHash = `${hash.slice(0, 2)}${hashBytes("sibling output\n").slice(2)}`;
  calls.length = 0;
  assert.equal(s.cache.linkInPlace(sibling, siblingHash, Deno.statSync(sibling)), true);
  assert.deepEqual(calls, [s.cache.blobPath(siblingHash)]);
  // A bucket that is a symlink to a directory inside the cache: linked through it.
  const other = await s.source("other.txt", "other output\n");
  const otherHash = hashBytes("other output\n");
  const bucket = path.dirname(s.cache.blobPath(otherHash));
  await Deno.mkdir(s.project.path("cache/elsewhere"));
  await Deno.symlink(s.project.path("cache/elsewhere"), bucket);
  calls.length = 0;
  assert.equal(s.cache.linkInPlace(other, otherHash, Deno.statSync(other)), true);
  assert.deepEqual(calls, [s.cache.blobPath(otherHash), bucket]);
  assert.equal(
    Deno.statSync(other).ino,
    Deno.statSync(s.project.path(`cache/elsewhere/${otherHash.slice(2)}`)).ino,
  );
  assert.equal(s.cache.has(otherHash), true);
});

Deno.test("ContentCache.linkInPlace() makes a bucket again that gc removed after this process made it", async () => {
  await using s = await setup();
  const first = await s.source("first.txt", "first output\n");
  const hash = hashBytes("first output\n");
  assert.equal(s.cache.linkInPlace(first, hash, Deno.statSync(first)), true);
  // Another process's gc removes the blob and its emptied bucket.
  Deno.removeSync(s.cache.blobPath(hash));
  Deno.removeSync(path.dirname(s.cache.blobPath(hash)));
  const again = await s.source("again.txt", "first output\n");
  assert.equal(s.cache.linkInPlace(again, hash, Deno.statSync(again)), true);
  assert.equal(Deno.statSync(again).ino, Deno.statSync(s.cache.blobPath(hash)).ino);
});

Deno.test("ContentCache.linkInPlace() leaves the file as it was when a file stands where the bucket belongs, and adoptFile() names that file", async () => {
  await using s = await setup();
  const output = await s.source("out.txt", "an output\n");
  const hash = hashBytes("an output\n");
  const bucket = path.dirname(s.cache.blobPath(hash));
  await Deno.mkdir(path.dirname(bucket), { recursive: true });
  await Deno.writeTextFile(bucket, "not a directory\n");
  using _stats = spyStats(s.cache, []);
  assert.equal(s.cache.linkInPlace(output, hash, Deno.statSync(output)), false);
  assert.equal(modeOf(output), 0o644);
  assert.equal(Deno.statSync(output).nlink, 1);
  await assert.rejects(
    () => s.cache.adoptFile(output, hash, Deno.statSync(output)),
    (error: unknown) =>
      isPivotError(error) &&
      (error as Error).message === `cannot read the cache: ${bucket} is a file, not a directory`,
  );
  assert.equal(await Deno.readTextFile(output), "an output\n");
  assert.equal(await Deno.readTextFile(bucket), "not a directory\n");
});

Deno.test("ContentCache.has() finds a read-only blob with one stat, a missing one without an exception", async () => {
  await using s = await setup();
  const { hash, blob } = await s.store("stored\n", "stored");
  using precise = openPreciseStat();
  const calls: string[] = [];
  s.cache.useStats({
    precise: true,
    stat(file, follow) {
      calls.push(file);
      return precise.stat(file, follow);
    },
    [Symbol.dispose]() {},
  });
  const statSync = Deno.statSync;
  const denoCalls: string[] = [];
  Deno.statSync = (file) => {
    denoCalls.push(String(file));
    return statSync(file);
  };
  try {
    assert.equal(s.cache.has(hash), true);
    assert.deepEqual([calls, denoCalls], [[blob], []]);
    const missing = hashBytes("not stored");
    assert.equal(s.cache.has(missing), false);
    assert.deepEqual(denoCalls, []);
  } finally {
    Deno.statSync = statSync;
  }
});
