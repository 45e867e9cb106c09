import assert from "node:assert/strict";
import * as path from "node:path";
import { tempDir, tree } from "../_helpers/files.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import {
  assertFailed,
  makeProject,
  nestedProject,
  pipelineYaml,
  runPivot,
  treeWithoutStateDb,
} from "../_helpers/project.ts";
import { addBlob, blobPath, pvtHash, writeLock } from "../_helpers/storage.ts";
import {
  ContentCache,
  FileHasher,
  hashBytes,
  type LockOut,
  type ManifestEntry,
  treeHash,
} from "../../src/storage/mod.ts";

const MODEL = "data/ml/train/model.json";
const MODEL_CONTENT = '{"weights": [1, 2, 3]}\n';
const MODEL_LABEL = `train:model → ${MODEL}`;

/** The project's default cache directory. */
function cacheOf(root: string): string {
  return path.join(root, ".pivot/cache");
}

/** Writes the lock of stage `name` (default `train`) of pipeline `ml` in `<root>/.pivot`. */
function writeMlLock(root: string, outs: LockOut[], name = "train"): Promise<string> {
  return writeLock(path.join(root, ".pivot"), "ml", name, [], outs);
}

/** A project whose stage `train` ran: its model is in the cache and the lock (not the workspace). */
async function ranProject() {
  const p = await makeProject({ "pivot.yaml": pipelineYaml() });
  const hash = await addBlob(cacheOf(p.root), MODEL_CONTENT);
  await writeMlLock(p.root, [{ key: "model", path: MODEL, hash, cache: true }]);
  return { p, hash };
}

Deno.test("pivot checkout train:model and train restore a stage output from its lock", async () => {
  const { p, hash } = await ranProject();
  await using _ = p;
  const byKey = await runPivotInProcess(p.root, ["checkout", "train:model"]);
  assert.equal(byKey.code, 0, byKey.stderr);
  assert.equal(byKey.stdout, `restored ${MODEL_LABEL}\n1 restored\n`);
  assert.equal(byKey.stderr, "");
  assert.equal(await p.read(MODEL), MODEL_CONTENT);
  assert.equal(
    (await Deno.stat(p.path(MODEL))).ino,
    (await Deno.stat(blobPath(cacheOf(p.root), hash))).ino,
  );

  await Deno.remove(p.path(MODEL));
  const byStage = await runPivotInProcess(p.root, ["checkout", "train"]);
  assert.equal(byStage.code, 0, byStage.stderr);
  assert.equal(byStage.stdout, `restored ${MODEL_LABEL}\n1 restored\n`);
  assert.equal(await p.read(MODEL), MODEL_CONTENT);

  const again = await runPivotInProcess(p.root, ["checkout", "train"]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, "1 up to date\n");
});

// Before, checkout restored the outputs but not their .gitignore: `git status` showed them.
Deno.test("pivot checkout lists the outputs it restores in their .gitignore, as a run does", async () => {
  const { p } = await ranProject();
  await using _ = p;
  assert.equal(await p.exists("data/ml/.gitignore"), false);
  assert.equal((await runPivotInProcess(p.root, ["checkout"])).code, 0);
  assert.match(await p.read("data/ml/.gitignore"), /^\/train\/model\.json$/m);
  await Deno.remove(p.path("data"), { recursive: true });
  assert.equal((await runPivotInProcess(p.root, ["checkout"])).code, 0);
  assert.equal(await p.read(MODEL), MODEL_CONTENT);
  assert.match(await p.read("data/ml/.gitignore"), /^\/train\/model\.json$/m);
});

