/**
 * Outputs of up-to-date stages that are missing from the cache (a deleted
 * cache, a blob moved aside as corrupt) or from the workspace: `status` and
 * `verify` say what is missing and how to fix it, `repro` and `commit` repair
 * it without running the stage.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { type CliResult, makeProject, runPivot, type TempProject } from "../_helpers/project.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { blobOf, timeless } from "./_fixtures/engine.ts";

/** train (a file and a directory output) → eval; each run is counted in counter.txt. */
const YAML = `pipeline: ml
stages:
  train:
    cmd: >-
      echo train >> counter.txt && echo w=1 > \${outs.model} &&
      mkdir -p \${outs.tree} && echo a > \${outs.tree}/a.txt && echo b > \${outs.tree}/b.txt
    outs: {model: txt, tree: dir}
  eval:
    cmd: echo eval >> counter.txt && sed 's/^/eval /' \${deps.m} > \${outs}
    deps: {m: train:model}
    outs: txt
`;
const MODEL = "data/ml/train/model.txt";
const EVAL = "data/ml/eval.txt";

/** Runs `pivot ...args` in the project, in this process. */
function pivot(p: TempProject, ...args: string[]): Promise<CliResult> {
  return runPivotInProcess(p.root, args);
}

/** Runs `pivot ...args`, asserting exit 0 and no stderr; returns stdout without timings. */
async function pivotOk(p: TempProject, ...args: string[]): Promise<string> {
  return succeeded(await pivot(p, ...args));
}

/**
 * {@linkcode pivotOk} in a process of its own, for the first command that
 * writes into a cache deleted since this process wrote to it: `ensureDirSync`
 * remembers, for the life of the process, the cache directories it created.
 */
async function pivotOkSpawned(p: TempProject, ...args: string[]): Promise<string> {
  return succeeded(await runPivot(p.root, args));
}

function succeeded(result: CliResult): string {
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  return timeless(result.stdout);
}

/** A project of {@linkcode YAML} whose stages have run once (plus `files`). */
async function ranProject(files: Record<string, string> = {}): Promise<TempProject> {
  const p = await makeProject({ "pivot.yaml": YAML, ...files });
  assert.equal(
    await pivotOk(p, "repro"),
    "ran train: no previous run (T)\nran eval: no previous run (T)\n2 ran, 0 up to date (T)\n",
  );
  return p;
}

/** Asserts that the blob of `content` is in the cache, read-only, and `rel` is linked to it. */
async function assertCached(p: TempProject, rel: string, content: string): Promise<void> {
  const blob = await Deno.stat(blobOf(p.root, hashBytes(content)));
  assert.equal(blob.mode! & 0o777, 0o444, `blob of ${rel}`);
  assert.equal((await Deno.stat(p.path(rel))).ino, blob.ino, `${rel} is linked to its blob`);
  assert.equal(await p.read(rel), content);
}

const UNCACHED_LINES = [
  "train:model → data/ml/train/model.txt: content missing from the cache; " +
  "'pivot commit train' (or repro) re-caches it from the workspace",
  "train:tree → data/ml/train/tree/: content missing from the cache; " +
  "'pivot commit train' (or repro) re-caches it from the workspace",
  "eval → data/ml/eval.txt: content missing from the cache; " +
  "'pivot commit eval' (or repro) re-caches it from the workspace",
];

