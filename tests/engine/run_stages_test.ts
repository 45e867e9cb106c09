/**
 * The coordinator (`runStages`) in-process with a fake worker pool: a real
 * temporary project and a real session, whose `cmd` stages are never run —
 * the fake writes their outputs (see `_fake_pool.ts`). What is checked is
 * the scheduling, the failure policy, the events and summary, and what is
 * recorded or left behind.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  type EngineEvent,
  FEW_STAGES,
  newRunId,
  type RunResult,
  runStages,
  type RunStagesOptions,
  type StageCompleteEvent,
  STAGES_AHEAD,
} from "../../src/engine/mod.ts";
import { openSession, type Session } from "../../src/session/mod.ts";
import { exists, names } from "../_helpers/files.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { FakePool, withPool } from "./_fake_pool.ts";

/** One `cmd` stage of a test pipeline (its command is never run). */
interface StageSpec {
  /** `deps:` as YAML flow text, e.g. `{in: a}`. */
  readonly deps?: string;
  /** `outs:`. @default {"txt"} */
  readonly outs?: string;
  readonly mutex?: string;
  readonly params?: string;
}

/** A `pivot.yaml` of pipeline `ml` with `stages`. */
function pipeline(stages: Record<string, StageSpec>): string {
  const lines = ["pipeline: ml", "stages:"];
  for (const [name, spec] of Object.entries(stages)) {
    lines.push(`  ${name}:`, "    cmd: never run");
    if (spec.deps !== undefined) lines.push(`    deps: ${spec.deps}`);
    lines.push(`    outs: ${spec.outs ?? "txt"}`);
    if (spec.mutex !== undefined) lines.push(`    mutex: ${spec.mutex}`);
    if (spec.params !== undefined) lines.push(`    params: ${spec.params}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A project holding `stages`, and its session; dispose of it to close both. */
async function projectWith(
  stages: Record<string, StageSpec>,
): Promise<{ p: TempProject; session: Session } & AsyncDisposable> {
  const p = await makeProject({ "pivot.yaml": pipeline(stages) });
  const warnings: string[] = [];
  const session = await openSession({ cwd: p.root, warn: (m) => warnings.push(m) });
  return {
    p,
    session,
    [Symbol.asyncDispose]: async () => {
      try {
        await session[Symbol.asyncDispose]();
      } finally {
        await p[Symbol.asyncDispose]();
      }
      assert.deepEqual(warnings, [], "no warnings");
    },
  };
}

/** What one `runStages` call did. */
interface Run extends RunResult {
  readonly events: EngineEvent[];
  /** `status: reason` of every stage, by name. */
  readonly outcomes: Record<string, string>;
  /** The pool sizes asked for. */
  readonly sizes: number[];
  /** Whether each ask was for `cmd` jobs run inline. */
  readonly inline: boolean[];
}

/** Runs every stage of the session's project (in DAG order) with `pool` as the workers. */
async function run(
  session: Session,
  pool: FakePool,
  options: Partial<Omit<RunStagesOptions, "onEvent" | "runId">> = {},
): Promise<Run> {
  const events: EngineEvent[] = [];
  const sizes: number[] = [];
  const inline: boolean[] = [];
  const result = await runStages(withPool(session, pool, sizes, inline), {
    stages: session.project.dag.order,
    jobs: 2,
    ...options,
    runId: newRunId(),
    onEvent: (event) => events.push(event),
  });
  const outcomes = Object.fromEntries(
    [...result.results].map(([name, r]) => [name, `${r.status}: ${r.reason}`]),
  );
  return { ...result, events, outcomes, sizes, inline };
}

/** The project-relative lock files that exist. */
function lockFiles(p: TempProject): string[] {
  return names(p.path(".pivot/stages/ml")).filter((name) => name.endsWith(".lock"));
}

/** The hashes of the blobs in the session's cache. */
function blobs(session: Session): string[] {
  return [...session.cache.listBlobs()].map((blob) => blob.hash).sort();
}

/** The `summary` event (asserting it is the last event and the only one). */
function summaryOf(events: readonly EngineEvent[]) {
  const summaries = events.filter((event) => event.type === "summary");
  assert.equal(summaries.length, 1);
  assert.equal(events.at(-1), summaries[0]);
  return summaries[0]!;
}

/** Resolves once `predicate()` holds (polling), failing after `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * `a` fails; `s` is independent of it and ends only after `a` has failed (so
 * `a` fails first, whatever the order they start in); `b` depends on `s`
 * only; `c` depends on `a`, `d` on `c`.
 */
const FAILING: Record<string, StageSpec> = {
  a: {},
  s: {},
  b: { deps: "{in: s}" },
  c: { deps: "{in: a}" },
  d: { deps: "{in: c}" },
};

/** The fake for {@linkcode FAILING}. */
function failingPool(): FakePool {
  return new FakePool({ a: { fail: "exit code 3\nthe last line" }, s: { after: "a" } });
}

Deno.test("runStages() fail-fast: nothing new starts after a failure; downstream names the root failed stage", async () => {
  await using t = await projectWith(FAILING);
  const pool = failingPool();
  const result = await run(t.session, pool);
  assert.deepEqual(result.outcomes, {
    a: "failed: exit code 3",
    s: "ran: no previous run",
    b: "blocked: not started: 'a' failed",
    c: "blocked: upstream 'a' failed",
    d: "blocked: upstream 'a' failed",
  });
  assert.deepEqual(pool.stages.sort(), ["a", "s"], "b, c and d never reached the pool");
  assert.deepEqual([pool.cancelled, pool.closed], [0, 0], "the pool is the session's to close");
  assert.equal(result.results.get("d")!.blockedBy, "a");
  assert.equal(result.results.get("b")!.blockedBy, "a");
  const failed = result.events.find((e): e is StageCompleteEvent =>
    e.type === "stage_complete" && e.stage === "a"
  );
  assert.deepEqual(failed?.details, ["the last line"]);
  assert.equal(result.interrupted, false);
  assert.deepEqual(lockFiles(t.p), ["s.lock"]);
  const { duration_ms: _, ...counts } = summaryOf(result.events);
  assert.deepEqual(counts, {
    type: "summary",
    ran: 1,
    skipped: 0,
    restored: 0,
    failed: 1,
    blocked: 3,
    interrupted: false,
  });
});

Deno.test("runStages() keep-going: stages that do not depend on the failure run", async () => {
  await using t = await projectWith(FAILING);
  const pool = failingPool();
  const result = await run(t.session, pool, { keepGoing: true });
  assert.deepEqual(result.outcomes, {
    a: "failed: exit code 3",
    s: "ran: no previous run",
    b: "ran: no previous run",
    c: "blocked: upstream 'a' failed",
    d: "blocked: upstream 'a' failed",
  });
  assert.deepEqual(pool.stages.sort(), ["a", "b", "s"]);
  assert.deepEqual(lockFiles(t.p), ["b.lock", "s.lock"]);
  assert.equal(await t.p.read("data/ml/b.txt"), "b\n");
});

Deno.test("runStages() reports stage_start before stage_complete for run stages, none for skipped or blocked ones, and the summary last", async () => {
  await using t = await projectWith({ a: {}, b: { deps: "{in: a}" }, c: { deps: "{in: b}" } });
  const first = await run(t.session, new FakePool({ c: { fail: "exit code 1" } }));
  const kinds = first.events.map((e) => e.type === "summary" ? "summary" : `${e.type} ${e.stage}`);
  // A chain runs in order: each stage starts and completes before the next starts.
  assert.deepEqual(kinds, [
    "stage_start a",
    "stage_complete a",
    "stage_start b",
    "stage_complete b",
    "stage_start c",
    "stage_complete c",
    "summary",
  ]);
  const starts = first.events.filter((e) => e.type === "stage_start");
  assert.deepEqual(starts.map((e) => [e.index, e.total]), [[1, 3], [2, 3], [3, 3]]);
  assert.deepEqual(summaryOf(first.events).ran, 2);
  assert.deepEqual(summaryOf(first.events).failed, 1);

  // Again: a and b are up to date (no start event), c fails again.
  const second = await run(t.session, new FakePool({ c: { fail: "exit code 1" } }));
  assert.deepEqual(
    second.events.map((e) => e.type === "summary" ? "summary" : `${e.type} ${e.stage}`),
    [
      "stage_complete a",
      "stage_complete b",
      "stage_start c",
      "stage_complete c",
      "summary",
    ],
  );
  const { duration_ms: _, ...counts } = summaryOf(second.events);
  assert.deepEqual(counts, {
    type: "summary",
    ran: 0,
    skipped: 2,
    restored: 0,
    failed: 1,
    blocked: 0,
    interrupted: false,
  });
});

Deno.test("runStages() runs at most `jobs` stages at once and asks for a pool of that size", async () => {
  const stages = Object.fromEntries(["s1", "s2", "s3", "s4", "s5", "s6"].map((n) => [n, {}]));
  await using t = await projectWith(stages);
  const pool = new FakePool(
    Object.fromEntries(Object.keys(stages).map((name) => [name, { delayMs: 60 }])),
  );
  const result = await run(t.session, pool, { jobs: 2 });
  assert.deepEqual(Object.values(result.outcomes), Array(6).fill("ran: no previous run"));
  assert.equal(pool.maxConcurrent, 2, "two at once, never more");
  assert.deepEqual([...new Set(result.sizes)], [2]);
});

Deno.test("runStages() runs cmd jobs inline when only a few stages are to be assessed", async () => {
  const many = Array.from({ length: FEW_STAGES + 1 }, (_, i) => `s${i}`);
  await using t = await projectWith(Object.fromEntries(many.map((n) => [n, {}])));
  const first = await run(t.session, new FakePool());
  assert.equal(first.results.size, FEW_STAGES + 1);
  assert.deepEqual([...new Set(first.inline)], [false], "more stages: on the pool");
  await Deno.remove(t.p.path("data/ml/s0.txt"));
  // All but s0 known up to date: one stage to assess, whose job runs without a worker.
  const pool = new FakePool();
  const second = await run(t.session, pool, { knownUpToDate: new Set(many.slice(1)) });
  assert.equal(second.outcomes.s0, "restored: outputs restored from the cache");
  await Deno.remove(t.p.path("data/ml/s0.txt"));
  const third = await run(t.session, pool, {
    knownUpToDate: new Set(many.slice(1)),
    force: new Set(["s0"]),
  });
  assert.equal(third.outcomes.s0, "ran: forced");
  assert.deepEqual(pool.jobs.map((job) => job.stage), ["s0"]);
  assert.deepEqual(third.inline, [true]);
  // FEW_STAGES to assess: still inline.
  const fourth = await run(t.session, pool, {
    knownUpToDate: new Set(many.slice(FEW_STAGES)),
    force: new Set(["s0"]),
  });
  assert.deepEqual(fourth.inline, [true]);
});

Deno.test("runStages() reports stages known to be up to date as skipped with no time, unless a failure blocks them", async () => {
  await using t = await projectWith({ a: {}, k1: {}, k2: {}, k3: {} });
  await run(t.session, new FakePool());
  const known = new Set(["k1", "k2", "k3"]);
  const second = await run(t.session, new FakePool(), {
    knownUpToDate: known,
    force: new Set(["a"]),
  });
  assert.deepEqual(second.outcomes, {
    a: "ran: forced",
    k1: "skipped: up to date",
    k2: "skipped: up to date",
    k3: "skipped: up to date",
  });
  const completions = second.events.filter((e): e is StageCompleteEvent =>
    e.type === "stage_complete" && known.has(e.stage)
  );
  assert.deepEqual(
    completions.map((e) =>
      `${e.stage} ${e.index}/${e.total} ${e.status} ${e.duration_ms} ms [${e.details.join()}]`
    ),
    ["k1 2/4 skipped 0 ms []", "k2 3/4 skipped 0 ms []", "k3 4/4 skipped 0 ms []"],
  );
  assert.equal(second.events.some((e) => e.type === "stage_start" && known.has(e.stage)), false);
  // Fail-fast: the known stages not begun when `a` fails are blocked, as any other stage.
  const third = await run(t.session, new FakePool({ a: { fail: "exit code 3" } }), {
    knownUpToDate: known,
    force: new Set(["a"]),
    jobs: 1,
  });
  assert.deepEqual(third.outcomes, {
    a: "failed: exit code 3",
    k1: "blocked: not started: 'a' failed",
    k2: "blocked: not started: 'a' failed",
    k3: "blocked: not started: 'a' failed",
  });
});

Deno.test("runStages() writes the records of the stages before it while the job of a stage processed alone runs", async () => {
  await using t = await projectWith({ a: {}, b: { deps: "{in: a}" } });
  /** The run-cache entries of stage `a` written to the project's state.db so far. */
  const written = () => {
    const db = new DatabaseSync(t.p.path(".pivot/state.db"), { readOnly: true });
    try {
      return (db.prepare("SELECT count(*) AS n FROM run_cache WHERE stage = 'ml/a'").get() as {
        n: number;
      }).n;
    } finally {
      db.close();
    }
  };
  let whileBRan: number | null = null;
  const pool = new FakePool({
    // Looked at while b's job runs, after the coordinator had its turn.
    b: { delayMs: 200, during: () => void setTimeout(() => (whileBRan = written()), 50) },
  });
  const result = await run(t.session, pool);
  assert.deepEqual(result.outcomes, { a: "ran: no previous run", b: "ran: no previous run" });
  assert.equal(whileBRan, 1, "a's run-cache entry was written while b ran");
});

Deno.test("runStages() never overlaps two stages of one mutex group, and runs a `*` stage alone", async () => {
  await using t = await projectWith({
    g1: { mutex: "[gpu]" },
    free1: {},
    g2: { mutex: "[GPU]" },
    solo: { mutex: "['*']" },
    free2: {},
    g3: { mutex: "[gpu, disk]" },
  });
  const pool = new FakePool(
    Object.fromEntries(
      ["g1", "free1", "g2", "solo", "free2", "g3"].map((name) => [name, { delayMs: 40 }]),
    ),
  );
  const result = await run(t.session, pool, { jobs: 4 });
  assert.equal(Object.values(result.outcomes).every((o) => o === "ran: no previous run"), true);
  const overlaps = [...pool.overlaps];
  for (const pair of ["g1|g2", "g1|g3", "g2|g3"]) assert.ok(!overlaps.includes(pair), pair);
  assert.deepEqual(overlaps.filter((pair) => pair.split("|").includes("solo")), []);
  assert.ok(pool.maxConcurrent >= 2, "other stages did run side by side");
});

Deno.test("runStages() on abort: the running job is cancelled, the rest blocked, nothing recorded", async () => {
  // a and b both hang; with one job, whichever gets the slot first is running when aborted.
  await using t = await projectWith({
    a: {},
    b: {},
    c: { deps: "{in: a}" },
    d: { deps: "{in: b}" },
  });
  const pool = new FakePool({ a: { hang: true }, b: { hang: true } });
  const controller = new AbortController();
  const pending = run(t.session, pool, { jobs: 1, signal: controller.signal });
  await until(() => pool.hanging === 1);
  controller.abort();
  const result = await pending;
  const [running] = pool.stages;
  assert.equal(pool.stages.length, 1, "only the running job reached the pool");
  const waiting = running === "a" ? "b" : "a";
  const downstream = (stage: string) => (stage === "a" ? "c" : "d");
  assert.deepEqual(result.outcomes, {
    [running!]: "failed: interrupted",
    [waiting]: "blocked: interrupted",
    [downstream(running!)]: "blocked: interrupted",
    [downstream(waiting)]: "blocked: interrupted",
  });
  assert.equal(result.results.get(downstream(waiting))!.blockedBy, null);
  assert.equal(result.results.get(downstream(running!))!.blockedBy, null);
  assert.equal(result.results.get(running!)!.interrupted, true);
  assert.equal(pool.cancelled, 1);
  assert.equal(result.interrupted, true);
  assert.equal(summaryOf(result.events).interrupted, true);
  assert.deepEqual(lockFiles(t.p), []);
  assert.deepEqual(blobs(t.session), []);
  // Only the claims' template is left, until the session ends.
  assert.deepEqual(
    names(t.p.path(".pivot/stages/ml")).filter((name) => !name.startsWith(`.claim.${Deno.pid}.`)),
    [],
    "no sentinel left",
  );
  // Every job ended, so the workers are not terminated from here: the session closes
  // them, and no timer outlives the run (the test's sanitizers would report one).
  assert.equal(pool.closed, 0);
});

Deno.test("runStages() with noCommit: outputs are produced, no lock or blob is written", async () => {
  await using t = await projectWith({ a: { outs: "{x: txt, y: txt}" }, b: { deps: "{in: a:x}" } });
  const pool = new FakePool();
  const result = await run(t.session, pool, { noCommit: true });
  assert.deepEqual(result.outcomes, { a: "ran: no previous run", b: "ran: no previous run" });
  assert.equal(await t.p.read("data/ml/a/x.txt"), "a\n");
  assert.equal(await t.p.read("data/ml/a/y.txt"), "a\n");
  assert.equal(await t.p.read("data/ml/b.txt"), "b\n");
  assert.deepEqual(lockFiles(t.p), []);
  assert.deepEqual(blobs(t.session), []);
});

Deno.test("runStages() a second time finds every stage up to date without calling the pool", async () => {
  await using t = await projectWith({ a: {}, b: { deps: "{in: a}" }, c: {} });
  const first = await run(t.session, new FakePool());
  assert.deepEqual(Object.values(first.outcomes), Array(3).fill("ran: no previous run"));
  assert.deepEqual(lockFiles(t.p), ["a.lock", "b.lock", "c.lock"]);
  assert.equal(blobs(t.session).length, 3);
  const pool = new FakePool();
  const second = await run(t.session, pool);
  assert.deepEqual(second.outcomes, {
    a: "skipped: up to date",
    b: "skipped: up to date",
    c: "skipped: up to date",
  });
  assert.deepEqual(pool.jobs, []);
  assert.deepEqual(second.sizes, [], "the pool was not even asked for");
});

Deno.test("runStages() fails a stage whose run produced no output, naming the output", async () => {
  for (const noCommit of [false, true]) {
    await using t = await projectWith({ a: { outs: "{model: txt}" }, b: { deps: "{in: a}" } });
    const result = await run(t.session, new FakePool({ a: { produce: false } }), { noCommit });
    assert.deepEqual(result.outcomes, {
      a: "failed: stage did not produce output a:model → data/ml/a/model.txt",
      b: "blocked: upstream 'a' failed",
    }, `noCommit: ${noCommit}`);
    assert.deepEqual(lockFiles(t.p), []);
  }
});

Deno.test("runStages() holds the stage's sentinel while its job runs and releases it after", async () => {
  await using t = await projectWith({ a: {}, b: { deps: "{in: a}" } });
  const seen: Record<string, string> = {};
  const sentinel = (stage: string) => t.p.path(`.pivot/stages/ml/${stage}.running`);
  const during = (job: { stage: string }) => {
    seen[job.stage] = Deno.readTextFileSync(sentinel(job.stage));
  };
  const result = await run(t.session, new FakePool({ a: { during }, b: { during } }));
  assert.deepEqual(result.outcomes, { a: "ran: no previous run", b: "ran: no previous run" });
  // Our PID, and the process group the job reported (the fake says 4242).
  const held = `${Deno.pid}\ngroup 4242 ${Deno.pid}\n`;
  assert.deepEqual(seen, { a: held, b: held });
  assert.equal(exists(sentinel("a")), false);
  assert.equal(exists(sentinel("b")), false);
});

Deno.test("runStages() claims a cmd stage by a link to its template, which noting the group leaves alone", async () => {
  await using t = await projectWith({ a: {}, b: { deps: "{in: a}" } });
  const dir = t.p.path(".pivot/stages/ml");
  const seen: Record<string, { text: string; links: number; templates: string[] }> = {};
  const during = (job: { stage: string }) => {
    const sentinel = path.join(dir, `${job.stage}.running`);
    const templates = names(dir).filter((name) => name.startsWith(`.claim.${Deno.pid}.`));
    seen[job.stage] = {
      text: Deno.readTextFileSync(sentinel),
      links: Deno.statSync(sentinel).nlink ?? 0,
      templates: templates.map((name) => Deno.readTextFileSync(path.join(dir, name))),
    };
  };
  // a's command ends before its group is reported; b's runs long enough to report it.
  const result = await run(t.session, new FakePool({ a: { during, group: false }, b: { during } }));
  assert.deepEqual(result.outcomes, { a: "ran: no previous run", b: "ran: no previous run" });
  const pid = `${Deno.pid}\n`;
  // a's sentinel is a second name of the template; b's was replaced by one with its group.
  assert.deepEqual(seen, {
    a: { text: pid, links: 2, templates: [pid] },
    b: { text: `${pid}group 4242 ${Deno.pid}\n`, links: 1, templates: [pid] },
  });
  assert.equal(exists(path.join(dir, "a.running")), false);
  assert.equal(exists(path.join(dir, "b.running")), false);
});

Deno.test("runStages() hands the next stage's job over before it records the stage whose slot it takes", async () => {
  await using t = await projectWith({ a: {}, b: {}, c: {} });
  // Two slots: b holds one throughout; c takes a's when a's job ends. Had the recording of a
  // begun by then (its output linked into the cache, its lock written)?
  let recorded: { links: number | null; lock: boolean } | null = null;
  const during = () => {
    const links = Deno.statSync(t.p.path("data/ml/a.txt")).nlink;
    recorded = { links, lock: exists(t.p.path(".pivot/stages/ml/a.lock")) };
  };
  const pool = new FakePool({ b: { delayMs: 300 }, c: { during } });
  const result = await run(t.session, pool, { jobs: 2 });
  assert.deepEqual(pool.stages, ["a", "b", "c"]);
  assert.deepEqual(recorded, { links: 1, lock: false });
  assert.deepEqual(lockFiles(t.p), ["a.lock", "b.lock", "c.lock"]);
  assert.deepEqual(result.outcomes, {
    a: "ran: no previous run",
    b: "ran: no previous run",
    c: "ran: no previous run",
  });
});

Deno.test("runStages() writes each stage's params file for the run and removes it after", async () => {
  await using t = await projectWith({
    a: { params: "{lr: 0.1, layers: [1, 2]}" },
    b: { params: "{lr: 0.1, layers: [1, 2]}" },
    c: {},
  });
  const files: Record<string, { file: string; text: string }> = {};
  const during = (job: { stage: string; kind: string; env?: Readonly<Record<string, string>> }) => {
    const file = job.env!["PIVOT_PARAMS"]!;
    files[job.stage] = { file, text: Deno.readTextFileSync(file) };
  };
  const result = await run(
    t.session,
    new FakePool({ a: { during }, b: { during }, c: { during } }),
  );
  assert.deepEqual(Object.values(result.outcomes), Array(3).fill("ran: no previous run"));
  assert.deepEqual(JSON.parse(files["a"]!.text), { lr: 0.1, layers: [1, 2] });
  assert.equal(files["a"]!.text, `${JSON.stringify({ lr: 0.1, layers: [1, 2] }, null, 2)}\n`);
  assert.equal(files["b"]!.file, files["a"]!.file, "stages with the same params share one file");
  assert.equal(files["c"]!.text, "{}\n");
  for (const { file } of Object.values(files)) {
    assert.equal(exists(file), false, `${file} removed`);
    assert.equal(exists(path.dirname(file)), false, "and its directory");
  }
});

Deno.test("runStages() works on a few stages at a time: the first job starts before every stage is claimed", async () => {
  const count = 40;
  const stages = Object.fromEntries(Array.from({ length: count }, (_, i) => [`s${i}`, {}]));
  await using t = await projectWith(stages);
  const claimed: number[] = [];
  const during = () => {
    claimed.push(names(t.p.path(".pivot/stages/ml")).filter((n) => n.endsWith(".running")).length);
  };
  const behaviour = Object.fromEntries(Object.keys(stages).map((name) => [name, { during }]));
  const result = await run(t.session, new FakePool(behaviour), { jobs: 2 });
  assert.deepEqual(Object.values(result.outcomes), Array(count).fill("ran: no previous run"));
  assert.equal(claimed.length, count);
  // While a job runs, only the stages holding a turn are claimed (not all 40).
  const most = Math.max(...claimed);
  assert.ok(most >= 1 && most <= 2 + STAGES_AHEAD, `claimed at once: ${claimed.join(" ")}`);
});

Deno.test("runStages(): a stage that fails while running has a time however fast it failed; one that failed before it began has none", async () => {
  const quick = Array.from({ length: 20 }, (_, i) => `q${i}`);
  await using t = await projectWith({
    ...Object.fromEntries(quick.map((name) => [name, {}])),
    early: { deps: "{in: ./missing.txt}" },
  });
  const pool = new FakePool(
    Object.fromEntries(quick.map((name) => [name, { fail: "exit code 1" }])),
  );
  const result = await run(t.session, pool, { keepGoing: true });
  const completed = new Map(
    result.events.filter((e): e is StageCompleteEvent => e.type === "stage_complete")
      .map((e) => [e.stage, e]),
  );
  for (const name of quick) {
    assert.equal(completed.get(name)?.status, "failed", name);
    assert.ok(
      completed.get(name)!.duration_ms >= 1,
      `${name}: ${completed.get(name)!.duration_ms}`,
    );
  }
  assert.equal(completed.get("early")?.status, "failed");
  assert.match(completed.get("early")!.reason, /missing/);
  assert.equal(completed.get("early")!.duration_ms, 0);
});

Deno.test("runStages() with one job runs independent stages in DAG order, however long each takes to assess", async () => {
  // `slow` has 400 inputs to hash before its verdict; `quick` none. With one
  // job a user expects them one at a time, in the order `dag` lists them.
  const deps = `{${Array.from({ length: 400 }, (_, i) => `i${i}: in/${i}.txt`).join(", ")}}`;
  await using t = await projectWith({ slow: { deps }, quick: {}, last: {} });
  await Deno.mkdir(t.p.path("in"));
  for (let i = 0; i < 400; i++) await Deno.writeTextFile(t.p.path(`in/${i}.txt`), `${i}\n`);
  for (let trial = 0; trial < 3; trial++) {
    const pool = new FakePool();
    await run(t.session, pool, { jobs: 1, force: new Set(["slow", "quick", "last"]) });
    assert.deepEqual(pool.stages, ["slow", "quick", "last"], `trial ${trial}`);
  }
});
