import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import {
  MAIN,
  makeProject,
  pivotCommand,
  runPivot,
  type TempProject,
} from "../_helpers/project.ts";
import { spawnPivot, until } from "../_helpers/spawned.ts";
import {
  completions,
  jsonEvents,
  lockRel,
  present,
  timeless,
  waitForFile,
} from "./_fixtures/engine.ts";

/** bad fails (exit 3, after a line on stderr); down and later depend on it. */
const FAILING_YAML = `pipeline: ml
stages:
  bad:
    cmd: echo "about to fail" >&2; exit 3
    outs: txt
  down:
    cmd: cat \${deps.x} > \${outs}
    deps: {x: bad}
    outs: txt
  later:
    cmd: cat \${deps.x} > \${outs}
    deps: {x: down}
    outs: txt
`;

Deno.test("a failing stage exits 1, says why, blocks its downstream and records nothing", async () => {
  await using p = await makeProject({ "pivot.yaml": FAILING_YAML });
  // A real process: exit status and output end to end.
  const result = await runPivot(p.root, ["repro"]);
  assert.equal(result.code, 1);
  assert.equal(
    timeless(result.stdout),
    "blocked down: upstream 'bad' failed\n" +
      "blocked later: upstream 'bad' failed\n" +
      "0 ran, 0 up to date, 1 failed, 2 blocked (T)\n",
  );
  assert.equal(
    timeless(result.stderr),
    "about to fail\nFAILED bad: command exited with status 3 (T)\n",
  );
  for (const stage of ["bad", "down", "later"]) {
    assert.equal(await p.exists(lockRel("ml", stage)), false, stage);
  }

  const json = await runPivotInProcess(p.root, ["repro", "--json"]);
  assert.equal(json.code, 1);
  assert.equal(json.stderr, "");
  const events = jsonEvents(json.stdout);
  assert.deepEqual(events.find((e) => e.type === "stage_log"), {
    type: "stage_log",
    stage: "bad",
    line: "about to fail",
    stream: "stderr",
  });
  const done = completions(events);
  assert.equal(done.get("bad")!.status, "failed");
  assert.equal(done.get("bad")!.reason, "command exited with status 3");
  assert.equal(done.get("down")!.status, "blocked");
  assert.equal(done.get("later")!.reason, "upstream 'bad' failed");
  const summary = events.at(-1)!;
  assert.equal(summary.type, "summary");
  assert.equal(summary.failed, 1);
  assert.equal(summary.blocked, 2);
});

/** bad fails at once; slow takes a while; after depends on slow. */
const KEEP_GOING_YAML = `pipeline: ml
stages:
  bad:
    cmd: exit 1
    outs: txt
  slow:
    cmd: sleep 0.8 && echo slow > \${outs}
    outs: txt
  after:
    cmd: cat \${deps.s} > \${outs}
    deps: {s: slow}
    outs: txt
`;

Deno.test("after a failure running stages finish and nothing new starts, unless -k", async () => {
  await using p = await makeProject({ "pivot.yaml": KEEP_GOING_YAML });
  const failFast = await runPivotInProcess(p.root, ["repro", "-j", "2"]);
  assert.equal(failFast.code, 1);
  assert.equal(
    timeless(failFast.stdout),
    "ran slow: no previous run (T)\n" +
      "blocked after: not started: 'bad' failed\n" +
      "1 ran, 0 up to date, 1 failed, 1 blocked (T)\n",
  );
  assert.equal(timeless(failFast.stderr), "FAILED bad: command exited with status 1 (T)\n");
  assert.equal(await p.exists(lockRel("ml", "slow")), true);
  assert.equal(await p.exists(lockRel("ml", "after")), false);

  const keepGoing = await runPivotInProcess(p.root, ["repro", "-j", "2", "--keep-going"]);
  assert.equal(keepGoing.code, 1);
  assert.equal(
    timeless(keepGoing.stdout),
    "up to date slow\nran after: no previous run (T)\n1 ran, 1 up to date, 1 failed (T)\n",
  );
  assert.equal(await p.read("data/ml/after.txt"), "slow\n");
  assert.equal(await p.exists(lockRel("ml", "bad")), false);
});

