import assert from "node:assert/strict";
import * as path from "node:path";
import { exists, tempDir } from "../_helpers/files.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { assertFailed, makeProject, runPivot, type TempProject } from "../_helpers/project.ts";
import { addBlob, blobPath, writeLock } from "../_helpers/storage.ts";
import { hashBytes, type ManifestEntry, treeHash } from "../../src/storage/mod.ts";

interface GcJson {
  cacheDir: string;
  kept: number;
  young: number;
  graceMinutes: number;
  removed: number;
  removedBytes: number;
  leftovers: number;
  references: number;
  revisions: { commits: number; files: number } | null;
  cloud: unknown;
  dryRun: boolean;
}

/**
 * Adds an unreferenced blob to the project's cache and runs `pivot gc`, which
 * must fail with `error: <problem>; nothing was removed` and the hint to fix
 * the file and run it again, and leave that blob in place.
 */
async function assertGcStops(p: TempProject, problem: string): Promise<void> {
  const cache = p.path(".pivot/cache");
  const unused = await addBlob(cache, "unreferenced");
  assertFailed(
    await runPivotInProcess(p.root, ["gc"]),
    `error: ${problem}; nothing was removed\n` +
      "hint: fix or delete that file (git can restore it), then run 'pivot gc' again\n",
  );
  assert.ok(exists(blobPath(cache, unused)));
}

Deno.test("pivot gc removes exactly the blob no .pvt references (after a dry run)", async () => {
  await using p = await makeProject({ "a.csv": "a\n", "b.csv": "bb\n" });
  const tracked = await runPivotInProcess(p.root, ["track", "a.csv", "b.csv"]);
  assert.equal(tracked.code, 0, tracked.stderr);
  const cache = p.path(".pivot/cache");
  const hashA = hashBytes("a\n");
  const hashB = hashBytes("bb\n");
  assert.ok(exists(blobPath(cache, hashA)));
  assert.ok(exists(blobPath(cache, hashB)));
  await Deno.remove(p.path("b.csv.pvt"));

  const dry = await runPivotInProcess(p.root, ["gc", "--dry-run", "--grace", "0"]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(
    dry.stdout,
    "would remove 1 blob (3 B); kept 1 blob referenced by 1 lock or .pvt file\n",
  );
  assert.ok(exists(blobPath(cache, hashA)));
  assert.ok(exists(blobPath(cache, hashB)));

  const real = await runPivotInProcess(p.root, ["gc", "--grace", "0"]);
  assert.equal(real.code, 0, real.stderr);
  assert.equal(
    real.stdout,
    "removed 1 blob (3 B); kept 1 blob referenced by 1 lock or .pvt file\n",
  );
  assert.equal(real.stderr, "");
  assert.equal(await Deno.readTextFile(blobPath(cache, hashA)), "a\n");
  assert.equal(exists(blobPath(cache, hashB)), false);
  // The emptied prefix directory goes too (unless both hashes share it).
  if (hashA.slice(0, 2) !== hashB.slice(0, 2)) {
    assert.equal(exists(path.dirname(blobPath(cache, hashB))), false);
  }
  assert.equal(await p.read("a.csv"), "a\n");

  const json = await runPivotInProcess(p.root, ["gc", "--json"]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout) as GcJson, {
    cacheDir: cache,
    kept: 1,
    young: 0,
    graceMinutes: 60,
    removed: 0,
    removedBytes: 0,
    leftovers: 0,
    references: 1,
    revisions: null,
    cloud: null,
    dryRun: false,
  });
});

Deno.test("pivot gc keeps blobs that only lock files reference, in every state dir", async () => {
  await using p = await makeProject({});
  const cache = p.path(".pivot/cache");
  const model = await addBlob(cache, "model");
  const raw = await addBlob(cache, "raw data");
  const img1 = await addBlob(cache, "image one");
  const img2 = await addBlob(cache, "image two!");
  const unused = await addBlob(cache, "nobody wants me");
  // A corrupt blob moved aside is a leftover that gc removes.
  const corrupt = `${blobPath(cache, unused)}.corrupt`;
  await Deno.writeTextFile(corrupt, "edited in place");

  await writeLock(p.path(".pivot"), "ml", "train", [], [
    { key: "model", path: "data/ml/train/model.json", hash: model, cache: true },
  ]);
  const manifest: ManifestEntry[] = [
    { relpath: "a.png", hash: img1, size: 9, isexec: false },
    { relpath: "b/b.png", hash: img2, size: 10, isexec: false },
  ];
  await writeLock(
    p.path("sub/.pivot"),
    "sub",
    "x",
    [{ name: "raw", identity: null, path: "sub/raw.csv", hash: raw }],
    [{ key: null, path: "sub/data/sub/x", hash: treeHash(manifest), cache: true, manifest }],
  );
  assert.ok(exists(p.path("sub/.pivot/stages/sub/x.lock")));

  const result = await runPivotInProcess(p.root, ["gc", "--json", "--grace", "0"]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout) as GcJson, {
    cacheDir: cache,
    kept: 4,
    young: 0,
    graceMinutes: 0,
    removed: 1,
    removedBytes: "nobody wants me".length,
    leftovers: 1,
    references: 2,
    revisions: null,
    cloud: null,
    dryRun: false,
  });
  for (const hash of [model, raw, img1, img2]) {
    assert.ok(exists(blobPath(cache, hash)), hash);
  }
  assert.equal(exists(blobPath(cache, unused)), false);
  assert.equal(exists(corrupt), false);
});

