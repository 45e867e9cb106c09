import assert from "node:assert/strict";
import { FileHasher } from "../../src/storage/file_hasher.ts";
import {
  FINE_RACY_WINDOW_MS,
  hasFineTime,
  hashSettled,
  RACY_WINDOW_MS,
  racyWindowMs,
  settledBefore,
} from "../../src/storage/racy_window.ts";
import { hashBytes } from "../../src/storage/xxhash.ts";
import { openPreciseStat, type PreciseInfo, timeMs } from "../../src/util/precise_stat.ts";
import { withStateDb } from "../_helpers/storage.ts";

/** Whether this system gives times to the nanosecond (statx on Linux). */
const PRECISE = Deno.build.os === "linux";

/**
 * Sets the mtime of `file` to `ms` milliseconds since the epoch, to the
 * nanosecond (`touch` takes a decimal number of seconds).
 */
async function setMtime(file: string, ms: number): Promise<void> {
  const sec = Math.floor(ms / 1000);
  const nsec = Math.round((ms - sec * 1000) * 1e6);
  const stamp = `${sec}.${String(nsec).padStart(9, "0")}`;
  const { code } = await new Deno.Command("touch", { args: ["-m", "-d", `@${stamp}`, file] })
    .output();
  assert.equal(code, 0);
}

/** A recent time with a fraction of a millisecond, `ageMs` ago. */
function fineAgo(ageMs: number): number {
  return Math.floor(Date.now() - ageMs) + 0.123457;
}

/** A whole second at least `ageMs` ago. */
function wholeSecondAgo(ageMs: number): number {
  return Math.floor((Date.now() - ageMs) / 1000) * 1000;
}

Deno.test("racyWindowMs(): 20 ms for times with a fraction of a millisecond, 2 s for whole ones", () => {
  assert.equal(FINE_RACY_WINDOW_MS, 20);
  assert.equal(RACY_WINDOW_MS, 2_000);
  assert.equal(hasFineTime(1700000000123.456789), true);
  assert.equal(hasFineTime(1700000000123), false);
  assert.equal(racyWindowMs(1700000000123.456789), 20);
  assert.equal(racyWindowMs(1700000000123), 2_000);
  assert.equal(racyWindowMs(1700000000000), 2_000);
  assert.equal(hashSettled(1000.5, 1021), true);
  assert.equal(hashSettled(1000.5, 1020), false);
  assert.equal(hashSettled(1000, 2999), false);
  assert.equal(hashSettled(1000, 3000), true);
});

Deno.test("settledBefore(): the fine window for fine times, the wide one (and a second more for a whole-second ctime) otherwise", () => {
  const now = 1_700_000_100_000;
  const fine = (ageMs: number) => now - ageMs + 0.5;
  assert.equal(settledBefore({ mtimeMs: fine(30), ctimeMs: fine(30) }, now), true);
  assert.equal(settledBefore({ mtimeMs: fine(10), ctimeMs: fine(30) }, now), false);
  assert.equal(settledBefore({ mtimeMs: fine(30), ctimeMs: fine(10) }, now), false);
  // Deno's own stat: mtime in ms, ctime in whole seconds.
  assert.equal(settledBefore({ mtimeMs: now - 2_500, ctimeMs: now - 3_500 }, now), true);
  assert.equal(settledBefore({ mtimeMs: now - 2_500, ctimeMs: now - 2_500 }, now), false);
  assert.equal(settledBefore({ mtimeMs: now - 1_500, ctimeMs: now - 3_500 }, now), false);
  // A fine mtime with a coarse ctime (a file system keeping whole-second ctimes) waits for the ctime.
  assert.equal(settledBefore({ mtimeMs: fine(30), ctimeMs: now - 1_000 }, now), false);
});

/**
 * Writes `before` to `data.txt` with the mtime `mtimeMs`, hashes it with a
 * hasher that stats to the nanosecond and records the hash; then writes
 * `after` (the same size) as a write within the same clock tick would: the
 * file keeps its inode, size, mtime and ctime. (A test cannot keep the
 * ctime, which any write or `touch` moves on: the recorded entry is given the
 * new one instead, with the hash and the time of the first reading.) Returns
 * what a new hasher says and how many files it read.
 */