/**
 * a → slow → c. slow writes part of its output and its shell's PID to
 * started.txt, then sleeps while slow.flag exists, then finishes its output.
 */
const SLOW_YAML = `pipeline: ml
stages:
  a:
    cmd: echo a > \${outs}
    outs: txt
  slow:
    cmd: echo partial > \${outs}; echo $$ > started.txt; if [ -f slow.flag ]; then sleep 5; fi; cat \${deps.a} >> \${outs}
    deps: {a: a}
    outs: txt
  c:
    cmd: cat \${deps.s} > \${outs}
    deps: {s: slow}
    outs: txt
`;
const SENTINEL = ".pivot/stages/ml/slow.running";

function hasSetsid(): boolean {
  return (Deno.env.get("PATH") ?? "").split(":").some((dir) => {
    try {
      return Deno.statSync(`${dir}/setsid`).isFile;
    } catch {
      return false;
    }
  });
}

Deno.test({
  name:
    "kill -9 in the middle of a run, then repro: the orphaned command is ended, consistent, verify passes",
  // setsid puts pivot in a process group of its own, to kill it and nothing else; its stage's
  // shell runs in a session of its own, which pivot finds through setsid too.
  ignore: !hasSetsid(),
  fn: async () => {
    await using p = await makeProject({ "pivot.yaml": SLOW_YAML, "slow.flag": "" });
    const child = new Deno.Command("setsid", {
      args: [Deno.execPath(), "run", "-A", "--quiet", MAIN, "repro"],
      cwd: p.root,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitForFile(p.path("started.txt"));
    } finally {
      Deno.kill(-child.pid, "SIGKILL");
    }
    assert.equal((await child.status).signal, "SIGKILL");

    // The killed run finished a, left slow half-written and unrecorded, and its command
    // (the shell, in process group of its own) still sleeping.
    const shell = Number.parseInt(await p.read("started.txt"), 10);
    assert.equal(await p.exists(lockRel("ml", "a")), true);
    assert.equal(await p.exists(lockRel("ml", "slow")), false);
    assert.equal(await p.read("data/ml/slow.txt"), "partial\n");
    // Its group is noted unless pivot was killed before the worker's report of it arrived:
    // the takeover finds the command either way.
    assert.match(
      await p.read(SENTINEL),
      new RegExp(`^${child.pid}\n(group ${shell} ${child.pid}\n)?$`),
    );
    assert.equal(await stillRunning(shell), true);

    await Deno.remove(p.path("slow.flag"));
    const again = await runPivotInProcess(p.root, ["repro"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(
      timeless(again.stdout),
      "up to date a\nran slow: no previous run (T)\nran c: no previous run (T)\n2 ran, 1 up to date (T)\n",
    );
    assert.equal(
      again.stderr,
      `taking over 'slow' from a killed pivot (PID ${child.pid}): ended its command (process group ${shell})\n`,
    );
    assert.equal(await stillRunning(shell), false);
    assert.equal(await p.read("data/ml/slow.txt"), "partial\na\n");
    assert.equal(await p.read("data/ml/c.txt"), "partial\na\n");
    assert.equal(await p.exists(SENTINEL), false);

    const verify = await runPivotInProcess(p.root, ["verify"]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal(verify.stdout.split("\n").at(-2), "verification passed: 3 stages up to date");
  },
});

Deno.test("a live .running sentinel makes repro wait for it; a stale one is taken over", async () => {
  await using p = await makeProject({ "pivot.yaml": SLOW_YAML });
  // Another process holds the stage, until the repro has said that it waits for it.
  const holder = new Deno.Command("sleep", { args: ["30"] }).spawn();
  const endHolder = () => {
    try {
      holder.kill("SIGKILL");
    } catch {
      // already ended
    }
  };
  await p.write(SENTINEL, `${holder.pid}\n`);
  const waited = await runPivotInProcess(p.root, ["repro"], {}, (text) => {
    if (text.startsWith("waiting: ")) endHolder();
  }).finally(endHolder);
  await holder.status;
  assert.equal(waited.code, 0, waited.stderr);
  assert.equal(
    timeless(waited.stderr),
    `waiting: 'slow' is running in another pivot process (PID ${holder.pid})\n`,
  );
  assert.equal(
    timeless(waited.stdout),
    "ran a: no previous run (T)\nran slow: no previous run (T)\nran c: no previous run (T)\n" +
      "3 ran, 0 up to date (T)\n",
  );
  assert.equal(await p.exists(SENTINEL), false);
  await Deno.remove(p.path(lockRel("ml", "slow")));

  const gone = new Deno.Command("true").spawn();
  await gone.status;
  await p.write(SENTINEL, `${gone.pid}\n`);
  const taken = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(taken.code, 0, taken.stderr);
  assert.equal(
    timeless(taken.stdout),
    "up to date a\nrestored slow: restored from the run cache (no previous run)\nup to date c\n" +
      "0 ran, 2 up to date, 1 restored (T)\n",
  );
  assert.equal(await p.exists(SENTINEL), false);
  assert.equal(await p.exists(lockRel("ml", "slow")), true);
});

/**
 * Checks a log of `start <pid> <stage>` / `end <pid> <stage>` lines: no stage
 * starts again before it ended; returns how often each stage started.
 */
function checkNoOverlap(log: string): Map<string, number> {
  const open = new Map<string, string>();
  const starts = new Map<string, number>();
  for (const line of log.trimEnd().split("\n")) {
    const [what, pid, stage] = line.split(" ") as [string, string, string];
    if (what === "start") {
      assert.equal(open.get(stage), undefined, `${stage} started twice at once:\n${log}`);
      open.set(stage, pid);
      starts.set(stage, (starts.get(stage) ?? 0) + 1);
    } else {
      assert.equal(open.get(stage), pid, `unexpected end of ${stage}:\n${log}`);
      open.delete(stage);
    }
  }
  assert.deepEqual([...open.keys()], [], `stages that never ended:\n${log}`);
  return starts;
}

/** A shell loop waiting (at most about 20 s) until the file `release` exists. */
const waitForRelease =
  "n=0; while [ ! -f release ] && [ $n -lt 1000 ]; do sleep 0.02; n=$((n+1)); done";

function loggedCmd(body: string): string {
  return `echo "start $$ \${stage}" >> log.txt; ${body}; echo "end $$ \${stage}" >> log.txt`;
}

Deno.test("a second repro reports the stage the first one is running, and runs nothing twice", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  a:",
      `    cmd: ${loggedCmd("echo a > ${outs}")}`,
      "    outs: txt",
      "  slow:",
      `    cmd: ${loggedCmd(`${waitForRelease}; cat \${deps.a} > \${outs}`)}`,
      "    deps: {a: a}",
      "    outs: txt",
      "  c:",
      `    cmd: ${loggedCmd("cat ${deps.s} > ${outs}")}`,
      "    deps: {s: slow}",
      "    outs: txt",
      "",
    ].join("\n"),
  });
  const first = pivotCommand(p.root, ["repro"]).spawn();
  let firstOutput: Deno.CommandOutput;
  let secondStdout = "";
  try {
    for (;;) {
      await waitForFile(p.path("log.txt"));
      if ((await p.read("log.txt")).includes(" slow\n")) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    // The second waits for the first to finish 'slow', then finds everything up to date
    // (two pivot processes). 'slow' ends once the second has said it waits.
    const waiting = new RegExp(
      `^waiting: 'slow' is running in another pivot process \\(PID ${first.pid}\\)$`,
      "m",
    );
    const running = spawnPivot(p.root, ["repro"]);
    await until(
      "the second to wait or end",
      () => waiting.test(running.stderr()) || running.ended(),
    );
    await p.write("release", "");
    const second = await running.done();
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, waiting);
    secondStdout = timeless(second.stdout);
  } finally {
    await p.write("release", "");
    firstOutput = await first.output();
  }
  const decoder = new TextDecoder();
  assert.equal(firstOutput.code, 0, decoder.decode(firstOutput.stderr));
  // Once 'slow' ends, 'c' is ready for both: whichever claims it first runs it, and the
  // other finds it up to date (either order is right; running it twice is not).
  const secondRanC = secondStdout.includes("\nran c: ");
  assert.equal(
    secondStdout,
    "up to date a\nup to date slow\n" +
      (secondRanC
        ? "ran c: no previous run (T)\n1 ran, 2 up to date (T)\n"
        : "up to date c\n0 ran, 3 up to date (T)\n"),
  );
  assert.equal(
    timeless(decoder.decode(firstOutput.stdout)),
    "ran a: no previous run (T)\nran slow: no previous run (T)\n" +
      (secondRanC
        ? "up to date c\n2 ran, 1 up to date (T)\n"
        : "ran c: no previous run (T)\n3 ran, 0 up to date (T)\n"),
  );
  const starts = checkNoOverlap(await p.read("log.txt"));
  assert.deepEqual(Object.fromEntries(starts), { a: 1, slow: 1, c: 1 });
  const verify = await runPivotInProcess(p.root, ["verify"]);
  assert.equal(verify.code, 0, verify.stdout);
});