Deno.test("pivot gc stops at a malformed .pvt and removes nothing", async () => {
  await using p = await makeProject({
    "c.csv.pvt": 'path: x\nhash: "0123456789abcdef"\nsize: 1\n',
  });
  await assertGcStops(
    p,
    "cannot read c.csv.pvt: path: expected 'c.csv' (the file beside it), found 'x'",
  );
});

Deno.test("pivot gc stops at a malformed lock in a sub-pipeline's state dir and removes nothing", async () => {
  await using p = await makeProject({});
  await writeLock(p.path("sub/.pivot"), "sub", "x", [], [
    { key: null, path: "sub/data/sub/x.csv", hash: "../../etc/passwd", cache: true },
  ]);
  await assertGcStops(
    p,
    'cannot read sub/.pivot/stages/sub/x.lock: outs[0].hash: invalid hash "../../etc/passwd": expected 16 lowercase hex characters',
  );
});

Deno.test("pivot gc refuses a cache outside the project unless --force", async () => {
  await using p = await makeProject({});
  await using cache = await tempDir("pivot_test_cache_");
  const cacheDir = cache.path;
  const unused = await addBlob(cacheDir, "maybe another project's");
  const env = { PIVOT_CACHE_DIR: cacheDir };
  // A real process: the variable comes from the process environment; exit status end to end.
  const refused = await runPivot(p.root, ["gc"], env);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    `error: the cache ${cacheDir} lies outside the project and may be shared with other projects, whose blobs gc would delete\n` +
      "hint: pass --force if only this project uses that cache\n",
  );
  assert.ok(exists(blobPath(cacheDir, unused)));

  const forced = await runPivotInProcess(p.root, ["gc", "--force", "--grace", "0"], env);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(
    forced.stdout,
    "removed 1 blob (23 B); kept 0 blobs referenced by 0 lock and .pvt files\n",
  );
  assert.equal(exists(blobPath(cacheDir, unused)), false);
});

Deno.test({
  name: "pivot gc keeps the blob of a file tracked inside a directory named build",
  fn: async () => {
    await using p = await makeProject({ "build/x.csv": "keep me\n" });
    assert.equal((await runPivotInProcess(p.root, ["track", "build/x.csv"])).code, 0);
    const gc = await runPivotInProcess(p.root, ["gc"]);
    assert.equal(gc.code, 0, gc.stderr);
    assert.ok(exists(blobPath(p.path(".pivot/cache"), hashBytes("keep me\n"))));
    await Deno.remove(p.path("build/x.csv"));
    const checkout = await runPivotInProcess(p.root, ["checkout"]);
    assert.equal(checkout.code, 0, checkout.stderr);
    assert.equal(await p.read("build/x.csv"), "keep me\n");
  },
});

Deno.test("pivot gc keeps unreferenced blobs changed within the grace period, and says how many", async () => {
  await using p = await makeProject({});
  const cache = p.path(".pivot/cache");
  const older = await addBlob(cache, "stored a while ago");
  await new Promise((resolve) => setTimeout(resolve, 1_200));
  const newer = await addBlob(cache, "just stored");

  const byDefault = await runPivotInProcess(p.root, ["gc"]);
  assert.equal(byDefault.code, 0, byDefault.stderr);
  assert.equal(
    byDefault.stdout,
    "removed 0 blobs (0 B); kept 0 blobs referenced by 0 lock and .pvt files, " +
      "and 2 unreferenced blobs changed in the last 60 minutes (--grace 0 removes them)\n",
  );
  assert.ok(exists(blobPath(cache, older)) && exists(blobPath(cache, newer)));

  // 0.01 minutes: 0.6 s, which the older blob has passed and the newer one has not.
  const short = await runPivotInProcess(p.root, ["gc", "--grace", "0.01"]);
  assert.equal(short.code, 0, short.stderr);
  assert.equal(
    short.stdout,
    "removed 1 blob (18 B); kept 0 blobs referenced by 0 lock and .pvt files, " +
      "and 1 unreferenced blob changed in the last 0.01 minutes (--grace 0 removes them)\n",
  );
  assert.equal(exists(blobPath(cache, older)), false);
  assert.ok(exists(blobPath(cache, newer)));

  const none = await runPivotInProcess(p.root, ["gc", "--grace", "0"]);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(
    none.stdout,
    "removed 1 blob (11 B); kept 0 blobs referenced by 0 lock and .pvt files\n",
  );
  assert.equal(exists(blobPath(cache, newer)), false);
});

