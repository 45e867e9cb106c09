/**
 * How many `cmd` stages run at once, and when none may start: `-j N` holds
 * for commands pivot runs itself (a run of a few stages) as for those on the
 * pool; after a failure (fail-fast) or Ctrl-C no command starts, not even
 * one whose stage was already waiting for a place behind the running ones.
 * Real commands noting when they start and end.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { MAIN, makeProject, runPivot, type TempProject } from "../_helpers/project.ts";
import { tempDir } from "../_helpers/files.ts";
import { shellQuote } from "../../src/util/shell_quote.ts";
import { spawnPivot, until } from "../_helpers/spawned.ts";
import { mostAtOnce, parseTimesLog } from "../_helpers/times_log.ts";
import { timeless } from "./_fixtures/engine.ts";

/** Shell text appending `<stage> <what> <µs since the epoch>` to `times.log` in the project. */
function note(what: string): string {
  return `echo "$PIVOT_STAGE ${what} $(($(date +%s%N) / 1000))" >> times.log`;
}

/**
 * A `pivot.yaml` of pipeline `ml` with `count` independent stages `s1`…,
 * each noting its start, running `body(i)`, writing its output and noting
 * its end (also when `body` exits).
 */
function pipeline(count: number, body: (i: number) => string): string {
  const lines = ["pipeline: ml", "stages:"];
  for (let i = 1; i <= count; i++) {
    const cmd = `trap '${note("end")}' EXIT; ${note("start")}; ${body(i)}; echo ${i} > \${outs}`;
    lines.push(`  s${i}:`, `    cmd: ${JSON.stringify(cmd)}`, "    outs: txt");
  }
  return `${lines.join("\n")}\n`;
}

/** The `[start, end]` times (µs) of each stage that started, from `times.log`. */
async function intervals(p: TempProject): Promise<Map<string, [number, number]>> {
  return parseTimesLog(await p.exists("times.log") ? await p.read("times.log") : "");
}

/** PIDs of the processes still running a stage command of project `p` (by their `PIVOT_CLAIM`). */
function commandsOf(p: TempProject): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let environ: string;
    try {
      environ = Deno.readTextFileSync(`/proc/${entry.name}/environ`);
    } catch {
      continue; // gone, or not ours to read
    }
    const claim = environ.split("\0").find((variable) => variable.startsWith("PIVOT_CLAIM="));
    if (claim?.includes(`${p.root}/`)) pids.push(Number(entry.name));
  }
  return pids;
}

