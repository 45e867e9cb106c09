/**
 * Readers and writers of a stage's outputs in several real `pivot repro`
 * processes: a stage never reads upstream outputs that another process is
 * removing or rewriting, so its output and lock always match its inputs.
 * `PIVOT_TEST_TRIALS=20` runs a longer series.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { READERS_DIR } from "../../src/engine/reader_marks.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { copiedFixture, makeProject, type TempProject } from "../_helpers/project.ts";
import { spawnPivot, until } from "../_helpers/spawned.ts";

const TRIALS = Number(Deno.env.get("PIVOT_TEST_TRIALS") ?? "3");

/** A shell loop waiting (at most about 20 s) until the file `file` exists. */
function waitFor(file: string): string {
  return `n=0; while [ ! -f ${file} ] && [ $n -lt 1000 ]; do sleep 0.02; n=$((n+1)); done`;
}

/**
 * `s@1` and `s@2` write their names; with `../slow_<stage>` present a run
 * touches `../writing` (its output already removed) and waits for
 * `../release` first. `t` touches `../reading`, waits for `../go`, then
 * copies both inputs, one `cat` after the other: a missing first input leaves
 * `t.txt` without it, and the command still exits 0.
 */
const PIPELINE = [
  "pipeline: rw",
  "stages:",
  "  s:",
  "    cmd: >-",
  `      if [ -f ../slow_\${stage} ]; then touch ../writing; ${waitFor("../release")}; fi;`,
  "      echo ${stage} > ${outs}",
  "    outs: txt",
  "    matrix: {i: [1, 2]}",
  "  t:",
  "    cmd: >-",
  `      touch ../reading; ${waitFor("../go")};`,
  "      cat ${deps.a} > ${outs}; cat ${deps.b} >> ${outs}",
  "    deps: {a: s@1, b: s@2}",
  "    outs: txt",
  "",
].join("\n");

const EXPECTED = "s@1\ns@2\n";

/**
 * A project with the pipeline in `pipe/`, every stage run once. Built once
 * per test file; each call returns a copy of its own.
 */
