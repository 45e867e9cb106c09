import assert from "node:assert/strict";
import {
  type AssessOptions,
  assessStage,
  canonical,
  type EngineContext,
  inputHash,
  newRunId,
  planStage,
  recordStage,
  runStages,
  type StageState,
  upstreamOutputsUnchanged,
  type Verdict,
} from "../../src/engine/mod.ts";
import { openSession } from "../../src/session/mod.ts";
import { CHECKOUT_MODES, hashBytes, readLockFile, type StageLock } from "../../src/storage/mod.ts";
import type { PreciseStat } from "../../src/util/precise_stat.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";

/** What may change in the pipeline of {@linkcode pipelineYaml}. */
interface PipelineOptions {
  cmd?: string;
  deps?: Record<string, string>;
  params?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
}

const CMD = "cp ${deps.raw} ${outs.model} && printf '{\"acc\": 1}\\n' > ${outs.metrics}";

/**
 * `pivot.yaml` (JSON, which is YAML) of pipeline `ml` with one stage `train`:
 * input `raw.csv`, param `lr`, a cached output `model` and an uncached metric.
 */
function pipelineYaml(options: PipelineOptions = {}): string {
  return JSON.stringify({
    pipeline: "ml",
    stages: {
      train: {
        cmd: options.cmd ?? CMD,
        deps: options.deps ?? { raw: "raw.csv" },
        params: options.params ?? { lr: 0.1 },
        outs: {
          model: "txt",
          metrics: options.metrics ?? { format: "json", kind: "metric" },
        },
      },
    },
  });
}

/** A project with the pipeline and its input. */
function trainProject(): Promise<TempProject> {
  return makeProject({ "pivot.yaml": pipelineYaml(), "raw.csv": "x\n1\n2\n" });
}

/** Opens the project and an engine context; `work` runs before the context closes. */
async function withEngine<T>(
  p: TempProject,
  work: (ctx: EngineContext) => Promise<T>,
): Promise<T> {
  const warnings: string[] = [];
  try {
    await using session = await openSession({
      cwd: p.root,
      modes: CHECKOUT_MODES,
      warn: (message) => warnings.push(message),
    });
    return await work(session);
  } finally {
    assert.deepEqual(warnings, []);
  }
}

/** Runs `train` through the engine, asserting it ran. */
async function runTrain(p: TempProject): Promise<void> {
  await withEngine(p, async (ctx) => {
    const result = await runStages(ctx, {
      stages: ["train"],
      jobs: 1,
      runId: newRunId(),
      onEvent: () => {},
    });
    const train = result.results.get("train");
    assert.equal(train?.status, "ran", JSON.stringify(train));
  });
}

/** Assesses `train` in a fresh engine context. */
function assess(
  p: TempProject,
  options: AssessOptions = {},
): Promise<{ state: StageState; verdict: Verdict }> {
  return withEngine(p, (ctx) => assessStage(ctx, planStage(ctx.project, "train"), options));
}

/** The lock of `train`. */
async function lockOf(p: TempProject): Promise<StageLock> {
  const lock = await readLockFile(p.path(".pivot/stages/ml/train.lock"), {
    warn: (message) => assert.fail(message),
  });
  assert.ok(lock !== null, "no lock");
  return lock;
}

/** Blob path of `hash` in the project's cache. */
function blobOf(p: TempProject, hash: string): Promise<string> {
  return withEngine(p, (ctx) => Promise.resolve(ctx.cache.blobPath(hash)));
}

Deno.test("assessStage() runs a stage with no lock: 'no previous run'", async () => {
  await using p = await trainProject();
  const { state, verdict } = await assess(p);
  assert.deepEqual(verdict, { action: "run", reason: "no previous run", details: [] });
  assert.equal(state.lock, null);
  assert.deepEqual(state.missing, []);
  assert.deepEqual(state.deps?.map((d) => [d.name, d.identity, d.path]), [[
    "raw",
    null,
    "raw.csv",
  ]]);
  assert.deepEqual(state.params, { lr: 0.1 });
  assert.match(state.inputHash ?? "", /^[0-9a-f]{16}$/);
});

Deno.test("assessStage() skips a stage that just ran", async () => {
  await using p = await trainProject();
  await runTrain(p);
  const { state, verdict } = await assess(p);
  assert.deepEqual(verdict, { action: "skip" });
  assert.ok(state.lock !== null);
  assert.deepEqual(state.lock.params, { lr: 0.1 });
  assert.equal(state.lock.fingerprint.hash, state.fingerprint.hash);
});

