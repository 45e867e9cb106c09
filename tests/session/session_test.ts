/**
 * The session: one owner per command of the state databases, caches,
 * fingerprints and worker pool, disposed of together. Checked in-process
 * with real temporary projects.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { planStage, stageFingerprint } from "../../src/engine/mod.ts";
import type { RunJob } from "../../src/engine/stage_job.ts";
import { commitStages } from "../../src/ops/mod.ts";
import { PipelineFileError } from "../../src/util/errors.ts";
import { openSession, type Session } from "../../src/session/mod.ts";
import { KEPT_PLAN_INPUTS } from "../../src/session/session.ts";
import { hashBytes, StateDb } from "../../src/storage/mod.ts";
import { exists, names } from "../_helpers/files.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";

/** Opens the session of the project `p`, its warnings going into `warnings`. */
function sessionOf(p: TempProject, warnings: string[] = []): Promise<Session> {
  return openSession({ cwd: p.root, warn: (message) => warnings.push(message) });
}

/** How many of this process's open file descriptors lead to `.pivot/state.db*` of `p` (Linux). */
function openStateDbHandles(p: TempProject): number {
  const prefix = p.path(".pivot/state.db");
  let count = 0;
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (Deno.readLinkSync(`/proc/self/fd/${entry.name}`).startsWith(prefix)) count++;
    } catch { /* closed meanwhile (the directory's own descriptor) */ }
  }
  return count;
}

/** The fingerprint the session takes of `run` stage `name`. */
async function fingerprintOf(session: Session, name: string): Promise<string> {
  const { def } = session.project.dag.stages.get(name)!;
  return (await stageFingerprint(
    def,
    session.project.root,
    session.fingerprints,
    await session.parseCache(),
  )).hash;
}

const RUN_PIPELINE =
  "pipeline: ml\nstages:\n  train:\n    run: ./stages.ts#train\n    outs: json\n";

Deno.test("two sessions do not share fingerprints: stage code edited between them is seen by the second", async () => {
  await using p = await makeProject({
    "pivot.yaml": RUN_PIPELINE,
    "stages.ts": "export function train() {\n  return { n: 1 };\n}\n",
  });
  let before: string;
  {
    await using first = await sessionOf(p);
    before = await fingerprintOf(first, "train");
    await p.write("stages.ts", "export function train() {\n  return { n: 2 };\n}\n");
    // Within one session a module is read and parsed once: the edit is not seen.
    assert.equal(await fingerprintOf(first, "train"), before);
  }
  await using second = await sessionOf(p);
  const after = await fingerprintOf(second, "train");
  assert.notEqual(after, before);
  // The same as a session that never saw the old code.
  await p.write("stages.ts", "export function train() {\n  return { n: 1 };\n}\n");
  await using third = await sessionOf(p);
  assert.equal(await fingerprintOf(third, "train"), before);
});

Deno.test("a project's first command keeps its pipeline parse: state.db created later holds it after dispose", async () => {
  const yaml = "pipeline: ml\nstages:\n  train:\n    cmd: never run\n    outs: txt\n";
  await using p = await makeProject({ "pivot.yaml": yaml, "data/ml/train.txt": "trained\n" });
  assert.deepEqual(names(p.path(".pivot")), [], "no state.db yet");
  const key = `pipeline-yaml:${hashBytes(yaml)}`;
  {
    await using session = await sessionOf(p);
    assert.deepEqual(await commitStages(session, { targets: [] }), [
      { stage: "train", status: "committed", reason: "no previous run", hint: null },
    ]);
  }
  const db = StateDb.openExisting(p.path(".pivot"));
  try {
    const cached = db.getParsed(key);
    assert.notEqual(cached, null, "the parse of pivot.yaml is in state.db");
    // The next command takes the pipeline from there: a stage renamed in the cached
    // parse (and only there) shows it did not parse pivot.yaml again.
    const data = JSON.parse(cached!);
    data.stages = { renamed: data.stages.train };
    db.putParsed([{ key, json: JSON.stringify(data) }], 60_000);
  } finally {
    db.close();
  }
  await using next = await sessionOf(p);
  assert.deepEqual(next.project.dag.order, ["renamed"]);
});