// Before: with the cache deleted, status said "2 up to date", repro and commit did
// nothing, and verify failed for ever.
Deno.test("after the cache is deleted, status and verify say what is missing; repro re-caches it without running", async () => {
  await using p = await ranProject();
  await Deno.remove(p.path(".pivot/cache"), { recursive: true });

  assert.equal(
    await pivotOk(p, "status"),
    `${UNCACHED_LINES.join("\n")}\n2 with missing outputs, 0 up to date\n`,
  );
  assert.deepEqual(await pivot(p, "-q", "status"), { code: 1, stdout: "", stderr: "" });
  const json = JSON.parse(await pivotOk(p, "status", "--json"));
  assert.deepEqual(json.stages[0], {
    stage: "train",
    stale: false,
    reason: "content to re-cache from the workspace",
    details: ["train:model → data/ml/train/model.txt", "train:tree → data/ml/train/tree/"],
    failing: false,
    outputs: [
      {
        identity: "train:model",
        path: "data/ml/train/model.txt",
        status: "uncached",
        fix: "pivot commit train",
      },
      {
        identity: "train:tree",
        path: "data/ml/train/tree/",
        status: "uncached",
        fix: "pivot commit train",
      },
    ],
  });

  const verify = await pivot(p, "verify");
  assert.deepEqual(verify, {
    code: 1,
    stdout: "FAILED train: content missing from the cache: train:model, train:tree\n" +
      `    ${UNCACHED_LINES[0]}\n    ${UNCACHED_LINES[1]}\n` +
      "FAILED eval: content missing from the cache: eval\n" +
      `    ${UNCACHED_LINES[2]}\n` +
      "verification failed: 2 of 2 stages\n",
    stderr: "",
  });
  // checkout has nothing to restore: every workspace copy matches its lock.
  assert.equal(await pivotOk(p, "checkout"), "3 up to date\n");

  assert.equal(
    await pivotOkSpawned(p, "repro", "--explain"),
    "restored train: content re-cached from the workspace\n" +
      "    train:model → data/ml/train/model.txt\n" +
      "    train:tree → data/ml/train/tree/\n" +
      "restored eval: content re-cached from the workspace\n" +
      "    eval → data/ml/eval.txt\n" +
      "0 ran, 0 up to date, 2 restored (T)\n",
  );
  assert.equal(await p.read("counter.txt"), "train\neval\n", "nothing ran");
  await assertCached(p, MODEL, "w=1\n");
  await assertCached(p, "data/ml/train/tree/a.txt", "a\n");
  await assertCached(p, "data/ml/train/tree/b.txt", "b\n");
  await assertCached(p, EVAL, "eval w=1\n");
  assert.equal(
    await pivotOk(p, "verify"),
    "ok     train\nok     eval\nverification passed: 2 stages up to date\n",
  );
  assert.equal(
    await pivotOk(p, "repro"),
    "up to date train\nup to date eval\n0 ran, 2 up to date (T)\n",
  );
});

Deno.test("commit re-caches content missing from the cache without running", async () => {
  await using p = await ranProject();
  await Deno.remove(p.path(".pivot/cache"), { recursive: true });
  assert.equal(
    await pivotOkSpawned(p, "commit"),
    "committed train (content re-cached from the workspace)\n" +
      "committed eval (content re-cached from the workspace)\n" +
      "2 committed\n",
  );
  assert.equal(await p.read("counter.txt"), "train\neval\n", "nothing ran");
  await assertCached(p, MODEL, "w=1\n");
  await assertCached(p, "data/ml/train/tree/b.txt", "b\n");
  assert.equal(await pivotOk(p, "status"), "2 up to date\n");
  assert.equal(await pivotOk(p, "commit"), "nothing to commit: every stage is up to date\n");
});

Deno.test("repro re-caches an output whose blob was found corrupt and moved aside", async () => {
  // Copies: the workspace keeps the right content while the blob is damaged.
  await using p = await ranProject({ ".pivot/config.yaml": "cache:\n  checkout_mode: copy\n" });
  const blob = blobOf(p.root, hashBytes("w=1\n"));
  await Deno.chmod(blob, 0o644);
  await Deno.writeTextFile(blob, "damaged\n");

  assert.equal(
    await pivotOk(p, "status"),
    `${UNCACHED_LINES[0]}\n1 with missing outputs, 1 up to date\n`,
  );
  assert.equal(await Deno.readTextFile(`${blob}.corrupt`), "damaged\n");
  assert.equal(
    await pivotOk(p, "repro"),
    "restored train: content re-cached from the workspace\nup to date eval\n" +
      "0 ran, 1 up to date, 1 restored (T)\n",
  );
  assert.equal(await p.read("counter.txt"), "train\neval\n", "nothing ran");
  assert.equal(await Deno.readTextFile(blob), "w=1\n");
  assert.equal((await Deno.stat(blob)).mode! & 0o777, 0o444);
  assert.equal(
    await pivotOk(p, "verify", "train"),
    "ok     train\nverification passed: 1 stage up to date\n",
  );
});

