/**
 * `gcCache` in-process: which blobs a collection keeps and removes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { commitStages, gcCache, type GcOptions, type GcReport } from "../../src/ops/mod.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { CMD_PIPELINE, sessionOf } from "./_session.ts";

/** `prep` and `train` of CMD_PIPELINE, and `extra`, whose output only it references. */
const FILES: Record<string, string> = {
  "pivot.yaml": `${CMD_PIPELINE}  extra:\n    cmd: never run\n    outs: txt\n`,
  "raw.csv": "a,b\n1,2\n",
  "data/ml/prep.txt": "a,b\n1,2\n",
  "data/ml/train/model.txt": "model\n",
  "data/ml/train/score.json": '{"score": 1}\n',
  "data/ml/extra.txt": "extra\n",
};

/** `gcCache` in a fresh session; the report without the cache directory. */
async function gc(p: TempProject, options: GcOptions = {}): Promise<Omit<GcReport, "cacheDir">> {
  await using session = await sessionOf(p);
  const { cacheDir, ...report } = await gcCache(session, options);
  assert.equal(cacheDir, p.path(".pivot/cache"));
  return report;
}

/** True when the cache holds the blob of `text`. */
async function cached(p: TempProject, text: string): Promise<boolean> {
  await using session = await sessionOf(p);
  return session.cache.has(hashBytes(text));
}

Deno.test("gcCache() removes the blobs of a removed stage once its lock is gone, and only those", async () => {
  await using p = await makeProject(FILES);
  {
    await using session = await sessionOf(p);
    await commitStages(session, { targets: [] });
  }
  // The blobs of prep.txt, model.txt, score.json and extra.txt; three locks.
  const referenced = { kept: 4, young: 0, removed: 0, removedBytes: 0, leftovers: 0 };
  assert.deepEqual(await gc(p, { graceMinutes: 0 }), {
    ...referenced,
    graceMinutes: 0,
    references: 3,
    revisions: null,
    cloud: null,
  });

  // The stage removed from the pipeline: its lock still references its output.
  await p.write("pivot.yaml", CMD_PIPELINE);
  assert.deepEqual(await gc(p, { graceMinutes: 0 }), {
    ...referenced,
    graceMinutes: 0,
    references: 3,
    revisions: null,
    cloud: null,
  });
  await Deno.remove(p.path(".pivot/stages/ml/extra.lock"));
  const unreferenced = { kept: 3, young: 0, removed: 1, removedBytes: 6, leftovers: 0 };
  // Changed just now: kept for the default grace period.
  assert.deepEqual(await gc(p), {
    ...unreferenced,
    removed: 0,
    removedBytes: 0,
    young: 1,
    graceMinutes: 60,
    revisions: null,
    cloud: null,
    references: 2,
  });
  assert.deepEqual(await gc(p, { graceMinutes: 0, dryRun: true }), {
    ...unreferenced,
    graceMinutes: 0,
    references: 2,
    revisions: null,
    cloud: null,
  });
  assert.equal(await cached(p, "extra\n"), true, "a dry run removes nothing");
  assert.deepEqual(await gc(p, { graceMinutes: 0 }), {
    ...unreferenced,
    graceMinutes: 0,
    references: 2,
    revisions: null,
    cloud: null,
  });
  assert.equal(await cached(p, "extra\n"), false);
  for (const text of ["a,b\n1,2\n", "model\n", '{"score": 1}\n']) {
    assert.equal(await cached(p, text), true, JSON.stringify(text));
  }
  // The workspace copy (a link to the blob removed) keeps its content.
  assert.equal(await p.read("data/ml/extra.txt"), "extra\n");
});

Deno.test("gcCache() stops at an unreadable lock and removes nothing", async () => {
  await using p = await makeProject(FILES);
  {
    await using session = await sessionOf(p);
    await commitStages(session, { targets: [] });
  }
  await Deno.remove(p.path(".pivot/stages/ml/extra.lock"));
  await p.write(".pivot/stages/ml/train.lock", "schema: 1\n");
  await using session = await sessionOf(p);
  await assert.rejects(gcCache(session, { graceMinutes: 0 }), (error: unknown) => {
    assert.ok(error instanceof PivotError, String(error));
    assert.equal(
      error.message,
      "cannot read .pivot/stages/ml/train.lock: stage: expected a non-empty string; nothing was removed",
    );
    assert.equal(
      error.hint,
      "fix or delete that file (git can restore it), then run 'pivot gc' again",
    );
    return true;
  });
  assert.equal(session.cache.has(hashBytes("extra\n")), true);
});
