/**
 * `commitStages` in-process: the workspace recorded as it is, without
 * running anything.
 *
 * @module
 */
import assert from "node:assert/strict";
import { commitStages, stageStatus } from "../../src/ops/mod.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { CMD_FILES, sessionOf } from "./_session.ts";

/** `commitStages` of `targets` in a fresh session. */
async function commit(p: TempProject, targets: readonly string[] = []) {
  const warnings: string[] = [];
  await using session = await sessionOf(p, warnings);
  const reports = await commitStages(session, { targets });
  assert.deepEqual(warnings, []);
  return reports;
}

/** True when every stage of `p` is up to date. */
async function allUpToDate(p: TempProject): Promise<boolean> {
  await using session = await sessionOf(p);
  return (await stageStatus(session, { targets: [] })).every((report) => !report.stale);
}

Deno.test("commitStages() records stale stages from the workspace, caching their outputs", async () => {
  await using p = await makeProject(CMD_FILES);
  assert.equal(await allUpToDate(p), false);
  assert.deepEqual(await commit(p), [
    { stage: "prep", status: "committed", reason: "no previous run", hint: null },
    { stage: "train", status: "committed", reason: "no previous run", hint: null },
  ]);
  assert.equal(await allUpToDate(p), true);
  assert.equal(await p.exists(".pivot/stages/ml/prep.lock"), true);
  assert.equal(await p.exists(".pivot/stages/ml/train.lock"), true);
  await using session = await sessionOf(p);
  // Cached outputs go to the cache; the uncached metric does too (for the run cache).
  for (const text of ["a,b\n1,2\n", "model\n", '{"score": 1}\n']) {
    assert.equal(session.cache.has(hashBytes(text)), true, JSON.stringify(text));
  }
  // Cached outputs are ignored by git; the metric is not.
  assert.equal(
    await p.read("data/ml/.gitignore"),
    "# Written by pivot: cached stage outputs (the cache holds them).\n/prep.txt\n/train/model.txt\n",
  );
});

Deno.test("commitStages() without targets leaves up-to-date stages alone; with targets it records them", async () => {
  await using p = await makeProject(CMD_FILES);
  await commit(p);
  assert.deepEqual(await commit(p), [
    { stage: "prep", status: "unchanged", reason: "up to date", hint: null },
    { stage: "train", status: "unchanged", reason: "up to date", hint: null },
  ]);
  assert.deepEqual(await commit(p, ["train"]), [
    { stage: "train", status: "committed", reason: "up to date", hint: null },
  ]);
  // An edited output: only its stage is committed.
  await Deno.remove(p.path("data/ml/train/model.txt"));
  await p.write("data/ml/train/model.txt", "better model\n");
  assert.deepEqual(await commit(p), [
    { stage: "prep", status: "unchanged", reason: "up to date", hint: null },
    {
      stage: "train",
      status: "committed",
      reason: "output train:model → data/ml/train/model.txt was modified",
      hint: null,
    },
  ]);
  assert.equal(await allUpToDate(p), true);
});

Deno.test("commitStages() puts content the cache lost back from the workspace", async () => {
  await using p = await makeProject(CMD_FILES);
  await commit(p);
  {
    await using session = await sessionOf(p);
    await Deno.remove(session.cache.blobPath(hashBytes("model\n")));
  }
  assert.deepEqual(await commit(p), [
    { stage: "prep", status: "unchanged", reason: "up to date", hint: null },
    {
      stage: "train",
      status: "committed",
      reason: "content re-cached from the workspace",
      hint: null,
    },
  ]);
  await using session = await sessionOf(p);
  assert.equal(session.cache.has(hashBytes("model\n")), true);
});

Deno.test("commitStages() reports a stage it cannot record, and records the others", async () => {
  await using p = await makeProject(CMD_FILES);
  await Deno.remove(p.path("data/ml/train/model.txt"));
  assert.deepEqual(await commit(p), [
    { stage: "prep", status: "committed", reason: "no previous run", hint: null },
    {
      stage: "train",
      status: "failed",
      reason: "missing output train:model → data/ml/train/model.txt",
      hint: "produce the missing files (or run 'pivot repro'), then commit again",
    },
  ]);
  assert.equal(await p.exists(".pivot/stages/ml/train.lock"), false);

  await Deno.remove(p.path("raw.csv"));
  assert.deepEqual(await commit(p, ["prep"]), [
    {
      stage: "prep",
      status: "failed",
      reason: "missing input: raw.csv",
      hint: "produce the missing inputs (or run 'pivot repro'), then commit again",
    },
  ]);
});

Deno.test("commitStages() leaves an executable of a directory output where it is: never moved into the cache and copied back, which a pivot stopped meanwhile (Ctrl-C, SIGTERM) would leave cut short", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  tools:\n    cmd: 'false'\n    outs: dir\n",
    "data/ml/tools/run.sh": "#!/bin/sh\necho run\n",
    "data/ml/tools/notes.txt": "notes\n",
  });
  const script = p.path("data/ml/tools/run.sh");
  Deno.chmodSync(script, 0o755);
  const before = Deno.statSync(script);
  assert.deepEqual(await commit(p), [
    { stage: "tools", status: "committed", reason: "no previous run", hint: null },
  ]);
  const after = Deno.statSync(script);
  assert.equal(after.ino, before.ino, "the executable was replaced");
  assert.equal((after.mode ?? 0) & 0o777, 0o755);
  assert.equal(await p.read("data/ml/tools/run.sh"), "#!/bin/sh\necho run\n");
  await using session = await sessionOf(p);
  assert.equal(session.cache.has(hashBytes("#!/bin/sh\necho run\n")), true);
  assert.equal(await allUpToDate(p), true);
});
