/**
 * Several real `pivot repro` processes on one project at once (SPEC §14): no
 * stage runs twice at once, over many trials. `PIVOT_TEST_TRIALS=100` runs a
 * longer series.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { MAIN, makeProject, pivotCommand, type TempProject } from "../_helpers/project.ts";

const TRIALS = Number(Deno.env.get("PIVOT_TEST_TRIALS") ?? "10");
const PROCESSES = 4;
/** Trials of the `run`-stage variant (fewer: each is as strong, and slower to start). */
const TS_TRIALS = Number(Deno.env.get("PIVOT_TEST_TRIALS") ?? "5");
const STAGES = Array.from({ length: 8 }, (_, i) => `s${i + 1}`);

/**
 * Each stage appends `start <stage> <pid> <ns>` and `end <stage> <pid> <ns>`
 * to `run.log` (outside every output) around a short sleep.
 */
const LOGGED_YAML = [
  "pipeline: ml",
  "stages:",
  ...STAGES.flatMap((name) => [
    `  ${name}:`,
    `    cmd: echo "start \${stage} $$ $(date +%s%N)" >> ../run.log; sleep 0.05; ` +
    `echo \${stage} > \${outs}; echo "end \${stage} $$ $(date +%s%N)" >> ../run.log`,
    "    outs: txt",
  ]),
  "",
].join("\n");

/** One run of a stage, from its log lines. */
interface Interval {
  readonly stage: string;
  readonly pid: string;
  readonly start: bigint;
  readonly end: bigint;
}

/** The runs in `log`; fails on a start without its end or the reverse. */
function intervals(log: string): Interval[] {
  const open = new Map<string, bigint>();
  const found: Interval[] = [];
  for (const line of log.trimEnd().split("\n")) {
    const [what, stage, pid, ns] = line.split(" ") as [string, string, string, string];
    const key = `${stage} ${pid}`;
    if (what === "start") open.set(key, BigInt(ns));
    else {
      const start = open.get(key);
      assert.ok(start !== undefined, `end without start: ${line}\n${log}`);
      open.delete(key);
      found.push({ stage, pid, start, end: BigInt(ns) });
    }
  }
  assert.deepEqual([...open.keys()], [], `runs that never ended:\n${log}`);
  return found;
}

/** Pairs of runs of one stage whose intervals overlap. */
function overlaps(runs: readonly Interval[]): [Interval, Interval][] {
  const pairs: [Interval, Interval][] = [];
  for (const [i, a] of runs.entries()) {
    for (const b of runs.slice(i + 1)) {
      if (a.stage === b.stage && a.start < b.end && b.start < a.end) pairs.push([a, b]);
    }
  }
  return pairs;
}

/**
 * Starts {@linkcode PROCESSES} `repro` processes at once in `p/pipe` (after one
 * in-process `status` has created the state databases: processes that all
 * create one at once can fail with "database is locked", SQLite's switch to
 * WAL mode, a separate problem from this one), and adds to `failures`, each
 * prefixed with `label`, every process that failed and every stage that two
 * ran at once.
 *
 * @returns the runs `run.log` holds and how many pairs of them overlapped
 */
async function raceRepros(
  p: TempProject,
  label: string,
  failures: string[],
): Promise<{ found: Interval[]; overlapping: number }> {
  assert.equal((await runPivotInProcess(p.path("pipe"), ["status", "-q"])).code, 1);
  const children = Array.from(
    { length: PROCESSES },
    () => pivotCommand(p.path("pipe"), ["repro"]).spawn(),
  );
  const outputs = await Promise.all(children.map((child) => child.output()));
  const decoder = new TextDecoder();
  for (const output of outputs) {
    if (output.code !== 0) failures.push(`${label}: ${decoder.decode(output.stderr)}`);
  }
  const found = intervals(await p.read("run.log"));
  const pairs = overlaps(found);
  for (const [a, b] of pairs) {
    failures.push(`${label}: '${a.stage}' ran in PIDs ${a.pid} and ${b.pid} at once`);
  }
  return { found, overlapping: pairs.length };
}

Deno.test(`${PROCESSES} repro processes started at once never run one stage twice at once (${TRIALS} trials)`, async () => {
  const failures: string[] = [];
  let overlapping = 0;
  let runs = 0;
  for (let trial = 1; trial <= TRIALS; trial++) {
    await using p = await makeProject({ "pipe/pivot.yaml": LOGGED_YAML, "run.log": "" });
    const { found, overlapping: pairs } = await raceRepros(p, `trial ${trial}`, failures);
    runs += found.length;
    overlapping += pairs;
    // Every stage ran at least once, and the project ends up consistent.
    assert.deepEqual([...new Set(found.map((run) => run.stage))].sort(), STAGES);
    const verify = await runPivotInProcess(p.path("pipe"), ["verify"]);
    if (verify.code !== 0) failures.push(`trial ${trial}: verify: ${verify.stdout}`);
  }
  // deno-lint-ignore no-console -- the counts of a longer manual series (PIVOT_TEST_TRIALS)
  console.log(`${TRIALS} trials, ${runs} stage runs, ${overlapping} overlapping pairs`);
  assert.deepEqual(failures, []);
});