Deno.test("assessStage() skips a stage recorded with recordStage()", async () => {
  await using p = await trainProject();
  await withEngine(p, async (ctx) => {
    const plan = planStage(ctx.project, "train");
    const { state } = await assessStage(ctx, plan);
    await p.write("data/ml/train/model.txt", "x\n1\n2\n");
    await p.write("data/ml/train/metrics.json", '{"acc": 1}\n');
    await recordStage(ctx, plan, state, newRunId());
  });
  assert.deepEqual((await assess(p)).verdict, { action: "skip" });
});

Deno.test("assessStage() runs a stage whose command changed: 'code changed'", async () => {
  await using p = await trainProject();
  await runTrain(p);
  await p.write("pivot.yaml", pipelineYaml({ cmd: `true && ${CMD}` }));
  assert.deepEqual((await assess(p)).verdict, {
    action: "run",
    reason: "code changed",
    details: ["code: the command"],
  });
});

Deno.test("assessStage() runs a stage whose params changed: 'params changed'", async () => {
  await using p = await trainProject();
  await runTrain(p);
  await p.write("pivot.yaml", pipelineYaml({ params: { lr: 0.2 } }));
  assert.deepEqual((await assess(p)).verdict, {
    action: "run",
    reason: "params changed",
    details: ["params: lr: 0.1 → 0.2"],
  });
});

Deno.test("assessStage() lists added, removed and nested params that changed", async () => {
  await using p = await trainProject();
  await p.write("pivot.yaml", pipelineYaml({ params: { lr: 0.1, opt: { name: "sgd", m: 1 } } }));
  await runTrain(p);
  await p.write("pivot.yaml", pipelineYaml({ params: { opt: { name: "adam", m: 1 }, epochs: 3 } }));
  assert.deepEqual((await assess(p)).verdict, {
    action: "run",
    reason: "params changed",
    details: [
      "params: epochs: (none) → 3",
      "params: lr: 0.1 → (none)",
      'params: opt.name: "sgd" → "adam"',
    ],
  });
});

Deno.test("assessStage() ignores the key order of params", async () => {
  await using p = await trainProject();
  await p.write("pivot.yaml", pipelineYaml({ params: { a: 1, b: { c: 2, d: 3 } } }));
  await runTrain(p);
  await p.write("pivot.yaml", pipelineYaml({ params: { b: { d: 3, c: 2 }, a: 1 } }));
  assert.deepEqual((await assess(p)).verdict, { action: "skip" });
});

Deno.test("assessStage() names only the params that changed, not an unchanged list of objects", async () => {
  // The lock keeps params with their keys sorted; a list of objects written in another key order
  // is the same value, so only the param that changed is named.
  await using p = await trainProject();
  const layers = [{ units: 64, act: "relu" }, 3];
  await p.write("pivot.yaml", pipelineYaml({ params: { lr: 0.1, layers } }));
  await runTrain(p);
  await p.write("pivot.yaml", pipelineYaml({ params: { lr: 0.2, layers } }));
  assert.deepEqual((await assess(p)).verdict, {
    action: "run",
    reason: "params changed",
    details: ["params: lr: 0.1 → 0.2"],
  });
});

Deno.test("assessStage() reports a code change before a params change", async () => {
  await using p = await trainProject();
  await runTrain(p);
  await p.write("pivot.yaml", pipelineYaml({ cmd: `true && ${CMD}`, params: { lr: 0.2 } }));
  assert.equal(((await assess(p)).verdict as { reason: string }).reason, "code changed");
});

Deno.test("assessStage() runs a stage whose input changed: 'inputs changed'", async () => {
  await using p = await trainProject();
  await runTrain(p);
  await p.write("raw.csv", "x\n1\n2\n3\n");
  assert.deepEqual((await assess(p)).verdict, {
    action: "run",
    reason: "inputs changed",
    details: ["input: raw.csv changed"],
  });
});

Deno.test("assessStage() names only the inputs added, removed or changed, in path order", async () => {
  await using p = await trainProject();
  await p.write("pivot.yaml", pipelineYaml({ deps: { raw: "raw.csv", b: "b.csv", c: "c.csv" } }));
  await Promise.all(["a.csv", "b.csv", "c.csv"].map((file) => p.write(file, `${file}\n`)));
  await runTrain(p);
  await p.write("raw.csv", "x\n1\n2\n3\n");
  await p.write("pivot.yaml", pipelineYaml({ deps: { raw: "raw.csv", c: "c.csv", a: "a.csv" } }));
  assert.deepEqual((await assess(p)).verdict, {
    action: "run",
    reason: "inputs changed",
    details: ["input: a.csv added", "input: b.csv removed", "input: raw.csv changed"],
  });
});