Deno.test("pivot gc --grace takes a number of minutes, 0 or more", async () => {
  await using p = await makeProject({});
  const unused = await addBlob(p.path(".pivot/cache"), "unreferenced");
  for (const value of ["soon", "-1", ""]) {
    const result = await runPivotInProcess(p.root, ["gc", "--grace", value]);
    assert.equal(result.code, 2, value);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      `error: invalid --grace '${value}': expected a number of minutes, 0 or more\n`,
    );
  }
  assert.ok(exists(blobPath(p.path(".pivot/cache"), unused)));
});

// Before the fix, scanProjectFiles and listLockFiles listed only regular files: a lock or .pvt
// replaced by a directory (or a dangling symlink) was passed over and gc deleted its blobs.
Deno.test("pivot gc stops at a lock or .pvt that is a directory or a dangling symlink, and doctor reports it", async (t) => {
  await using p = await makeProject({ "tf.csv": "tracked\n" });
  const cache = p.path(".pivot/cache");
  const output = await addBlob(cache, "only the lock references me");
  const lock = await writeLock(p.path(".pivot"), "p", "s", [], [
    { key: null, path: "data/p/s.txt", hash: output, cache: true },
  ]);
  assert.equal((await runPivotInProcess(p.root, ["track", "tf.csv"])).code, 0);
  const tracked = hashBytes("tracked\n");
  const lockText = await Deno.readTextFile(lock);
  const pvtText = await p.read("tf.csv.pvt");

  const cases: [string, string, () => Promise<void>, () => Promise<void>][] = [
    [
      "a lock that is a directory",
      "cannot read .pivot/stages/p/s.lock: it is a directory",
      () => Deno.remove(lock).then(() => Deno.mkdir(lock)),
      () => Deno.remove(lock).then(() => Deno.writeTextFile(lock, lockText)),
    ],
    [
      "a .pvt that is a directory",
      "cannot read tf.csv.pvt: it is a directory",
      () => Deno.remove(p.path("tf.csv.pvt")).then(() => Deno.mkdir(p.path("tf.csv.pvt"))),
      () => Deno.remove(p.path("tf.csv.pvt")).then(() => p.write("tf.csv.pvt", pvtText)),
    ],
    [
      "a .pvt that is a dangling symlink",
      "cannot read tf.csv.pvt: it is a symlink to gone.pvt, which does not exist",
      () =>
        Deno.remove(p.path("tf.csv.pvt")).then(() =>
          Deno.symlink("gone.pvt", p.path("tf.csv.pvt"))
        ),
      () => Deno.remove(p.path("tf.csv.pvt")).then(() => p.write("tf.csv.pvt", pvtText)),
    ],
  ];
  for (const [name, problem, breakIt, repair] of cases) {
    await t.step(name, async () => {
      await breakIt();
      assertFailed(
        await runPivotInProcess(p.root, ["gc", "--grace", "0"]),
        `error: ${problem}; nothing was removed\n` +
          "hint: fix or delete that file (git can restore it), then run 'pivot gc' again\n",
      );
      assert.ok(exists(blobPath(cache, output)), "the lock's blob is still there");
      assert.ok(exists(blobPath(cache, tracked)), "the .pvt's blob is still there");
      const doctor = await runPivotInProcess(p.root, ["doctor"]);
      assert.equal(doctor.code, 1);
      const records = `FAIL records: cannot read: ${problem.replace("cannot read ", "")}`;
      assert.ok(doctor.stdout.split("\n").includes(records), doctor.stdout);
      await repair();
    });
  }
  const repaired = await runPivotInProcess(p.root, ["gc", "--grace", "0", "--json"]);
  assert.equal(repaired.code, 0, repaired.stderr);
  assert.equal(JSON.parse(repaired.stdout).kept, 2);
});