Deno.test("two repro processes started together never run one stage twice at once", async () => {
  const names = ["s1", "s2", "s3", "s4"];
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      ...names.flatMap((name) => [
        `  ${name}:`,
        `    cmd: ${loggedCmd("sleep 0.3; echo ${stage} > ${outs}")}`,
        "    outs: txt",
      ]),
      "",
    ].join("\n"),
  });
  const children = [
    pivotCommand(p.root, ["repro"]).spawn(),
    pivotCommand(p.root, ["repro"]).spawn(),
  ];
  const outputs = await Promise.all(children.map((child) => child.output()));
  const decoder = new TextDecoder();
  // Each waits for the stages the other is running instead of running them too.
  for (const output of outputs) assert.equal(output.code, 0, decoder.decode(output.stderr));
  const last = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(last.code, 0, last.stderr);
  const starts = checkNoOverlap(await p.read("log.txt"));
  assert.deepEqual(Object.fromEntries([...starts].sort()), { s1: 1, s2: 1, s3: 1, s4: 1 });
  for (const name of names) {
    assert.equal(await p.read(`data/ml/${name}.txt`), `${name}\n`);
    assert.equal(await present(p.path(`.pivot/stages/ml/${name}.running`)), false);
  }
  const status = await runPivotInProcess(p.root, ["status", "-q"]);
  assert.equal(status.code, 0);
});

