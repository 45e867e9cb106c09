import assert from "node:assert/strict";
import * as path from "node:path";
import { parse } from "yaml";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { hashBytes, type ManifestEntry, treeHash } from "../../src/storage/mod.ts";
import { statOrNullSync } from "../../src/util/fs.ts";
import { CHECKOUT_HINT } from "./_fixtures/engine.ts";

// Before the fix, every symlink inside a directory was left out of its manifest, including the
// ones a symlink checkout (or the hardlink → symlink fallback) places into the cache: a directory
// output recorded `manifest: []`, read as modified right after its run, and its dependents saw an
// empty directory.

/** A stage writing a two-file directory and one listing it. */
const DIR_PIPELINE = [
  "pipeline: sl",
  "stages:",
  "  mk:",
  "    cmd: mkdir -p ${outs} && echo a > ${outs}/a.txt && echo b > ${outs}/b.txt",
  "    outs: dir",
  "  use:",
  "    cmd: ls ${deps.d} > ${outs}",
  "    deps: {d: mk}",
  "    outs: txt",
  "",
].join("\n");

/** The manifest of `mk`'s directory whichever way its files were placed. */
const MK_MANIFEST: ManifestEntry[] = [
  { relpath: "a.txt", hash: hashBytes("a\n"), size: 2, isexec: false },
  { relpath: "b.txt", hash: hashBytes("b\n"), size: 2, isexec: false },
];

/** The output `mk` as its lock records it. */
async function recordedMk(p: TempProject): Promise<unknown> {
  const lock = parse(await p.read(".pivot/stages/sl/mk.lock"));
  return lock.outs[0];
}

/** Runs pivot in-process and asserts it succeeded. */
async function pivot(p: TempProject, args: string[]): Promise<string> {
  const result = await runPivotInProcess(p.root, args);
  assert.equal(result.code, 0, `pivot ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** Asserts repro recorded the real manifest, status finds nothing stale and `use` saw both files. */
async function assertRecordedWhole(p: TempProject): Promise<void> {
  assert.deepEqual(await recordedMk(p), {
    path: "data/sl/mk",
    hash: treeHash(MK_MANIFEST),
    cache: true,
    manifest: MK_MANIFEST,
  });
  assert.equal(await p.read("data/sl/use.txt"), "a.txt\nb.txt\n");
  assert.equal(await pivot(p, ["status"]), "2 up to date\n");
  assert.equal(
    await pivot(p, ["verify"]),
    "ok     mk\nok     use\nverification passed: 2 stages up to date\n",
  );
  assert.equal(await pivot(p, ["commit"]), "nothing to commit: every stage is up to date\n");
}

Deno.test("pivot repro in symlink mode records a directory output's files and status finds it up to date", async () => {
  await using p = await makeProject({
    "pivot.yaml": DIR_PIPELINE,
    ".pivot/config.yaml": "cache:\n  checkout_mode: symlink\n",
  });
  await pivot(p, ["repro"]);
  assert.ok(Deno.lstatSync(p.path("data/sl/mk/a.txt")).isSymlink);
  await assertRecordedWhole(p);

  // A file of the directory edited (the symlink replaced by other content) is a change.
  await Deno.remove(p.path("data/sl/mk/b.txt"));
  await p.write("data/sl/mk/b.txt", "changed\n");
  assert.equal(
    await pivot(p, ["status"]),
    "stale mk: output mk → data/sl/mk/ was modified\nstale use: upstream 'mk' is stale\n2 stale, 0 up to date\n" +
      CHECKOUT_HINT,
  );
});

/** Why a second filesystem for the cache is not available, or `null` when it is. */
function noOtherFilesystem(): string | null {
  const shm = statOrNullSync("/dev/shm");
  if (shm === null || !shm.isDirectory) return "no /dev/shm";
  const tmp = Deno.makeTempDirSync();
  try {
    return Deno.statSync(tmp).dev === shm.dev ? "/dev/shm is on the temp dir's filesystem" : null;
  } finally {
    Deno.removeSync(tmp);
  }
}

Deno.test({
  name:
    "pivot repro with the cache on another filesystem (hardlinks fall back to symlinks) records the directory's files",
  ignore: noOtherFilesystem() !== null,
  fn: async () => {
    const cache = Deno.makeTempDirSync({ dir: "/dev/shm", prefix: "pivot_cache_" });
    try {
      await using p = await makeProject({
        "pivot.yaml": DIR_PIPELINE,
        ".pivot/config.yaml": `cache:\n  dir: ${cache}\n`,
      });
      await pivot(p, ["repro"]);
      const placed = Deno.readLinkSync(p.path("data/sl/mk/a.txt"));
      assert.ok(placed.startsWith(path.join(cache, "files")), placed);
      await assertRecordedWhole(p);
    } finally {
      Deno.removeSync(cache, { recursive: true });
    }
  },
});

Deno.test("a tracked directory relinked as symlinks still matches its .pvt", async () => {
  await using p = await makeProject({ "images/a.txt": "a\n", "images/b.txt": "b\n" });
  await pivot(p, ["track", "images"]);
  const relinked = await pivot(p, ["checkout", "--checkout-mode", "symlink", "--relink"]);
  assert.equal(relinked, "relinked images/\n1 relinked\n");
  assert.ok(Deno.lstatSync(p.path("images/a.txt")).isSymlink);
  assert.equal(await pivot(p, ["status"]), "0 up to date\n");
  const pvt = parse(await p.read("images.pvt"));
  assert.equal(pvt.hash, treeHash(MK_MANIFEST));
  assert.equal(
    await pivot(p, ["track", "--force", "images"]),
    "unchanged images/ (2 files, 4 B) → images.pvt\n",
  );
  assert.equal(
    await pivot(p, ["checkout", "--checkout-mode", "symlink"]),
    "1 up to date\n",
  );
});

Deno.test("pivot repro refuses to record a directory output holding only symlinks out of the cache", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: sl",
      "stages:",
      "  mk:",
      "    cmd: mkdir -p ${outs} && ln -s ../../../notes.txt ${outs}/n.txt",
      "    outs: dir",
      "",
    ].join("\n"),
    "notes.txt": "notes\n",
  });
  const result = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /cannot record output mk → data\/sl\/mk\/: none of the 1 entry it holds is part of a directory's content/,
  );
  assert.equal(await p.exists(".pivot/stages/sl/mk.lock"), false);
});