Deno.test("assessStage() reports a params change before an input change", async () => {
  await using p = await trainProject();
  await runTrain(p);
  await p.write("raw.csv", "x\n1\n2\n3\n");
  await p.write("pivot.yaml", pipelineYaml({ params: { lr: 0.2 } }));
  assert.equal(((await assess(p)).verdict as { reason: string }).reason, "params changed");
});

Deno.test("assessStage() fails a stage whose input is missing", async () => {
  await using p = await trainProject();
  await Deno.remove(p.path("raw.csv"));
  const before = await assess(p);
  assert.deepEqual(before.verdict, { action: "fail", reason: "missing input: raw.csv" });
  assert.equal(before.state.deps, null);
  assert.equal(before.state.inputHash, null);
  assert.deepEqual(before.state.missing, ["raw.csv"]);
});

Deno.test("assessStage() fails for a missing input before any other check", async () => {
  await using p = await trainProject();
  await runTrain(p);
  await Deno.remove(p.path("raw.csv"));
  await p.write("pivot.yaml", pipelineYaml({ cmd: `true && ${CMD}`, params: { lr: 0.2 } }));
  assert.deepEqual((await assess(p, { force: true })).verdict, {
    action: "fail",
    reason: "missing input: raw.csv",
  });
});

Deno.test("assessStage() restores a deleted cached output", async () => {
  await using p = await trainProject();
  await runTrain(p);
  const lock = await lockOf(p);
  await Deno.remove(p.path("data/ml/train/model.txt"));
  const { verdict } = await assess(p);
  assert.equal(verdict.action, "restore");
  const outs = (verdict as Extract<Verdict, { action: "restore" }>).outs;
  assert.deepEqual(
    outs.map(({ out, info }) => [out.identity, out.rel, info.hash]),
    [["train:model", "data/ml/train/model.txt", lock.outs.find((o) => o.key === "model")!.hash]],
  );
});

Deno.test("assessStage() runs a stage whose cached output was replaced by other content, naming it as identity → path", async () => {
  await using p = await trainProject();
  await runTrain(p);
  await Deno.remove(p.path("data/ml/train/model.txt"));
  await p.write("data/ml/train/model.txt", "edited by hand\n");
  assert.deepEqual((await assess(p)).verdict, {
    action: "run",
    reason: "output train:model → data/ml/train/model.txt was modified",
    details: [],
  });
});

Deno.test("assessStage() runs a stage whose deleted output is gone from the cache", async () => {
  await using p = await trainProject();
  await runTrain(p);
  const lock = await lockOf(p);
  const hash = lock.outs.find((o) => o.key === "model")!.hash;
  await Deno.remove(p.path("data/ml/train/model.txt"));
  await Deno.remove(await blobOf(p, hash));
  assert.deepEqual((await assess(p)).verdict, {
    action: "run",
    reason: "outputs missing from cache",
    details: ["train:model → data/ml/train/model.txt"],
  });
});

Deno.test("assessStage() re-caches an output whose blob is gone while the workspace copy matches", async () => {
  await using p = await trainProject();
  await runTrain(p);
  const lock = await lockOf(p);
  const hash = lock.outs.find((o) => o.key === "model")!.hash;
  await Deno.remove(await blobOf(p, hash));
  const { verdict } = await assess(p);
  assert.equal(verdict.action, "restore");
  const { outs, recache } = verdict as Extract<Verdict, { action: "restore" }>;
  assert.deepEqual(outs, []);
  assert.deepEqual(
    recache.map(({ out, info }) => [out.identity, out.rel, info.hash]),
    [["train:model", "data/ml/train/model.txt", hash]],
  );
});

Deno.test("assessStage() runs a stage whose output was edited while its blob is gone", async () => {
  await using p = await trainProject();
  await runTrain(p);
  const hash = (await lockOf(p)).outs.find((o) => o.key === "model")!.hash;
  await Deno.remove(await blobOf(p, hash));
  await Deno.remove(p.path("data/ml/train/model.txt"));
  await p.write("data/ml/train/model.txt", "edited by hand\n");
  assert.deepEqual((await assess(p)).verdict, {
    action: "run",
    reason:
      "output train:model → data/ml/train/model.txt was modified, and the cache does not hold its recorded content",
    details: [],
  });
});