Deno.test("openSession() on a broken pipeline file throws, creating no state.db", async (t) => {
  for (
    const [name, yaml, message] of [
      [
        "invalid YAML",
        "pipeline: ml\nstages: [\n",
        /^pivot\.yaml:3:1: invalid YAML: /,
      ],
      [
        "an unknown key",
        "pipeline: ml\nstages:\n  a:\n    cmd: x\n    outz: txt\n",
        /^pivot\.yaml:5:5: stages\.a\.outz: unknown key 'outz' \(did you mean 'outs'\?\)$/,
      ],
    ] as const
  ) {
    await t.step(name, async () => {
      await using p = await makeProject({ "pivot.yaml": yaml });
      await assert.rejects(sessionOf(p), (error: unknown) => {
        assert.ok(error instanceof PipelineFileError, String(error));
        assert.match(error.message, message);
        return true;
      });
      assert.deepEqual(names(p.path(".pivot")), []);
    });
  }
  await t.step("with a state.db already there, it is left as it was (and closed)", async () => {
    await using p = await makeProject({
      "pivot.yaml": "pipeline: ml\nstages:\n  a:\n    cmd: x\n    outs: txt\n",
    });
    {
      await using session = await sessionOf(p);
      await session.projectDb();
    }
    const before = names(p.path(".pivot"));
    assert.ok(before.includes("state.db"));
    await p.write("pivot.yaml", "pipeline: ml\nstages: [\n");
    assert.equal(openStateDbHandles(p), 0);
    await assert.rejects(sessionOf(p), PipelineFileError);
    assert.deepEqual(names(p.path(".pivot")), before);
    assert.equal(openStateDbHandles(p), 0, "the state.db opened to load the pipeline is closed");
  });
});

/** A project with a stage function, `beat.ts#run`, that leaves a heartbeat behind in its (warm) worker. */
const BEAT_FILES = {
  "pivot.yaml": "pipeline: ml\nstages:\n  a:\n    cmd: x\n    outs: txt\n",
  "beat.ts": [
    "export function run(ctx: { params: { file: string } }) {",
    "  let n = 0;",
    "  setInterval(() => Deno.writeTextFileSync(ctx.params.file, String(++n)), 10);",
    "}",
    "",
  ].join("\n"),
};

/** The job running `beat.ts#run` of {@linkcode BEAT_FILES} in `p`, beating into `heartbeat.txt`. */
function beatJob(p: TempProject): RunJob {
  return {
    kind: "run",
    stage: "beat",
    moduleUrl: pathToFileURL(p.path("beat.ts")).href,
    exportPath: ["run"],
    deps: [],
    outs: [],
    params: { file: p.path("heartbeat.txt") },
    stageName: "beat",
  };
}

Deno.test("disposing of a session stops its workers, and a second dispose does nothing", async () => {
  await using p = await makeProject(BEAT_FILES);
  const heartbeat = p.path("heartbeat.txt");
  const session = await sessionOf(p);
  await session.projectDb();
  assert.ok(openStateDbHandles(p) > 0);
  const pool = session.workers(1);
  const outcome = await pool.run(beatJob(p), () => {});
  assert.equal(outcome, null);
  const read = () => (exists(heartbeat) ? Deno.readTextFileSync(heartbeat) : "");
  const pause = () => new Promise((resolve) => setTimeout(resolve, 100));
  // On a loaded machine a beat may take longer than one pause: wait for two (at most 10 s).
  const beating = read();
  for (let i = 0; i < 100 && (read() === beating || read() === "1"); i++) await pause();
  assert.notEqual(read(), beating, "the worker is alive after its job");
  await session[Symbol.asyncDispose]();
  await pause();
  await pause();
  const last = read();
  await pause();
  assert.equal(read(), last, "no worker remains after dispose");
  assert.equal(openStateDbHandles(p), 0, "and no database is left open");
  await session[Symbol.asyncDispose]();
  assert.equal(session.workers(1), pool, "the same, closed, pool");
  await assert.rejects(
    pool.run({ kind: "cmd", stage: "x", command: "true", cwd: p.root, env: {} }, () => {}),
    /worker pool is closed/,
  );
});