Deno.test("an output missing from the workspace and from the cache makes the stage run; checkout says so", async () => {
  await using p = await ranProject();
  await Deno.remove(p.path(".pivot/cache"), { recursive: true });
  await Deno.remove(p.path(EVAL));
  const checkout = await pivot(p, "checkout");
  assert.equal(checkout.code, 1);
  assert.equal(checkout.stdout, "2 up to date\n");
  assert.match(
    checkout.stderr,
    /^error: 1 path cannot be restored: content missing from the cache:\n {2}eval → data\/ml\/eval\.txt\nhint: /,
  );
  assert.equal(
    await pivotOk(p, "status"),
    `${UNCACHED_LINES.slice(0, 2).join("\n")}\nstale eval: outputs missing from cache\n` +
      "1 stale, 1 with missing outputs, 0 up to date\n" +
      "hint: no remote is configured to pull from: 'pivot repro' produces the missing outputs again\n",
  );
  assert.equal(
    await pivotOkSpawned(p, "repro"),
    "restored train: content re-cached from the workspace\n" +
      "ran eval: outputs missing from cache (T)\n1 ran, 0 up to date, 1 restored (T)\n",
  );
  assert.equal(await p.read("counter.txt"), "train\neval\neval\n");
  await assertCached(p, EVAL, "eval w=1\n");
});

// Before: a deleted output made status print "2 up to date" and verify pass.
Deno.test("a deleted output is listed as missing, restorable, by status and verify, text and --json", async () => {
  await using p = await ranProject();
  await Deno.remove(p.path(MODEL));
  const missingLine =
    "train:model → data/ml/train/model.txt: missing, restorable: pivot checkout train:model";
  assert.equal(
    await pivotOk(p, "status"),
    `${missingLine}\n1 with missing outputs, 1 up to date\n`,
  );
  assert.deepEqual(await pivot(p, "-q", "status"), { code: 1, stdout: "", stderr: "" });
  assert.deepEqual(JSON.parse(await pivotOk(p, "status", "--json")).stages, [
    {
      stage: "train",
      stale: false,
      reason: "outputs to restore from the cache",
      details: ["train:model → data/ml/train/model.txt"],
      failing: false,
      outputs: [{
        identity: "train:model",
        path: "data/ml/train/model.txt",
        status: "missing",
        fix: "pivot checkout train:model",
      }],
    },
    { stage: "eval", stale: false, reason: "up to date", details: [], failing: false, outputs: [] },
  ]);
  assert.equal(
    await pivotOk(p, "repro", "--dry-run"),
    "would restore train:model → data/ml/train/model.txt\n1 with missing outputs, 1 up to date\n",
  );

  const verify = await pivot(p, "verify");
  assert.deepEqual(verify, {
    code: 1,
    stdout: "FAILED train: missing from the workspace: train:model\n" +
      `    ${missingLine}\n` +
      "ok     eval\n" +
      "verification failed: 1 of 2 stages\n",
    stderr: "",
  });
  const verifyJson = await pivot(p, "verify", "--json");
  assert.equal(verifyJson.code, 1);
  assert.deepEqual(JSON.parse(verifyJson.stdout), {
    passed: false,
    stages: [
      {
        stage: "train",
        passed: false,
        reason: "missing from the workspace: train:model",
        missing: [],
        outputs: [{
          identity: "train:model",
          path: "data/ml/train/model.txt",
          status: "missing",
          fix: "pivot checkout train:model",
        }],
      },
      { stage: "eval", passed: true, reason: "", missing: [], outputs: [] },
    ],
    tracked: [],
  });

  // A directory output replaced by a dangling symlink is missing too.
  await Deno.remove(p.path("data/ml/train/tree"), { recursive: true });
  await Deno.symlink(p.path("nowhere"), p.path("data/ml/train/tree"));
  assert.equal(
    await pivotOk(p, "status"),
    `${missingLine}\n` +
      "train:tree → data/ml/train/tree/: missing, restorable: pivot checkout train:tree\n" +
      "1 with missing outputs, 1 up to date\n",
  );
  assert.equal(
    await pivotOk(p, "checkout", "train:model", "train:tree"),
    "restored train:model → data/ml/train/model.txt\n" +
      "restored train:tree → data/ml/train/tree/\n2 restored\n",
  );
  assert.equal(await pivotOk(p, "status"), "2 up to date\n");
  assert.equal(await p.read("data/ml/train/tree/a.txt"), "a\n");
  assert.equal(await p.read("counter.txt"), "train\neval\n", "nothing ran");
});