const builtProject: () => Promise<TempProject> = copiedFixture(async () => {
  const p = await makeProject({ "pipe/pivot.yaml": PIPELINE });
  await p.write("go", "");
  const first = await runPivotInProcess(p.path("pipe"), ["repro", "-q"]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(await p.read("pipe/data/rw/t.txt"), EXPECTED);
  await Deno.remove(p.path("go"));
  await Deno.remove(p.path("reading"));
  return p;
});

/** Removes `file` after `ms` milliseconds (if it is still there). */
function removeLater(file: string, ms: number): void {
  setTimeout(() => Deno.remove(file).catch(() => {}), ms);
}

/** `t.txt` holds both inputs and `verify` passes. */
async function assertConsistent(p: TempProject, trial: number): Promise<void> {
  assert.equal(await p.read("pipe/data/rw/t.txt"), EXPECTED, `trial ${trial}: t.txt`);
  const verify = await runPivotInProcess(p.path("pipe"), ["verify"]);
  assert.equal(verify.code, 0, `trial ${trial}: ${verify.stdout}${verify.stderr}`);
  // Every reader mark is gone.
  assert.deepEqual([...Deno.readDirSync(p.path(`pipe/.pivot/stages/rw/${READERS_DIR}`))], []);
}

Deno.test(`pivot repro -f of a producer waits until another pivot process has read its output (${TRIALS} trials)`, async () => {
  for (let trial = 1; trial <= TRIALS; trial++) {
    await using p = await builtProject();
    await p.write("slow_s@1", "");
    // A runs t (reading s@1 and s@2) ...
    const reader = spawnPivot(p.path("pipe"), ["run", "-f", "t"]);
    await until("t to start", () => p.exists("reading"));
    // ... while B forces s@1.
    const writer = spawnPivot(p.path("pipe"), ["repro", "-f", "s@1"]);
    const waitLine = `waiting: 's@1' is being read by another pivot process (PID ${reader.pid})`;
    // Before readers and writers were kept apart, B removed s@1.txt and started its command.
    await until(
      "s@1 to wait or run",
      async () => writer.stderr().includes(waitLine) || await p.exists("writing"),
    );
    await p.write("go", "");
    const a = await reader.done();
    // B's command ends once A is done: before, A read while s@1.txt was gone.
    await p.write("release", "");
    const b = await writer.done();
    assert.equal(a.code, 0, `trial ${trial}: A: ${a.stdout}${a.stderr}`);
    assert.equal(b.code, 0, `trial ${trial}: B: ${b.stdout}${b.stderr}`);
    await assertConsistent(p, trial);
    assert.equal(b.stderr, `${waitLine}\n`, `trial ${trial}`);
    assert.match(b.stdout, /^ran s@1: forced \(/);
  }
});

Deno.test(`pivot run of a consumer waits until another pivot process has rewritten its input (${TRIALS} trials)`, async () => {
  for (let trial = 1; trial <= TRIALS; trial++) {
    await using p = await builtProject();
    await p.write("slow_s@1", "");
    await p.write("go", "");
    // B forces s@1: its output is gone until its command ends ...
    const writer = spawnPivot(p.path("pipe"), ["repro", "-f", "s@1"]);
    await until("s@1 to start", () => p.exists("writing"));
    // ... while A runs t, which reads it.
    const reader = spawnPivot(p.path("pipe"), ["run", "-f", "t"]);
    const waitLine =
      `waiting: input 's@1' is being written by another pivot process (PID ${writer.pid})`;
    // B's command ends once A waits for it (before, A failed without waiting).
    await until("t to wait or end", () => reader.stderr().includes(waitLine) || reader.ended());
    await p.write("release", "");
    const [b, a] = [await writer.done(), await reader.done()];
    assert.equal(b.code, 0, `trial ${trial}: B: ${b.stdout}${b.stderr}`);
    // Before, A found s@1.txt missing: "FAILED t: missing input: s@1 → data/rw/s@1.txt".
    assert.equal(a.code, 0, `trial ${trial}: A: ${a.stdout}${a.stderr}`);
    assert.equal(a.stderr, `${waitLine}\n`, `trial ${trial}`);
    assert.match(a.stdout, /ran t: forced \(/);
    await assertConsistent(p, trial);
  }
});

Deno.test("a repro waits for a live reader's mark on a stage before rewriting it, and removes a dead one's", async () => {
  await using p = await builtProject();
  const readers = p.path(`pipe/.pivot/stages/rw/${READERS_DIR}`);
  await Deno.mkdir(readers, { recursive: true });
  const sleeper = new Deno.Command("sleep", { args: ["5"] }).spawn();
  try {
    const live = path.join(readers, `s@1.${sleeper.pid}.0123456789ab`);
    await Deno.writeTextFile(live, `${sleeper.pid}\n`);
    removeLater(live, 500);
    const started = performance.now();
    const waited = await runPivotInProcess(p.path("pipe"), ["repro", "-f", "s@1"]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.ok(performance.now() - started >= 500);
    assert.equal(
      waited.stderr,
      `waiting: 's@1' is being read by another pivot process (PID ${sleeper.pid})\n`,
    );
  } finally {
    sleeper.kill("SIGKILL");
    await sleeper.status;
  }
  const dead = path.join(readers, `s@1.${sleeper.pid}.0123456789ab`);
  await Deno.writeTextFile(dead, `${sleeper.pid}\n`);
  const again = await runPivotInProcess(p.path("pipe"), ["repro", "-f", "s@1"]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr, "");
  assert.deepEqual([...Deno.readDirSync(readers)], []);
});

Deno.test("pivot run of a stage with work waits while another process holds an input's stage; an up-to-date one does not", async () => {
  await using p = await builtProject();
  await p.write("go", "");
  const sentinel = p.path("pipe/.pivot/stages/rw/s@1.running");
  const writer = new Deno.Command("sleep", { args: ["5"] }).spawn();
  try {
    await Deno.writeTextFile(sentinel, `${writer.pid}\n`);
    // Up to date: nothing is recorded, so nothing is waited for.
    const upToDate = await runPivotInProcess(p.path("pipe"), ["run", "t"]);
    assert.equal(upToDate.code, 0, upToDate.stderr);
    assert.equal(upToDate.stderr, "");
    assert.match(upToDate.stdout, /^up to date t\n/);
    removeLater(sentinel, 500);
    const started = performance.now();
    const forced = await runPivotInProcess(p.path("pipe"), ["run", "-f", "t"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(performance.now() - started >= 500);
    assert.equal(
      forced.stderr,
      `waiting: input 's@1' is being written by another pivot process (PID ${writer.pid})\n`,
    );
    assert.match(forced.stdout, /^ran t: forced \(/);
  } finally {
    writer.kill("SIGKILL");
    await writer.status;
  }
  await assertConsistent(p, 1);
});
