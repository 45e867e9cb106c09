/**
 * `checkoutOutputs` in-process: what it restores, leaves alone or cannot
 * restore, item by item, and whether the checkout is complete.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type CheckoutOptions,
  checkoutOutputs,
  type CheckoutReport,
  commitStages,
  trackPaths,
} from "../../src/ops/mod.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { CMD_FILES, CMD_PIPELINE, sessionOf } from "./_session.ts";

const PREP = "prep → data/ml/prep.txt";
const MODEL = "train:model → data/ml/train/model.txt";

/** A project whose stages are committed and whose `data.csv` is tracked. */
async function committedProject(): Promise<TempProject> {
  const p = await makeProject({ ...CMD_FILES, "data.csv": "x\n1\n" });
  await using session = await sessionOf(p);
  await commitStages(session, { targets: [] });
  await trackPaths(session, ["data.csv"]);
  return p;
}

/** The report's lists, by label (empty ones left out), and `complete`. */
type Summary = Partial<Record<keyof CheckoutReport, unknown>>;

/** `checkoutOutputs` in a fresh session, summarised. */
async function checkout(p: TempProject, options: Partial<CheckoutOptions> = {}): Promise<Summary> {
  const warnings: string[] = [];
  await using session = await sessionOf(p, warnings);
  const report = await checkoutOutputs(session, { targets: [], ...options });
  assert.deepEqual(warnings, []);
  const summary: Summary = { complete: report.complete };
  for (
    const key of ["restored", "relinked", "upToDate", "skipped", "modified", "missing"] as const
  ) {
    if (report[key].length > 0) summary[key] = report[key].map((item) => item.label);
  }
  for (const key of ["notRun", "notCached", "problems", "corrupt"] as const) {
    if (report[key].length > 0) summary[key] = report[key];
  }
  return summary;
}

/** Replaces the workspace file `rel` (a new file, not an edit through a link). */
async function replace(p: TempProject, rel: string, text: string): Promise<void> {
  await Deno.remove(p.path(rel));
  await p.write(rel, text);
}

Deno.test("checkoutOutputs() restores missing outputs and tracked paths, then finds them up to date", async () => {
  await using p = await committedProject();
  assert.deepEqual(await checkout(p), { complete: true, upToDate: [PREP, MODEL, "data.csv"] });
  for (const rel of ["data/ml/prep.txt", "data/ml/train/model.txt", "data.csv"]) {
    await Deno.remove(p.path(rel));
  }
  assert.deepEqual(await checkout(p), { complete: true, restored: [PREP, MODEL, "data.csv"] });
  assert.equal(await p.read("data/ml/train/model.txt"), "model\n");
  assert.equal(await p.read("data.csv"), "x\n1\n");
  assert.deepEqual(await checkout(p), { complete: true, upToDate: [PREP, MODEL, "data.csv"] });
});

Deno.test("checkoutOutputs() leaves content found nowhere else alone unless forced", async () => {
  await using p = await committedProject();
  await replace(p, "data/ml/train/model.txt", "my own edit\n");
  assert.deepEqual(await checkout(p, { targets: ["train"] }), {
    complete: false,
    modified: [MODEL],
  });
  assert.equal(await p.read("data/ml/train/model.txt"), "my own edit\n");
  // Content the cache holds (another version) is replaced without force.
  await replace(p, "data/ml/train/model.txt", "a,b\n1,2\n");
  assert.deepEqual(await checkout(p, { targets: ["train"] }), {
    complete: true,
    restored: [MODEL],
  });
  await replace(p, "data/ml/train/model.txt", "my own edit\n");
  assert.deepEqual(await checkout(p, { targets: ["train:model"], force: true }), {
    complete: true,
    restored: [MODEL],
  });
  assert.equal(await p.read("data/ml/train/model.txt"), "model\n");
});

Deno.test("checkoutOutputs() with onlyMissing restores only what is absent", async () => {
  await using p = await committedProject();
  await Deno.remove(p.path("data/ml/prep.txt"));
  await replace(p, "data/ml/train/model.txt", "my own edit\n");
  assert.deepEqual(await checkout(p, { onlyMissing: true }), {
    complete: true,
    restored: [PREP],
    skipped: [MODEL, "data.csv"],
  });
  assert.equal(await p.read("data/ml/train/model.txt"), "my own edit\n");
  await using session = await sessionOf(p);
  await assert.rejects(
    checkoutOutputs(session, { targets: [], onlyMissing: true, force: true }),
    (error: unknown) => {
      assert.ok(error instanceof PivotError);
      assert.equal(error.message, "--force and --only-missing cannot be used together");
      assert.equal(
        error.hint,
        "--only-missing leaves existing files alone; --force overwrites them",
      );
      return true;
    },
  );
});

Deno.test("checkoutOutputs() reports stages never run, uncached targets and content missing from the cache", async () => {
  await using p = await committedProject();
  await p.write(
    "pivot.yaml",
    `${CMD_PIPELINE}  extra:\n    cmd: never run\n    outs: txt\n`,
  );
  // A stage never run only makes a targeted checkout incomplete.
  assert.deepEqual(await checkout(p), {
    complete: true,
    upToDate: [PREP, MODEL, "data.csv"],
    notRun: ["extra"],
  });
  assert.deepEqual(await checkout(p, { targets: ["extra"] }), {
    complete: false,
    notRun: ["extra"],
  });
  // An uncached output named is confirmed as recorded, and cannot be restored once changed.
  assert.deepEqual(await checkout(p, { targets: ["train:score"] }), {
    complete: true,
    upToDate: ["train:score → data/ml/train/score.json"],
  });
  const score = await p.read("data/ml/train/score.json");
  await p.write("data/ml/train/score.json", "{}\n");
  assert.deepEqual(await checkout(p, { targets: ["train:score"] }), {
    complete: false,
    notCached: ["train:score → data/ml/train/score.json"],
  });
  await p.write("data/ml/train/score.json", score);
  await Deno.remove(p.path("data/ml/train/model.txt"));
  {
    await using session = await sessionOf(p);
    await Deno.remove(session.cache.blobPath(hashBytes("model\n")));
  }
  assert.deepEqual(await checkout(p, { targets: ["train", "prep"] }), {
    complete: false,
    upToDate: [PREP],
    missing: [MODEL],
  });
  assert.equal(await p.exists("data/ml/train/model.txt"), false);
});