Deno.test("assessStage() runs a stage whose uncached metric was modified", async () => {
  await using p = await trainProject();
  await runTrain(p);
  assert.equal(await p.read("data/ml/train/metrics.json"), '{"acc": 1}\n');
  await p.write("data/ml/train/metrics.json", '{"acc": 0.5}\n');
  assert.deepEqual((await assess(p)).verdict, {
    action: "run",
    reason: "output train:metrics → data/ml/train/metrics.json was modified",
    details: [],
  });
});

Deno.test("assessStage() runs a stage whose uncached metric is missing", async () => {
  await using p = await trainProject();
  await runTrain(p);
  await Deno.remove(p.path("data/ml/train/metrics.json"));
  assert.deepEqual((await assess(p)).verdict, {
    action: "run",
    reason: "output train:metrics → data/ml/train/metrics.json is missing",
    details: [],
  });
});

Deno.test("assessStage() runs a stage whose declared outputs changed", async () => {
  await using p = await trainProject();
  await runTrain(p);
  await p.write(
    "pivot.yaml",
    pipelineYaml({ metrics: { format: "json", kind: "metric", cache: true } }),
  );
  assert.deepEqual((await assess(p)).verdict, {
    action: "run",
    reason: "outputs changed",
    details: [],
  });
});

Deno.test("assessStage() with force runs an up-to-date stage: 'forced'", async () => {
  await using p = await trainProject();
  await runTrain(p);
  assert.deepEqual((await assess(p, { force: true })).verdict, {
    action: "run",
    reason: "forced",
    details: [],
  });
  // A real reason wins over "forced".
  await p.write("pivot.yaml", pipelineYaml({ params: { lr: 0.2 } }));
  assert.equal(
    ((await assess(p, { force: true })).verdict as { reason: string }).reason,
    "params changed",
  );
});

Deno.test("assessStage() gives a different inputHash when params change", async () => {
  await using p = await trainProject();
  const first = (await assess(p)).state.inputHash;
  await p.write("pivot.yaml", pipelineYaml({ params: { lr: 0.2 } }));
  const second = (await assess(p)).state.inputHash;
  assert.ok(first !== null && second !== null);
  assert.notEqual(second, first);
  await p.write("pivot.yaml", pipelineYaml({ params: { lr: 0.1 } }));
  assert.equal((await assess(p)).state.inputHash, first);
});

Deno.test("assessStage() gives the inputHash of its state's inputs, the same each time it is read", async () => {
  await using p = await trainProject();
  const { state } = await assess(p);
  const outs = await withEngine(p, (ctx) => Promise.resolve(planStage(ctx.project, "train").outs));
  const expected = inputHash(state.fingerprint, state.params, state.deps!, outs);
  assert.equal(state.inputHash, expected);
  assert.equal(state.inputHash, expected);
});

Deno.test("inputHash() is the hash of canonical() of the fingerprint, params, inputs and outputs", () => {
  // The run cache's keys: a stage run before keeps finding its entry.
  const fingerprint = { hash: "0123456789abcdef", manifest: { cmd: "fedcba9876543210" } };
  const params = { z: [{ b: 1, a: { d: null, c: "é" } }], a: 0.5 };
  const deps = ["b.csv", "a.csv", "a/x.csv"].map((path, i) => ({
    name: `d${i}`,
    identity: i === 0 ? null : `s${i}`,
    path,
    hash: `${i}`.repeat(16),
  }));
  const outs = [
    { key: "model", rel: "data/m.txt", cache: true, format: "txt" },
    { key: null, rel: "data/a.json", cache: false, format: "json" },
  ] as unknown as Parameters<typeof inputHash>[3];
  const expected = hashBytes(canonical({
    fingerprint: fingerprint.hash,
    params,
    deps: deps.map((d) => [d.path, d.hash]).sort(),
    outs: outs.map((o) => [o.key ?? "", o.rel, o.cache, o.format]).sort(),
  }));
  assert.equal(inputHash(fingerprint, params, deps, outs), expected);
});