/**
 * True when process `pid` still runs (not a zombie) a second from now; false
 * as soon as it is gone. Reads /proc, so false where there is none.
 */
async function stillRunning(pid: number): Promise<boolean> {
  const deadline = Date.now() + 1_000;
  for (;;) {
    let state: string;
    try {
      state = (await Deno.readTextFile(`/proc/${pid}/stat`)).replace(/^.*\) /s, "")[0]!;
    } catch {
      return false;
    }
    if (state === "Z" || state === "X") return false;
    if (Date.now() > deadline) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Runs `repro` in `p` as a process, sends it SIGINT once its stage wrote
 * `sleep.pid` (the PID of a `sleep` the command started), and tells whether
 * that `sleep` outlived pivot (killing it if so).
 */
async function interruptWhileSleeping(
  p: TempProject,
): Promise<{ output: Deno.CommandOutput; sleepAlive: boolean }> {
  const child = pivotCommand(p.root, ["repro"]).spawn();
  let output: Deno.CommandOutput;
  try {
    await waitForFile(p.path("sleep.pid"));
  } finally {
    child.kill("SIGINT");
    output = await child.output();
  }
  const sleepPid = Number.parseInt(await p.read("sleep.pid"), 10);
  const sleepAlive = await stillRunning(sleepPid);
  if (sleepAlive) Deno.kill(sleepPid, "SIGKILL");
  return { output, sleepAlive };
}

Deno.test("Ctrl-C stops the running stage with its children, records nothing and exits 130", async () => {
  await using p = await makeProject({
    "pivot.yaml":
      "pipeline: ml\nstages:\n  slow:\n    cmd: sleep 30 & echo $! > sleep.pid; wait $!\n    outs: txt\n",
  });
  const { output, sleepAlive } = await interruptWhileSleeping(p);
  const decoder = new TextDecoder();
  assert.equal(output.code, 130);
  assert.equal(
    timeless(decoder.decode(output.stderr)),
    "warning: interrupted: stopping running stages (nothing half-done is recorded)\n" +
      "FAILED slow: interrupted (T)\n",
  );
  assert.equal(
    timeless(decoder.decode(output.stdout)),
    "0 ran, 0 up to date, 1 failed, interrupted (T)\n",
  );
  assert.equal(sleepAlive, false, "the stage's child process was stopped too");
  assert.equal(await p.exists(lockRel("ml", "slow")), false);
  assert.equal(await p.exists(".pivot/stages/ml/slow.running"), false);
});

// Before, pivot exited 130 while the command (and its shell) went on, and could write its output
// after its claim was released: another repro was free to run the stage meanwhile.
Deno.test("Ctrl-C ends a command that ignores SIGTERM before pivot exits", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  stubborn:\n" +
      "    cmd: trap '' TERM INT; sleep 30 & echo $! > sleep.pid; wait $!; echo late > ${outs}\n" +
      "    outs: txt\n",
  });
  for (let trial = 0; trial < 3; trial++) {
    await Deno.remove(p.path("sleep.pid")).catch(() => {});
    const { output, sleepAlive } = await interruptWhileSleeping(p);
    assert.equal(output.code, 130);
    assert.equal(sleepAlive, false, `trial ${trial}: the command outlived pivot`);
    assert.equal(await p.exists(".pivot/stages/ml/stubborn.running"), false);
    assert.equal(await p.exists("data/ml/stubborn.txt"), false);
  }
});