async function rewriteWithinTheTick(
  mtimeMs: number | (() => number),
): Promise<{ hash: string; misses: number }> {
  let result = { hash: "", misses: -1 };
  await withStateDb({ "data.txt": "before\n" }, async (db, p) => {
    using stats = openPreciseStat();
    const file = p.path("data.txt");
    const time = typeof mtimeMs === "number" ? mtimeMs : mtimeMs();
    await setMtime(file, time);
    const hashedMs = Date.now();
    const first = new FileHasher(db, { stats });
    assert.equal(await first.hashFile(file), hashBytes("before\n"));
    first.flush();
    await Deno.writeTextFile(file, "after!\n");
    await setMtime(file, time);
    const now = stats.stat(file) as PreciseInfo;
    db.recordHashes([{
      path: file,
      hash: hashBytes("before\n"),
      inode: now.ino,
      size: now.size,
      mtimeMs: timeMs(now.mtimeSec, now.mtimeNsec),
      ctimeMs: timeMs(now.ctimeSec, now.ctimeNsec),
      hashedMs,
    }]);
    const second = new FileHasher(db, { stats });
    result = { hash: await second.hashFile(file), misses: second.misses };
  });
  return result;
}

Deno.test({
  name:
    "FileHasher: a file rewritten within the same tick as its hashing (fine times) is read again",
  ignore: !PRECISE,
  fn: async () => {
    // Modified no racy window before it was hashed (ahead of the clock, so that however
    // slowly this test runs, the hashing falls within the window).
    const racy = await rewriteWithinTheTick(() => fineAgo(-60_000));
    assert.deepEqual(racy, { hash: hashBytes("after!\n"), misses: 1 });
    // Modified a second before: the first hash is trusted (a later write would change the mtime;
    // this one could only keep it by setting it back, which no write within a tick does).
    const settled = await rewriteWithinTheTick(() => fineAgo(1_000));
    assert.deepEqual(settled, { hash: hashBytes("before\n"), misses: 0 });
  },
});

Deno.test("FileHasher: a file rewritten with its size kept and its mtime set back is read again (its ctime moved)", async () => {
  await withStateDb({ "data.txt": "before\n" }, async (db, p) => {
    using stats = openPreciseStat();
    const file = p.path("data.txt");
    const old = Date.now() - 60_000;
    await setMtime(file, old);
    const first = new FileHasher(db, { stats });
    assert.equal(await first.hashFile(file), hashBytes("before\n"));
    first.flush();
    // As `cp -p`, `rsync -t` or `touch -d` leave it: same size, same mtime, new content.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Deno.writeTextFile(file, "after!\n");
    await setMtime(file, old);
    const second = new FileHasher(db, { stats });
    assert.equal(await second.hashFile(file), hashBytes("after!\n"));
    assert.equal(second.misses, 1);
  });
});

Deno.test({
  name: "FileHasher: a file with whole-second times (a coarse file system) keeps the 2 s window",
  ignore: !PRECISE,
  fn: async () => {
    // A whole second, 0.5–1.5 s before the hashing: racy on a file system keeping whole seconds.
    const racy = await rewriteWithinTheTick(() => wholeSecondAgo(500));
    assert.deepEqual(racy, { hash: hashBytes("after!\n"), misses: 1 });
    const settled = await rewriteWithinTheTick(() => wholeSecondAgo(3_000));
    assert.deepEqual(settled, { hash: hashBytes("before\n"), misses: 0 });
  },
});

Deno.test({
  name:
    "FileHasher: a file hashed right after it was written is trusted once rehashed outside the window",
  ignore: !PRECISE,
  fn: async () => {
    await withStateDb({ "data.txt": "content\n" }, async (db, p) => {
      using stats = openPreciseStat();
      const file = p.path("data.txt");
      await Deno.writeTextFile(file, "written\n");
      // Written "now": a second ahead of the clock, however slowly this test runs.
      const mtimeMs = fineAgo(-1_000);
      await setMtime(file, mtimeMs);
      const first = new FileHasher(db, { stats });
      await first.hashFile(file);
      // Held by this hasher but racy: read again.
      await first.hashFile(file);
      assert.equal(first.misses, 2);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, mtimeMs + FINE_RACY_WINDOW_MS + 10 - Date.now()))
      );
      // Outside the window: read once more, and that hash is trusted by the next hasher.
      await first.hashFile(file);
      assert.equal(first.misses, 3);
      first.flush();
      const second = new FileHasher(db, { stats });
      assert.equal(await second.hashFile(file), hashBytes("written\n"));
      assert.equal(second.misses, 0);
    });
  },
});