Deno.test("session.releaseWorkers() stops the workers started so far; a job asked for later starts new ones", async () => {
  await using p = await makeProject(BEAT_FILES);
  const heartbeat = p.path("heartbeat.txt");
  await using session = await sessionOf(p);
  const pool = session.workers(1);
  assert.equal(
    await pool.run(beatJob(p), () => {}),
    null,
  );
  const read = () => (exists(heartbeat) ? Deno.readTextFileSync(heartbeat) : "");
  const pause = () => new Promise((resolve) => setTimeout(resolve, 100));
  const beating = read();
  for (let i = 0; i < 100 && (read() === beating || read() === "1"); i++) await pause();
  assert.notEqual(read(), beating, "the worker is alive after its job");
  session.releaseWorkers();
  await pause();
  await pause();
  const last = read();
  await pause();
  assert.equal(read(), last, "no worker remains after releaseWorkers()");
  await assert.rejects(
    pool.run({ kind: "cmd", stage: "x", command: "true", cwd: p.root, env: {} }, () => {}),
    /worker pool is closed/,
  );
  const next = session.workers(1);
  assert.notEqual(next, pool);
  assert.equal(
    await next.run({ kind: "cmd", stage: "x", command: "true", cwd: p.root, env: {} }, () => {}),
    null,
  );
});

Deno.test("session.warnings counts the warnings passed through session.warn, which passes them on", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  a:\n    cmd: x\n    outs: txt\n",
  });
  const told: string[] = [];
  await using session = await sessionOf(p, told);
  assert.equal(session.warnings, 0);
  session.warn("one");
  session.warn("two");
  assert.equal(session.warnings, 2);
  assert.deepEqual(told, ["one", "two"]);
});

Deno.test("session.hasBlobs() is true only when every blob is cached, and records the cache directories it looked in", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  a:\n    cmd: x\n    outs: txt\n",
  });
  await using session = await sessionOf(p);
  const { cache } = session;
  const stored = async (text: string) => {
    const bytes = new TextEncoder().encode(text);
    const hash = hashBytes(bytes);
    await cache.addBytes(bytes, hash, "test");
    return hash;
  };
  const one = await stored("one\n");
  const two = await stored("two\n");
  const absent = hashBytes("absent\n");
  const dirOf = (hash: string) => path.dirname(cache.blobPath(hash));
  assert.deepEqual([...session.blobDirs], []);

  // A blob looked for and not found: its directory too (a blob added later changes it).
  assert.equal(session.hasBlobs({ hash: absent }), false);
  assert.deepEqual([...session.blobDirs], [dirOf(absent)]);
  assert.equal(session.hasBlobs({ hash: one }), true);
  assert.deepEqual([...session.blobDirs], [...new Set([dirOf(absent), dirOf(one)])]);

  const manifest = (hashes: string[]) => ({
    hash: "0000000000000000",
    manifest: hashes.map((hash, i) => ({ relpath: `f${i}`, hash, size: 4, isexec: false })),
  });
  assert.equal(session.hasBlobs(manifest([two, absent])), false);
  assert.equal(session.hasBlobs(manifest([one, two])), true);
  assert.deepEqual(
    [...session.blobDirs].sort(),
    [...new Set([dirOf(absent), dirOf(one), dirOf(two)])].sort(),
  );
});