Deno.test("inputHash() changes with params but not with their key order", async () => {
  await using p = await trainProject();
  const { state } = await assess(p);
  const outs = await withEngine(p, (ctx) => Promise.resolve(planStage(ctx.project, "train").outs));
  const deps = state.deps!;
  const base = inputHash(state.fingerprint, { a: 1, b: { c: 2, d: 3 } }, deps, outs);
  assert.equal(inputHash(state.fingerprint, { b: { d: 3, c: 2 }, a: 1 }, deps, outs), base);
  assert.notEqual(inputHash(state.fingerprint, { a: 2, b: { c: 2, d: 3 } }, deps, outs), base);
  assert.notEqual(inputHash(state.fingerprint, { a: 1, b: { c: 2, d: 3 } }, [], outs), base);
  assert.notEqual(inputHash(state.fingerprint, { a: 1, b: { c: 2, d: 3 } }, deps, []), base);
  assert.notEqual(
    inputHash({ hash: "0000000000000000", manifest: {} }, { a: 1, b: { c: 2, d: 3 } }, deps, outs),
    base,
  );
});

Deno.test("canonical() ignores object key order at every depth, not array order", () => {
  assert.equal(
    canonical({ b: 1, a: { d: [1, { y: 1, x: 2 }], c: null } }),
    canonical({ a: { c: null, d: [1, { x: 2, y: 1 }] }, b: 1 }),
  );
  assert.equal(canonical({ b: 1, a: 2 }), '{"a":2,"b":1}');
  assert.notEqual(canonical([1, 2]), canonical([2, 1]));
  assert.notEqual(canonical({ a: 1 }), canonical({ a: "1" }));
  assert.equal(canonical("text"), '"text"');
});

Deno.test("upstreamOutputsUnchanged() is false once an input produced by another stage changes or goes", async () => {
  await using p = await makeProject({
    "pivot.yaml": JSON.stringify({
      pipeline: "ml",
      stages: {
        prep: { cmd: "echo a > ${outs}", outs: "txt" },
        use: {
          cmd: "cat ${deps.in} raw.csv > ${outs}",
          deps: { in: "prep", raw: "raw.csv" },
          outs: "txt",
        },
      },
    }),
    "raw.csv": "x\n",
    "data/ml/prep.txt": "a\n",
  });
  await withEngine(p, async (ctx) => {
    const plan = planStage(ctx.project, "use");
    assert.deepEqual(plan.producers, [{
      name: "prep",
      sentinel: p.path(".pivot/stages/ml/prep.running"),
    }]);
    const { state } = await assessStage(ctx, plan);
    assert.equal(await upstreamOutputsUnchanged(ctx, plan, state), true);
    // A plain file is no stage's output: pivot does not keep it from changing.
    await p.write("raw.csv", "y\n");
    assert.equal(await upstreamOutputsUnchanged(ctx, plan, state), true);
    await p.write("data/ml/prep.txt", "b\n");
    assert.equal(await upstreamOutputsUnchanged(ctx, plan, state), false);
    await Deno.remove(p.path("data/ml/prep.txt"));
    assert.equal(await upstreamOutputsUnchanged(ctx, plan, state), false);
    const missing = await assessStage(ctx, plan);
    assert.equal(missing.state.deps, null);
    await p.write("data/ml/prep.txt", "a\n");
    assert.equal(await upstreamOutputsUnchanged(ctx, plan, missing.state), false);
  });
});

Deno.test("assessStage() with a run's lockDirs looks at the directory above a missing lock once for the run", async () => {
  await using p = await trainProject();
  const lockDir = p.path(".pivot/stages/ml");
  await withEngine(p, async (session) => {
    const looked: string[] = [];
    const stats: PreciseStat = {
      precise: session.stats.precise,
      stat(file, follow) {
        looked.push(file);
        return session.stats.stat(file, follow);
      },
      [Symbol.dispose]() {},
    };
    const ctx = new Proxy(session, {
      get(target, key) {
        if (key === "stats") return stats;
        const value = Reflect.get(target, key, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const lockDirs = new Map<string, boolean>();
    const plan = planStage(session.project, "train");
    for (const round of [1, 2]) {
      looked.length = 0;
      const { state, verdict } = await assessStage(ctx, plan, { lockDirs });
      assert.deepEqual(verdict, { action: "run", reason: "no previous run", details: [] });
      assert.equal(state.lock, null);
      assert.equal(looked.includes(lockDir), round === 1, `round ${round}: ${looked.join(", ")}`);
      assert.ok(looked.includes(plan.lockFile), `round ${round}: ${looked.join(", ")}`);
    }
  });
});