/**
 * The stages of {@linkcode LOGGED_YAML} as `run` functions in a `pipeline.ts`
 * (their claims are links to a template: see `sentinel_templates.ts`); each
 * logs `start`/`end <stage> <pid> <ns>` to `log` around a short sleep.
 */
function loggedPipelineTs(log: string): string {
  return [
    "const at = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1000n;",
    "const note = (what: string, stage: string) =>",
    `  Deno.writeTextFileSync(${
      JSON.stringify(log)
    }, \`\${what} \${stage} \${Deno.pid} \${at()}\\n\`, { append: true });`,
    "const logged = async ({ stage }: { stage: string }) => {",
    '  note("start", stage);',
    "  await new Promise((resolve) => setTimeout(resolve, 50));",
    '  note("end", stage);',
    "  return `${stage}\\n`;",
    "};",
    'export default { pipeline: "ml", stages: {',
    ...STAGES.map((name) => `  ${name}: { outs: "txt", run: logged },`),
    "} };",
    "",
  ].join("\n");
}

Deno.test(`${PROCESSES} repro processes started at once never run one 'run' stage twice at once (${TS_TRIALS} trials)`, async () => {
  const failures: string[] = [];
  for (let trial = 1; trial <= TS_TRIALS; trial++) {
    await using p = await makeProject({ "run.log": "" });
    await p.write("pipe/pipeline.ts", loggedPipelineTs(p.path("run.log")));
    const { found } = await raceRepros(p, `trial ${trial}`, failures);
    assert.deepEqual([...new Set(found.map((run) => run.stage))].sort(), STAGES);
    const verify = await runPivotInProcess(p.path("pipe"), ["verify"]);
    if (verify.code !== 0) failures.push(`trial ${trial}: verify: ${verify.stdout}`);
    // No claim template left behind, no sentinel left held.
    const stages = p.path("pipe/.pivot/stages/ml");
    const left = [...Deno.readDirSync(stages)].map((e) => e.name)
      .filter((name) =>
        name.endsWith(".tmp") ||
        (name.endsWith(".running") && name !== ".takeover.running" && name !== ".readers.running")
      );
    if (left.length > 0) failures.push(`trial ${trial}: left in ${stages}: ${left.join(", ")}`);
  }
  assert.deepEqual(failures, []);
});

/** Whether process `pid` still runs (not a zombie); false where there is no /proc. */
function running(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !["Z", "X"].includes(stat.slice(stat.lastIndexOf(")") + 2)[0]!);
  } catch {
    return false;
  }
}