Deno.test("-j 2 runs at most two commands at once, also in a run of a few stages (commands run by pivot itself)", async () => {
  await using p = await makeProject({ "pivot.yaml": pipeline(6, () => "sleep 0.3") });
  const result = await runPivotInProcess(p.root, ["repro", "-j", "2"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(timeless(result.stdout).split("\n").at(-2), "6 ran, 0 up to date (T)");
  const times = await intervals(p);
  assert.equal(times.size, 6);
  assert.equal(mostAtOnce(times.values()), 2, JSON.stringify([...times]));
});

Deno.test("-j 2 with many commands: the stages taken up first run first, none is held back to the end of the run", async () => {
  await using p = await makeProject({ "pivot.yaml": pipeline(40, () => "sleep 0.02") });
  const result = await runPivot(p.root, ["repro", "-j", "2"]);
  assert.equal(result.code, 0, result.stderr);
  const times = await intervals(p);
  const order = [...times].sort((a, b) => a[1][0] - b[1][0]).map(([stage]) => stage);
  assert.equal(order.length, 40);
  // The first ones begun (judged, claimed, their outputs cleared) start among the first.
  const late = order.slice(20).filter((stage) => Number(stage.slice(1)) <= 12);
  assert.deepEqual(late, [], order.join(" "));
});

Deno.test("fail-fast: once a command fails no other starts, not even those waiting behind the running ones", async () => {
  // More stages than pivot runs itself: the commands run on the pool, where with both places
  // taken the next ones wait behind the running ones (on the worker, or for a place).
  // The first command to start fails after 0.3 s; the others take 1 s.
  const body = () => "if mkdir first.lock 2>/dev/null; then sleep 0.3; exit 3; fi; sleep 1";
  await using p = await makeProject({ "pivot.yaml": pipeline(20, body) });
  const result = await runPivot(p.root, ["repro", "-j", "2"]);
  assert.equal(result.code, 1, result.stderr);
  assert.equal(
    timeless(result.stdout).split("\n").at(-2),
    "1 ran, 0 up to date, 1 failed, 18 blocked (T)",
  );
  const times = await intervals(p);
  const failedAt = Math.min(...[...times.values()].map(([, end]) => end));
  const late = [...times].filter(([, [start]]) => start > failedAt).map(([stage]) => stage);
  assert.deepEqual(late, [], "started after the failure");
  assert.equal(times.size, 2);
});

/** Trials of the Ctrl-C test: whether a stage waits for a place when it comes is a race. */
const INTERRUPT_TRIALS = 6;

Deno.test({
  name:
    `Ctrl-C with commands waiting behind the running ones: none of those starts, none is left running (${INTERRUPT_TRIALS} trials)`,
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using p = await makeProject({ "pivot.yaml": pipeline(20, () => "sleep 5") });
    for (let trial = 0; trial < INTERRUPT_TRIALS; trial++) {
      await Deno.remove(p.path("times.log")).catch(() => {});
      const pivot = spawnPivot(p.root, ["repro", "-j", "2"]);
      await until("two commands running", async () => (await intervals(p)).size === 2);
      // Let the stages behind them be handed over to the worker, and the next ones wait for a
      // place.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const interruptedAt = Date.now() * 1000;
      Deno.kill(pivot.pid, "SIGINT");
      const result = await pivot.done();
      assert.equal(result.code, 130, result.stderr);
      assert.equal(
        timeless(result.stdout).split("\n").at(-2),
        "0 ran, 0 up to date, 2 failed, 18 blocked, interrupted (T)",
        `trial ${trial}`,
      );
      const times = await intervals(p);
      const late = [...times].filter(([, [start]]) => start > interruptedAt).map(([s]) => s);
      assert.deepEqual(late, [], `trial ${trial}: started after Ctrl-C`);
      assert.equal(times.size, 2);
      assert.deepEqual(commandsOf(p), [], `trial ${trial}: commands left running`);
      const left = [...Deno.readDirSync(p.path(".pivot/stages/ml"))].map((entry) => entry.name);
      assert.deepEqual(left.filter((name) => name.endsWith(".running")), []);
    }
  },
});

for (
  const [signal, code, word, what] of [
    ["SIGTERM", 143, "terminated", "kill, timeout, docker stop"],
    ["SIGHUP", 129, "hung up", "the terminal closed, an ssh connection dropped"],
  ] as const
) {
  Deno.test({
    name:
      `${signal} (${what}) stops a run as Ctrl-C does: exit ${code}, no command left running, no temporary directory left`,
    ignore: Deno.build.os !== "linux",
    fn: async () => {
      await using p = await makeProject({ "pivot.yaml": pipeline(4, () => "sleep 30") });
      await using tmp = await tempDir();
      const pivot = spawnPivot(p.root, ["repro", "-j", "2"], { TMPDIR: tmp.path });
      await until("two commands running", async () => (await intervals(p)).size === 2);
      Deno.kill(pivot.pid, signal);
      const result = await pivot.done();
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, new RegExp(`^warning: ${word}: stopping running stages`, "m"));
      assert.equal(
        timeless(result.stdout).split("\n").at(-2),
        "0 ran, 0 up to date, 2 failed, 2 blocked, interrupted (T)",
      );
      assert.deepEqual(commandsOf(p), [], "commands left running");
      const left = [...Deno.readDirSync(p.path(".pivot/stages/ml"))].map((entry) => entry.name);
      assert.deepEqual(left.filter((name) => name.endsWith(".running")), []);
      assert.deepEqual([...Deno.readDirSync(tmp.path)].map((entry) => entry.name), []);
    },
  });
}

/** True when util-linux's `script` (a command run on a terminal of its own) is installed. */
function hasScript(): boolean {
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "a terminal that hangs up (closed, its ssh connection dropped) stops the run: no command left running, no claim left",
  ignore: Deno.build.os !== "linux" || !hasScript(),
  fn: async () => {
    await using p = await makeProject({ "pivot.yaml": pipeline(4, () => "sleep 30") });
    // pivot on a terminal of its own, whose writes fail (EIO) once it hangs up.
    const line = [Deno.execPath(), "run", "-A", "--quiet", MAIN, "repro", "-j", "2"]
      .map(shellQuote).join(" ");
    const terminal = new Deno.Command("script", {
      args: ["-qfec", line, "/dev/null"],
      cwd: p.root,
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    await until("two commands running", async () => (await intervals(p)).size === 2);
    terminal.kill("SIGKILL");
    await terminal.status;
    await terminal.stdin.close().catch(() => {});
    const claims = () =>
      [...Deno.readDirSync(p.path(".pivot/stages/ml"))].filter((entry) =>
        entry.name.endsWith(".running")
      );
    await until(
      "no command and no claim left",
      () => commandsOf(p).length === 0 && claims().length === 0,
    );
  },
});