Deno.test("pivot checkout leaves a modified workspace copy alone unless --force", async () => {
  const { p } = await ranProject();
  await using _ = p;
  await p.write(MODEL, '{"edited": true}\n');

  // A real process: exit status and output end to end.
  const refused = await runPivot(p.root, ["checkout", "train"]);
  assertFailed(
    refused,
    "error: 1 path differs from the recorded version and was not overwritten:\n" +
      `  ${MODEL_LABEL}\n` +
      "hint: pass --force to overwrite (the workspace content is lost), --only-missing to leave existing paths alone, or keep the change with 'pivot commit' / 'pivot track --force'\n",
  );
  assert.equal(await p.read(MODEL), '{"edited": true}\n');

  const onlyMissing = await runPivotInProcess(p.root, ["checkout", "--only-missing", "train"]);
  assert.equal(onlyMissing.code, 0, onlyMissing.stderr);
  assert.equal(onlyMissing.stdout, "1 skipped (present)\n");
  assert.equal(await p.read(MODEL), '{"edited": true}\n');

  const both = await runPivotInProcess(p.root, ["checkout", "--force", "--only-missing", "train"]);
  assert.equal(both.code, 1);
  assert.equal(
    both.stderr,
    "error: --force and --only-missing cannot be used together\n" +
      "hint: --only-missing leaves existing files alone; --force overwrites them\n",
  );
  assert.equal(await p.read(MODEL), '{"edited": true}\n');

  const forced = await runPivotInProcess(p.root, ["checkout", "--force", "train"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(forced.stdout, `restored ${MODEL_LABEL}\n1 restored\n`);
  assert.equal(await p.read(MODEL), MODEL_CONTENT);
});

Deno.test("pivot checkout of content missing from the cache fails with a 'pivot pull' hint", async () => {
  await using p = await makeProject({ "pivot.yaml": pipelineYaml() });
  const hash = hashBytes(MODEL_CONTENT); // recorded, but never cached
  await writeMlLock(p.root, [{ key: "model", path: MODEL, hash, cache: true }]);
  const result = await runPivotInProcess(p.root, ["checkout", "train:model"]);
  assertFailed(
    result,
    "error: 1 path cannot be restored: content missing from the cache:\n" +
      `  ${MODEL_LABEL}\n` +
      "hint: run 'pivot pull' to fetch it from a remote, or 'pivot repro' to produce a stage output again\n",
  );
  assert.equal(await p.exists(MODEL), false);
});

Deno.test("pivot checkout of a stage without a lock hints 'pivot repro'", async () => {
  await using p = await makeProject({ "pivot.yaml": pipelineYaml() });
  const targeted = await runPivotInProcess(p.root, ["checkout", "train"]);
  assert.equal(targeted.code, 1);
  assert.equal(
    targeted.stderr,
    "error: nothing recorded to restore for train: no lock file with that output\n" +
      "hint: run 'pivot repro train' to produce it\n",
  );
  // Without targets a stage that never ran is reported, not an error.
  const all = await runPivotInProcess(p.root, ["checkout"]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout, "1 stage not run yet\n");
  assert.equal(await p.exists("data"), false);
});

Deno.test("pivot checkout --checkout-mode copy, symlink, and a bogus mode", async () => {
  const { p, hash } = await ranProject();
  await using _ = p;
  const copy = await runPivotInProcess(p.root, ["checkout", "--checkout-mode", "copy", "train"]);
  assert.equal(copy.code, 0, copy.stderr);
  assert.equal(copy.stdout, `restored ${MODEL_LABEL}\n1 restored\n`);
  const copied = await Deno.lstat(p.path(MODEL));
  assert.ok(copied.isFile);
  assert.equal(copied.nlink, 1);
  assert.equal(copied.mode! & 0o777, 0o644);
  assert.equal(await p.read(MODEL), MODEL_CONTENT);

  await Deno.remove(p.path(MODEL));
  const symlink = await runPivotInProcess(p.root, [
    "checkout",
    "--checkout-mode",
    "symlink",
    "train",
  ]);
  assert.equal(symlink.code, 0, symlink.stderr);
  assert.ok((await Deno.lstat(p.path(MODEL))).isSymlink);
  assert.equal(await Deno.realPath(p.path(MODEL)), blobPath(cacheOf(p.root), hash));
  assert.equal(await p.read(MODEL), MODEL_CONTENT);

  // A real process: exit status and output end to end.
  const bogus = await runPivot(p.root, ["checkout", "--checkout-mode", "bogus"]);
  assert.equal(bogus.code, 2);
  assert.equal(bogus.stdout, "");
  assert.match(
    bogus.stderr,
    /argument 'bogus' is invalid\. Allowed choices are hardlink, symlink, copy/,
  );
  assert.ok((await Deno.lstat(p.path(MODEL))).isSymlink);
});

Deno.test("pivot checkout restores a directory output from the manifest in its lock", async () => {
  await using p = await makeProject({
    "pivot.yaml": pipelineYaml("{images: dir}"),
    "scratch/cat.png": "meow",
    "scratch/dogs/rex.png": "woof",
    "scratch/dogs/puppies/a.png": "yip",
  });
  const { hash, manifest } = await new FileHasher(null).hashDirectory(p.path("scratch"));
  const cache = new ContentCache(p.path(".pivot/cache"));
  for (const entry of manifest) await cache.addFile(p.path(`scratch/${entry.relpath}`), entry.hash);
  await Deno.remove(p.path("scratch"), { recursive: true });
  await writeMlLock(p.root, [{
    key: "images",
    path: "data/ml/train/images",
    hash,
    cache: true,
    manifest,
  }]);

  const restored = await runPivotInProcess(p.root, ["checkout", "train:images"]);
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(restored.stdout, "restored train:images → data/ml/train/images/\n1 restored\n");
  assert.deepEqual(tree(p.path("data/ml/train/images")), [
    "cat.png",
    "dogs/",
    "dogs/puppies/",
    "dogs/puppies/a.png",
    "dogs/rex.png",
  ]);
  assert.equal(await p.read("data/ml/train/images/dogs/puppies/a.png"), "yip");

  // --force rebuilds the directory: a file not in the manifest is gone afterwards.
  await p.write("data/ml/train/images/stray.png", "?");
  const forced = await runPivotInProcess(p.root, ["checkout", "--force", "train"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(forced.stdout, "restored train:images → data/ml/train/images/\n1 restored\n");
  assert.equal(await p.exists("data/ml/train/images/stray.png"), false);
  assert.equal(await p.read("data/ml/train/images/cat.png"), "meow");
});

Deno.test("pivot checkout refuses a .pvt whose path leaves its directory", async () => {
  const { outer, root } = await nestedProject({});
  await using _ = outer;
  // The content is in the cache, so only the path check stands between it and ../evil.
  const hash = await addBlob(cacheOf(root), "pwnd");
  await Deno.writeTextFile(
    path.join(root, "evil.pvt"),
    `path: ../evil\nhash: "${hash}"\nsize: 4\n`,
  );
  const before = tree(outer.root);
  const result = await runPivotInProcess(root, ["checkout", "evil"]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  assert.match(
    result.stderr,
    /^error: malformed tracking file \S*evil\.pvt: path: expected 'evil' \(the file beside it\), found '\.\.\/evil'$/m,
  );
  assert.deepEqual(treeWithoutStateDb(outer.root), before);
});

Deno.test("pivot checkout skips a .pvt whose hash is a path, and fails", async () => {
  const { outer, root } = await nestedProject({
    "x.csv.pvt": 'path: x.csv\nhash: "../../etc/passwd"\nsize: 4\n',
  });
  await using _ = outer;
  const before = tree(outer.root);
  const result = await runPivotInProcess(root, ["checkout"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^error: unreadable tracking files were skipped:$/m);
  assert.match(
    result.stderr,
    /^ {2}malformed tracking file \S*x\.csv\.pvt: hash: invalid hash "\.\.\/\.\.\/etc\/passwd": expected 16 lowercase hex characters$/m,
  );
  assert.deepEqual(treeWithoutStateDb(outer.root), before);
});

Deno.test("pivot checkout treats hostile lock files as absent, with a warning naming each", async () => {
  const { outer, root } = await nestedProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  badpath: {cmd: 'true', outs: {model: json}}",
      "  badhash: {cmd: 'true', outs: {model: json}}",
      "  badmanifest: {cmd: 'true', outs: {images: dir}}",
      "",
    ].join("\n"),
  });
  await using _ = outer;
  const hash = await addBlob(cacheOf(root), "payload");
  const lock = (name: string) => `.pivot/stages/ml/${name}.lock`;
  await writeMlLock(
    root,
    [{ key: "model", path: "../../evil.json", hash, cache: true }],
    "badpath",
  );
  await writeMlLock(root, [
    { key: "model", path: "data/ml/badhash/model.json", hash: "../../etc/passwd", cache: true },
  ], "badhash");
  const manifest: ManifestEntry[] = [{ relpath: "../../escape", hash, size: 7, isexec: false }];
  await writeMlLock(root, [{
    key: "images",
    path: "data/ml/badmanifest/images",
    hash: treeHash(manifest),
    cache: true,
    manifest,
  }], "badmanifest");
  const before = tree(outer.root);

  const all = await runPivotInProcess(root, ["checkout"]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout, "3 stages not run yet\n");
  const warnings = all.stderr.split("\n").filter((line) => line !== "");
  assert.equal(warnings.length, 3, all.stderr);
  assert.ok(
    warnings.includes(
      `warning: ignoring malformed lock file ${
        lock("badpath")
      }: outs[0].path: unsafe path "../../evil.json": leaves its directory ('..')`,
    ),
    all.stderr,
  );
  assert.ok(
    warnings.includes(
      `warning: ignoring malformed lock file ${
        lock("badhash")
      }: outs[0].hash: invalid hash "../../etc/passwd": expected 16 lowercase hex characters`,
    ),
    all.stderr,
  );
  assert.ok(
    warnings.includes(
      `warning: ignoring malformed lock file ${
        lock("badmanifest")
      }: outs[0].manifest[0].relpath: unsafe path "../../escape": leaves its directory ('..')`,
    ),
    all.stderr,
  );

  const targeted = await runPivotInProcess(root, ["checkout", "badmanifest"]);
  assert.equal(targeted.code, 1);
  assert.match(targeted.stderr, /^warning: ignoring malformed lock file \S*badmanifest\.lock: /m);
  assert.match(
    targeted.stderr,
    /^error: nothing recorded to restore for badmanifest: no lock file with that output$/m,
  );
  assert.deepEqual(treeWithoutStateDb(outer.root), before);
});

/**
 * Tracks `data.csv`, deletes it and checks it out again, all with `env` and in `cwd`
 * (through `run`); returns the blob's path relative to the cache directory.
 */
async function trackAndRestore(
  root: string,
  env: Record<string, string>,
  cwd = root,
  run: typeof runPivot = runPivotInProcess,
): Promise<string> {
  const data = path.relative(cwd, path.join(root, "data.csv"));
  const tracked = await run(cwd, ["track", data], env);
  assert.equal(tracked.code, 0, tracked.stderr);
  const hash = pvtHash(await Deno.readTextFile(path.join(root, "data.csv.pvt")));
  await Deno.remove(path.join(root, "data.csv"));
  const restored = await run(cwd, ["checkout", data], env);
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(restored.stdout, "restored data.csv\n1 restored\n");
  assert.equal(await Deno.readTextFile(path.join(root, "data.csv")), "a,b\n1,2\n");
  assert.equal(await Deno.stat(path.join(root, ".pivot/cache")).catch(() => null), null);
  return blobPath("", hash);
}

Deno.test("PIVOT_CACHE_DIR (relative to the project root) moves the cache", async () => {
  await using p = await makeProject({ "data.csv": "a,b\n1,2\n", "sub/keep": "" });
  // Run from a subdirectory: the relative value is still resolved against the root.
  const blob = await trackAndRestore(p.root, { PIVOT_CACHE_DIR: "shared/cache" }, p.path("sub"));
  assert.equal(await p.read(`shared/cache/${blob}`), "a,b\n1,2\n");
});

Deno.test("PIVOT_CACHE_DIR (absolute) moves the cache outside the project", async () => {
  await using p = await makeProject({ "data.csv": "a,b\n1,2\n" });
  await using cache = await tempDir("pivot_test_cache_");
  const cacheDir = cache.path;
  // A real process: the variable comes from the process environment.
  const blob = await trackAndRestore(p.root, { PIVOT_CACHE_DIR: cacheDir }, p.root, runPivot);
  assert.equal(await Deno.readTextFile(path.join(cacheDir, blob)), "a,b\n1,2\n");
  assert.equal((await Deno.stat(path.join(cacheDir, blob))).mode! & 0o777, 0o444);
});

Deno.test("cache.dir in .pivot/config.yaml moves the cache", async () => {
  const { outer, root } = await nestedProject({
    "data.csv": "a,b\n1,2\n",
    ".pivot/config.yaml": "cache:\n  dir: ../blobs\n",
  });
  await using _ = outer;
  const blob = await trackAndRestore(root, {});
  assert.equal(await outer.read(`blobs/${blob}`), "a,b\n1,2\n");
});

Deno.test({
  name: "pivot checkout refuses a target outside the project",
  fn: async () => {
    const { outer, root } = await nestedProject({ "data.csv": "a,b\n1,2\n" });
    await using _ = outer;
    assert.equal((await runPivotInProcess(root, ["track", "data.csv"])).code, 0);
    await Deno.copyFile(path.join(root, "data.csv.pvt"), outer.path("data.csv.pvt"));
    const result = await runPivotInProcess(root, ["checkout", "../data.csv"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /outside the project/);
    assert.equal(await outer.exists("data.csv"), false);
  },
});

Deno.test({
  name: "pivot checkout --force --checkout-mode copy turns a hardlinked output into a copy",
  fn: async () => {
    const { p } = await ranProject();
    await using _ = p;
    assert.equal((await runPivotInProcess(p.root, ["checkout", "train"])).code, 0);
    assert.equal((await Deno.stat(p.path(MODEL))).nlink, 2);
    const result = await runPivotInProcess(p.root, [
      "checkout",
      "--force",
      "--checkout-mode",
      "copy",
      "train",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const info = await Deno.lstat(p.path(MODEL));
    assert.equal(info.nlink, 1);
    assert.equal(info.mode! & 0o777, 0o644);
  },
});

Deno.test("pivot checkout mentions a recorded metric (not cached) that is missing, naming the stage to run", async () => {
  await using p = await makeProject({
    "pivot.yaml": pipelineYaml("{model: json, scores: {format: json, kind: metric}}"),
  });
  const hash = await addBlob(cacheOf(p.root), MODEL_CONTENT);
  await writeMlLock(p.root, [
    { key: "model", path: MODEL, hash, cache: true },
    { key: "scores", path: "data/ml/train/scores.json", hash: hashBytes("{}\n"), cache: false },
  ]);
  for (const args of [["checkout"], ["checkout", "train"]]) {
    const result = await runPivotInProcess(p.root, args);
    assert.deepEqual(result, {
      code: 0,
      stdout: args.length === 1
        ? `restored ${MODEL_LABEL}\n1 restored, 1 missing and not cached (run the stage: pivot repro train)\n`
        : "1 up to date, 1 missing and not cached (run the stage: pivot repro train)\n",
      stderr: "",
    }, args.join(" "));
  }
});