/** The PID of the first command that logged its `start` line to `run.log` (waits for one). */
async function startedPid(p: TempProject): Promise<number> {
  let log: string;
  while ((log = await p.read("run.log")) === "") {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Number(log.split(" ")[2]);
}

/**
 * Runs `pivot repro` (in this process: the killed pivot and its orphaned
 * command are the real processes here) in `p`'s pipeline after the pivot
 * `killed` was killed while its command (process group `orphan`) ran, and
 * checks that it ended the orphan before it ran the stage once more, which
 * then finished alone.
 */
async function assertTakenOver(p: TempProject, killed: number, orphan: number): Promise<void> {
  const again = await runPivotInProcess(p.path("pipe"), ["repro"]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(
    again.stderr,
    `taking over 'train' from a killed pivot (PID ${killed}): ended its command (process group ${orphan})\n`,
  );
  assert.equal(running(orphan), false);
  // The orphan never finished; the second run started after it was gone.
  const log = await p.read("run.log");
  const lines = log.trimEnd().split("\n");
  assert.equal(lines.length, 3, log);
  assert.match(lines[0]!, new RegExp(`^start train ${orphan} `));
  assert.match(lines[1]!, /^start train \d+ /);
  assert.match(lines[2]!, /^end train \d+ /);
  assert.equal(overlaps(intervals(lines.slice(1).join("\n"))).length, 0);
  assert.equal(await p.read("pipe/data/ml/train.txt"), "trained\n");
  const verify = await runPivotInProcess(p.path("pipe"), ["verify"]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
}

Deno.test({
  name: "after kill -9 of pivot, the next repro ends the orphaned command before running the stage",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using p = await makeProject({
      "pipe/pivot.yaml": [
        "pipeline: ml",
        "stages:",
        "  train:",
        // Only the first run sleeps (long enough that a loaded machine cannot
        // finish it before the takeover); the test removes ../slow after the kill.
        `    cmd: echo "start \${stage} $$ $(date +%s%N)" >> ../run.log; ` +
        `if [ -e ../slow ]; then sleep 60; fi; ` +
        `echo trained > \${outs}; echo "end \${stage} $$ $(date +%s%N)" >> ../run.log`,
        "    outs: txt",
        "",
      ].join("\n"),
      "run.log": "",
      "slow": "",
    });
    const first = pivotCommand(p.path("pipe"), ["repro"], { stdout: "null", stderr: "null" })
      .spawn();
    const orphan = await startedPid(p);
    first.kill("SIGKILL");
    await first.status;
    assert.equal(running(orphan), true, "the killed pivot's command outlives it");
    await Deno.remove(p.path("slow"));
    try {
      await assertTakenOver(p, first.pid, orphan);
      // Nothing left running that could still change the output.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal((await runPivotInProcess(p.path("pipe"), ["verify"])).code, 0);
    } finally {
      if (running(orphan)) Deno.kill(-orphan, "SIGKILL");
    }
  },
});

const KILL_TRIALS = Number(Deno.env.get("PIVOT_TEST_TRIALS") ?? "5");

/**
 * A stage whose first run (while `../first` exists) kills its pivot at once
 * (`setsid` execs the shell in the process pivot started, so `$PPID` is
 * pivot), then would write the output after 30 s; later runs write it at
 * once. Each run logs `start`/`end` lines to `../run.log`.
 */
const SELF_KILLING_YAML = [
  "pipeline: ml",
  "stages:",
  "  train:",
  `    cmd: if [ -e ../first ]; then kill -9 $PPID; ` +
  `echo "start \${stage} $$ $(date +%s%N)" >> ../run.log; sleep 30; ` +
  `echo orphan > \${outs}; echo "end \${stage} $$ $(date +%s%N)" >> ../run.log; exit; fi; ` +
  `echo "start \${stage} $$ $(date +%s%N)" >> ../run.log; ` +
  `echo trained > \${outs}; echo "end \${stage} $$ $(date +%s%N)" >> ../run.log`,
  "    outs: txt",
  "",
].join("\n");

/**
 * Trials of a pivot (`first`: the arguments of `deno run`) killed by its
 * stage's command, then `pivot repro`: the orphaned command is ended before
 * the stage runs again, whether or not its group was noted. `groupNoted`
 * checks the killed pivot's sentinel.
 *
 * @returns the failed trials
 */
async function killedByItsCommand(
  first: readonly string[],
  groupNoted: (sentinel: string, pid: number) => void,
): Promise<string[]> {
  const failures: string[] = [];
  for (let trial = 1; trial <= KILL_TRIALS; trial++) {
    await using p = await makeProject({
      "pipe/pivot.yaml": SELF_KILLING_YAML,
      "run.log": "",
      "first": "",
    });
    const killed = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", ...first],
      cwd: p.path("pipe"),
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    assert.equal((await killed.status).signal, "SIGKILL", "the command killed its pivot");
    const orphan = await startedPid(p);
    try {
      assert.equal(running(orphan), true, "the killed pivot's command outlives it");
      groupNoted(await p.read("pipe/.pivot/stages/ml/train.running"), killed.pid);
      await Deno.remove(p.path("first"));
      await assertTakenOver(p, killed.pid, orphan);
    } catch (error) {
      failures.push(`trial ${trial}: ${error instanceof Error ? error.message : error}`);
    } finally {
      if (running(orphan)) Deno.kill(-orphan, "SIGKILL");
    }
  }
  return failures;
}

Deno.test({
  name:
    `a command whose pivot was killed before it noted the command's group is still ended by the next repro before the stage runs (${KILL_TRIALS} trials)`,
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // The engine on a real worker pool whose reports of command groups are held back.
    const late = path.join(import.meta.dirname!, "_late_group_pivot.ts");
    const failures = await killedByItsCommand([late], (sentinel, pid) => {
      assert.equal(sentinel, `${pid}\n`, "killed before it noted the group");
    });
    assert.deepEqual(failures, []);
  },
});

Deno.test({
  name:
    `a command that kills its pivot at once is ended by the next repro before the stage runs, whichever won the race to note its group (${KILL_TRIALS} trials)`,
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    let unnoted = 0;
    const failures = await killedByItsCommand([MAIN, "repro"], (sentinel) => {
      if (!/^group /m.test(sentinel)) unnoted++;
    });
    // deno-lint-ignore no-console -- how often the kill beat the note (it varies with load)
    console.log(`${KILL_TRIALS} trials, ${unnoted} killed before the group was noted`);
    assert.deepEqual(failures, []);
  },
});
