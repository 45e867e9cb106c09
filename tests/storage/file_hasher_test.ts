import assert from "node:assert/strict";
import { FileHasher } from "../../src/storage/file_hasher.ts";
import { type DirHash, treeHash } from "../../src/storage/manifest.ts";
import type { StateDb } from "../../src/storage/state_db.ts";
import { hashBytes } from "../../src/storage/xxhash.ts";
import { openPreciseStat, type PreciseStat } from "../../src/util/precise_stat.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { withStateDb } from "../_helpers/storage.ts";

const N = 12;

/** `data/f00.txt` … with distinct contents of the same size. */
function dataFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < N; i++) {
    const name = String(i).padStart(2, "0");
    files[`data/${i % 2 === 0 ? "" : "sub/"}f${name}.txt`] = `content ${name}\n`;
  }
  return files;
}

/** Sets the mtime of every file under `data/` to `ageMs` in the past. */
async function ageFiles(p: TempProject, ageMs: number): Promise<void> {
  const when = new Date(Date.now() - ageMs);
  for (const rel of Object.keys(dataFiles())) await Deno.utime(p.path(rel), when, when);
}

/**
 * Ages the data files by `ageMs`, hashes `data/` (reading every file) and
 * flushes, then hashes it again with a new hasher, which must give the same
 * result; returns how many files that second pass read.
 */
async function secondPassMisses(db: StateDb, p: TempProject, ageMs: number): Promise<number> {
  await ageFiles(p, ageMs);
  const first = new FileHasher(db);
  const result = await first.hashPath(p.path("data"));
  assert.equal(first.misses, N);
  first.flush();

  const second = new FileHasher(db);
  assert.deepEqual(await second.hashPath(p.path("data")), result);
  return second.misses;
}

Deno.test("FileHasher reads every file on the first pass and none after flush()", async () => {
  await withStateDb(dataFiles(), async (db, p) => {
    assert.equal(await secondPassMisses(db, p, 10_000), 0);
  });
});

Deno.test("FileHasher without flush() leaves the cache empty", async () => {
  await withStateDb(dataFiles(), async (db, p) => {
    await ageFiles(p, 10_000);
    const first = new FileHasher(db);
    await first.hashPath(p.path("data"));
    assert.equal(first.misses, N);

    const second = new FileHasher(db);
    await second.hashPath(p.path("data"));
    assert.equal(second.misses, N);
  });
});

Deno.test("FileHasher re-reads files modified within the racy window", async () => {
  await withStateDb(dataFiles(), async (db, p) => {
    assert.equal(await secondPassMisses(db, p, 0), N);
  });
});

Deno.test("FileHasher re-reads exactly the one file that changed and gives its new hash", async () => {
  await withStateDb(dataFiles(), async (db, p) => {
    await ageFiles(p, 10_000);
    const first = new FileHasher(db);
    const before = await first.hashPath(p.path("data")) as DirHash;
    first.flush();

    // Same size, new content, a new (but not racy) mtime.
    const changed = p.path("data/sub/f03.txt");
    await Deno.writeTextFile(changed, "CONTENT 03\n");
    const when = new Date(Date.now() - 5_000);
    await Deno.utime(changed, when, when);

    const second = new FileHasher(db);
    const after = await second.hashPath(p.path("data")) as DirHash;
    assert.equal(second.misses, 1);
    assert.notEqual(after.hash, before.hash);
    const entry = after.manifest.find((e) => e.relpath === "sub/f03.txt");
    assert.deepEqual(entry, {
      relpath: "sub/f03.txt",
      hash: hashBytes("CONTENT 03\n"),
      size: 11,
      isexec: false,
    });
    // Every other entry is unchanged.
    assert.deepEqual(
      after.manifest.filter((e) => e.relpath !== "sub/f03.txt"),
      before.manifest.filter((e) => e.relpath !== "sub/f03.txt"),
    );
    second.flush();

    const third = new FileHasher(db);
    assert.deepEqual(await third.hashPath(p.path("data")), after);
    assert.equal(third.misses, 0);
  });
});

Deno.test("FileHasher.hashPath() gives {hash} for a file and {hash, manifest} for a directory", async () => {
  await withStateDb({ "data/a.txt": "hello world", "data/sub/b": "abc" }, async (db, p) => {
    const hasher = new FileHasher(db);
    assert.deepEqual(await hasher.hashPath(p.path("data/a.txt")), { hash: "45ab6734b21e6968" });
    const manifest = [
      { relpath: "a.txt", hash: "45ab6734b21e6968", size: 11, isexec: false },
      { relpath: "sub/b", hash: "44bc2cf5ad770999", size: 3, isexec: false },
    ];
    assert.deepEqual(await hasher.hashPath(p.path("data")), {
      hash: treeHash(manifest),
      manifest,
    });
    assert.equal(await hasher.hashFile(p.path("data/sub/b")), "44bc2cf5ad770999");
  });
});