// Before, a failed stage's partial output was left out of .gitignore: `git add -A` took it.
Deno.test("the output a failed stage left is listed in .gitignore, and nothing is recorded", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  half:\n    cmd: echo half > ${outs}; exit 3\n" +
      "    outs: txt\n",
  });
  const result = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(result.code, 1);
  assert.equal(await p.read("data/ml/half.txt"), "half\n");
  assert.match(await p.read("data/ml/.gitignore"), /^\/half\.txt$/m);
  assert.equal(await p.exists(lockRel("ml", "half")), false);
});

Deno.test({
  name: "a stage that still exits 0 after Ctrl-C is not recorded",
  fn: async () => {
    await using p = await makeProject({
      "pivot.yaml": "pipeline: ml\nstages:\n  slow:\n" +
        "    cmd: trap 'echo stopping' TERM; echo go > started.txt; sleep 30 & wait; echo half > ${outs}\n" +
        "    outs: txt\n",
    });
    const child = pivotCommand(p.root, ["repro"]).spawn();
    let output: Deno.CommandOutput;
    try {
      await waitForFile(p.path("started.txt"));
    } finally {
      child.kill("SIGINT");
      output = await child.output();
    }
    assert.equal(output.code, 130);
    assert.match(timeless(new TextDecoder().decode(output.stderr)), /^FAILED slow: interrupted/m);
    assert.equal(await p.exists(lockRel("ml", "slow")), false);
  },
});