Deno.test("session.plan() builds a plan with many inputs once and reuses it, and builds one with few inputs each time", async () => {
  const leaves = Array.from({ length: KEPT_PLAN_INPUTS }, (_, i) => `l${i}`);
  const yaml = [
    "pipeline: fan",
    "stages:",
    ...leaves.map((name) => `  ${name}:\n    cmd: echo ${name} > \${outs}\n    outs: txt`),
    `  all:\n    cmd: cat \${deps.in} > \${outs}\n    deps: {in: [${
      leaves.join(", ")
    }]}\n    outs: txt`,
  ].join("\n");
  await using p = await makeProject({ "pivot.yaml": `${yaml}\n` });
  await using session = await sessionOf(p);
  const all = session.plan("all");
  assert.equal(all.deps[0]!.inputs.length, KEPT_PLAN_INPUTS);
  assert.equal(session.plan("all"), all);
  assert.deepEqual(all, planStage(session.project, "all"));
  const leaf = session.plan("l0");
  assert.notEqual(session.plan("l0"), leaf);
  assert.deepEqual(session.plan("l0"), leaf);
  assert.throws(() => session.plan("nothing"), /unknown stage 'nothing'/);
});

const TS_PIPELINE = (n: number) =>
  `export function train() {\n  return { n: ${n} };\n}\n` +
  'export default { pipeline: "ml", stages: { train: { outs: "json", run: train } } };\n';

/** Opens the session as `repro` does: its stages' code will be fingerprinted. */
function reproSessionOf(p: TempProject): Promise<Session> {
  return openSession({ cwd: p.root, warn: () => {}, parsesStageCode: true });
}

Deno.test("a session for stage code in a project without state.db parses pipeline.ts as it loads: the fingerprint is of the code loaded", async () => {
  await using p = await makeProject({ "pipeline.ts": TS_PIPELINE(1) });
  let loaded: string;
  {
    await using session = await reproSessionOf(p);
    // Counted among the files read for fingerprints only once a fingerprint uses it.
    assert.deepEqual(session.fingerprints.files(), []);
    await p.write("pipeline.ts", TS_PIPELINE(2));
    loaded = await fingerprintOf(session, "train");
    assert.deepEqual(session.fingerprints.files(), [p.path("pipeline.ts")]);
  }
  await p.write("pipeline.ts", TS_PIPELINE(1));
  await using fresh = await sessionOf(p);
  assert.equal(await fingerprintOf(fresh, "train"), loaded, "the code as it was loaded");
});

Deno.test("with a state.db, a session for stage code parses pipeline.ts only when a fingerprint asks", async () => {
  await using p = await makeProject({ "pipeline.ts": TS_PIPELINE(1) });
  {
    await using session = await sessionOf(p);
    await session.projectDb();
  }
  await using session = await reproSessionOf(p);
  await p.write("pipeline.ts", TS_PIPELINE(2));
  const asked = await fingerprintOf(session, "train");
  await using edited = await sessionOf(p);
  assert.equal(await fingerprintOf(edited, "train"), asked, "the code as edited");
});

Deno.test("a session for stage code whose pipeline.ts does not load throws, its parse over", async () => {
  await using p = await makeProject({
    "pipeline.ts": 'throw new Error("broken");\nexport default { pipeline: "ml", stages: {} };\n',
  });
  // The test's sanitizers fail it if the parse begun while loading is still under way.
  await assert.rejects(reproSessionOf(p), (error: unknown) => {
    assert.match(String(error), /broken/);
    return true;
  });
  assert.deepEqual(names(p.path(".pivot")), []);
});

Deno.test("session.releaseWorkers() gives the event loop turns before it resolves, so the stopped workers can be torn down", async () => {
  await using p = await makeProject(BEAT_FILES);
  await using session = await sessionOf(p);
  const pool = session.workers(1);
  assert.equal(
    await pool.run({ kind: "cmd", stage: "x", command: "true", cwd: p.root, env: {} }, () => {}),
    null,
  );
  let turned = false;
  setTimeout(() => (turned = true), 0);
  await session.releaseWorkers();
  assert.ok(turned, "a timer due at once has fired");
});