Deno.test("FileHasher.hashIfPresent(): hashPath()'s answer with one stat, null for a missing path, Deno's error for a path below a file", async () => {
  await withStateDb({ "data/a.txt": "hello world", "data/sub/b": "abc" }, async (db, p) => {
    using stats = openPreciseStat();
    const calls: string[] = [];
    const counted: PreciseStat = {
      precise: stats.precise,
      stat: (file, follow) => {
        calls.push(file);
        return stats.stat(file, follow);
      },
      [Symbol.dispose]: () => {},
    };
    const hasher = new FileHasher(db, { stats: counted });
    // Written long enough ago for a hash learnt now to be trusted without reading again.
    const past = new Date(Date.now() - 60_000);
    await Deno.utime(p.path("data/a.txt"), past, past);
    assert.deepEqual(await hasher.hashIfPresent(p.path("data/a.txt")), {
      hash: "45ab6734b21e6968",
    });
    calls.length = 0;
    // Known now: one stat, no read.
    assert.deepEqual(await hasher.hashIfPresent(p.path("data/a.txt")), {
      hash: "45ab6734b21e6968",
    });
    assert.deepEqual(calls, [p.path("data/a.txt")]);
    assert.deepEqual(
      await hasher.hashIfPresent(p.path("data")),
      await hasher.hashPath(p.path("data")),
    );
    assert.equal(await hasher.hashIfPresent(p.path("data/missing.txt")), null);
    assert.equal(await hasher.hashIfPresent(p.path("nowhere/missing.txt")), null);
    await assert.rejects(
      () => hasher.hashIfPresent(p.path("data/a.txt/below")),
      Deno.errors.NotADirectory,
    );
  });
});

Deno.test("FileHasher caches a file hashed on its own for a later directory pass", async () => {
  await withStateDb(dataFiles(), async (db, p) => {
    await ageFiles(p, 10_000);
    const first = new FileHasher(db);
    assert.equal(await first.hashFile(p.path("data/f00.txt")), hashBytes("content 00\n"));
    assert.equal(first.misses, 1);
    first.flush();

    const second = new FileHasher(db);
    await second.hashPath(p.path("data"));
    assert.equal(second.misses, N - 1);
  });
});

Deno.test("FileHasher hashes a file over 1 MiB (async path) the same as hashBytes()", async () => {
  await withStateDb({}, async (db, p) => {
    const data = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => (i * 31 + 7) & 0xff);
    await Deno.writeFile(p.path("big.bin"), data);
    const when = new Date(Date.now() - 10_000);
    await Deno.utime(p.path("big.bin"), when, when);
    const first = new FileHasher(db);
    assert.deepEqual(await first.hashPath(p.path("big.bin")), { hash: hashBytes(data) });
    first.flush();
    const second = new FileHasher(db);
    assert.equal(await second.hashFile(p.path("big.bin")), hashBytes(data));
    assert.equal(second.misses, 0);
  });
});

Deno.test("FileHasher without a database reads every time", async () => {
  await using p = await makeProject(dataFiles(), { init: false });
  await ageFiles(p, 10_000);
  const hasher = new FileHasher(null);
  const first = await hasher.hashPath(p.path("data"));
  hasher.flush();
  const second = await hasher.hashPath(p.path("data"));
  assert.deepEqual(second, first);
  assert.equal(hasher.misses, 2 * N);
});

// A run of 10,000 stages looks up tens of thousands of files: a lookup that needs no wait must
// not cost a promise and a suspended frame more per file (garbage the main thread's heap keeps).
Deno.test("hashIfPresent() answers a small or known file without waiting on a promise of its own", async () => {
  await using p = await makeProject({ "small.txt": "small\n" });
  const hasher = new FileHasher(null);
  /** The turn of the microtask queue in which `hash` settles (0: the first). */
  const settlesIn = async (hash: Promise<unknown>): Promise<number> => {
    let turn = 0;
    let settled = -1;
    void hash.then(() => (settled = turn));
    for (; turn < 8 && settled < 0; turn++) await Promise.resolve();
    return settled;
  };
  const read = hasher.hashIfPresent(p.path("small.txt"));
  assert.equal(await settlesIn(read), 0);
  assert.deepEqual(await read, { hash: hashBytes("small\n") });
  assert.equal(await settlesIn(hasher.hashPath(p.path("small.txt"))), 0);
  assert.equal(await settlesIn(hasher.hashFile(p.path("small.txt"))), 0);
  assert.equal(hasher.misses, 3);
});

Deno.test("FileHasher.hashStatted() hashes a file with the stat given, as hashPath() does, and learns it for the cache", async () => {
  await withStateDb(dataFiles(), async (db, p) => {
    await ageFiles(p, 10_000);
    using stats = openPreciseStat();
    const file = p.path("data/f00.txt");
    const info = stats.stat(file);
    assert.ok(info !== null && info !== "absent");
    const hasher = new FileHasher(db, { stats });
    assert.deepEqual(await hasher.hashStatted(file, info), { hash: hashBytes("content 00\n") });
    assert.equal(hasher.misses, 1);
    assert.deepEqual(hasher.drain().map((record) => [record.path, record.hash]), [
      [file, hashBytes("content 00\n")],
    ]);
    // What hashPath() gives, taking its own stat.
    assert.deepEqual(await new FileHasher(db, { stats }).hashPath(file), {
      hash: hashBytes("content 00\n"),
    });
  });
});
