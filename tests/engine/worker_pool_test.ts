import assert from "node:assert/strict";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { CmdJob } from "../../src/engine/stage_job.ts";
import { workerEntryUrl, WorkerPool } from "../../src/engine/worker_pool.ts";
import { tempDir } from "../_helpers/files.ts";
import { runJob } from "./_run_job.ts";

/** A log line as a job reported it. */
interface Line {
  readonly line: string;
  readonly stream: "stdout" | "stderr";
}

/** Collects a job's log lines. */
function collector(): { lines: Line[]; onLog: (line: string, stream: Line["stream"]) => void } {
  const lines: Line[] = [];
  return { lines, onLog: (line, stream) => lines.push({ line, stream }) };
}

/** Lines of one stream, in order. */
function stream(lines: readonly Line[], which: Line["stream"]): string[] {
  return lines.filter((l) => l.stream === which).map((l) => l.line);
}

/** A `cmd` job running `command` in `cwd`. */
function cmdJob(command: string, cwd: string, env: Record<string, string> = {}): CmdJob {
  return { kind: "cmd", stage: "test", command, cwd, env };
}

/** Resolves once `predicate()` holds (polling), failing after `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("workerEntryUrl() points at worker_entry.ts when running from source", () => {
  const url = workerEntryUrl();
  assert.match(url, /^file:\/\/.*\/src\/engine\/worker_entry\.ts$/);
});

Deno.test("WorkerPool runs a cmd job, streams its lines in order and resolves null", async () => {
  await using dir = await tempDir();
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const log = collector();
    const outcome = await pool.run(
      cmdJob(
        'echo one; echo two >&2; printf "three\\r\\nfour\\n"; echo "$PIVOT_X" "$(pwd)"; printf tail',
        dir.path,
        { PIVOT_X: "x value" },
      ),
      log.onLog,
    );
    assert.equal(outcome, null);
    assert.deepEqual(stream(log.lines, "stdout"), [
      "one",
      "three",
      "four",
      `x value ${dir.path}`,
      "tail",
    ]);
    assert.deepEqual(stream(log.lines, "stderr"), ["two"]);
  } finally {
    pool.close();
  }
});

/** True when `program` is on `PATH`. */
function installed(program: string): boolean {
  return new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null" })
    .outputSync().success;
}

/**
 * `lines` of `strace -f` output with each call that another thread's call
 * interrupted (`PID clone3(... <unfinished ...>`, later `PID <... clone3
 * resumed>...) = N`) joined back into one line, where the interruption was.
 */
function joinResumed(lines: readonly string[]): string[] {
  const joined: string[] = [];
  const pending = new Map<number, number>();
  for (const line of lines) {
    const unfinished = /^(\d+)\s+(.*?) ?<unfinished \.\.\.>$/.exec(line);
    const resumed = /^(\d+)\s+<\.\.\. \w+ resumed>(.*)$/.exec(line);
    if (unfinished !== null) {
      pending.set(Number(unfinished[1]), joined.length);
      joined.push(`${unfinished[1]} ${unfinished[2]}`);
    } else if (resumed !== null && pending.has(Number(resumed[1]))) {
      joined[pending.get(Number(resumed[1]))!] += resumed[2]!;
      pending.delete(Number(resumed[1]));
    } else joined.push(line);
  }
  return joined;
}

/**
 * The `clone` calls by which the traced process (not its children) started
 * processes, from `strace -f` output: the process of the first line, whose
 * threads are followed through the clones that made them.
 */
function processClones(trace: string): string[] {
  const lines = joinResumed(trace.split("\n"));
  const own = new Set([Number.parseInt(lines[0]!, 10)]);
  const clones: string[] = [];
  for (const line of lines) {
    const match = /^(\d+)\s+(clone3?|vfork|fork)\((.*)\)\s*=\s*(\d+)$/.exec(line);
    if (match === null || !own.has(Number(match[1]))) continue;
    if (match[3]!.includes("CLONE_THREAD")) own.add(Number(match[4]));
    else clones.push(`${match[2]}(${match[3]})`);
  }
  return clones;
}

Deno.test({
  name:
    "WorkerPool starts each command in a session of its own without copying pivot's memory (no fork)",
  ignore: Deno.build.os !== "linux" || !installed("strace") || !installed("setsid"),
  fn: async () => {
    await using dir = await tempDir();
    const trace = path.join(dir.path, "trace");
    const script = path.join(import.meta.dirname!, "_spawn_commands.ts");
    const child = new Deno.Command("strace", {
      args: ["-f", "-qq", "-e", "trace=clone,clone3,fork,vfork", "-o", trace, Deno.execPath()]
        .concat(["run", "-A", "--quiet", script, dir.path, "3"]),
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const output = await child.output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const clones = processClones(await Deno.readTextFile(trace));
    // Three commands, each started as a vfork (the child shares the memory until it execs
    // `setsid`, which makes the session and execs the shell), never a fork of the whole
    // process, whose cost grows with pivot's memory.
    assert.equal(clones.length, 3, clones.join("\n"));
    for (const clone of clones) assert.match(clone, /CLONE_VM.*CLONE_VFORK|CLONE_VFORK.*CLONE_VM/);
  },
});

Deno.test("the strace reading counts a clone that another thread's clone interrupted", () => {
  const vfork =
    "clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f00, stack_size=0x9000}, 88";
  const thread =
    "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM}, 88";
  const trace = [
    `100 ${thread}) = 101`,
    `101 ${vfork} <unfinished ...>`,
    `100 ${thread} <unfinished ...>`,
    "101 <... clone3 resumed>) = 200",
    "100 <... clone3 resumed>) = 102",
    `102 ${vfork}) = 201`,
    "200 +++ exited with 0 +++",
    `100 ${vfork.slice(0, 20)} <unfinished ...>`,
    `101 ${vfork}) = 202`,
    `100 <... clone3 resumed>${vfork.slice(20)}) = 203`,
    "",
  ].join("\n");
  assert.deepEqual(processClones(trace), Array(4).fill(`${vfork})`));
});

Deno.test("WorkerPool reads outputs longer than one read, job after job, in the worker's own buffers", async () => {
  await using dir = await tempDir();
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    // 3,000 lines of 40 bytes: about two 64 KiB reads on each stream, cut inside lines.
    const lines = Array.from({ length: 3_000 }, (_, i) => `line ${String(i).padStart(34, "0")}`);
    const command = (tag: string) =>
      `i=0; while [ $i -lt 3000 ]; do printf '${tag} %034d\\n' $i; i=$((i + 1)); done | tee /dev/stderr`;
    for (const tag of ["line", "next"]) {
      const log = collector();
      assert.equal(await pool.run(cmdJob(command(tag), dir.path), log.onLog), null);
      const expected = lines.map((line) => line.replace(/^line/, tag));
      assert.deepEqual(stream(log.lines, "stdout"), expected);
      assert.deepEqual(stream(log.lines, "stderr"), expected);
    }
    const empty = collector();
    assert.equal(await pool.run(cmdJob("true", dir.path), empty.onLog), null);
    assert.deepEqual(empty.lines, []);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool reports a failing command with its exit status", async () => {
  await using dir = await tempDir();
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const log = collector();
    assert.equal(
      await pool.run(cmdJob("echo before; exit 3", dir.path), log.onLog),
      "command exited with status 3",
    );
    assert.deepEqual(stream(log.lines, "stdout"), ["before"]);
    // The worker is reused for the next job.
    assert.equal(await pool.run(cmdJob("true", dir.path), log.onLog), null);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool calls a run function and writes its return value in the output format", async () => {
  await using dir = await tempDir();
  const module = path.join(dir.path, "stages.ts");
  await Deno.writeTextFile(
    module,
    [
      "export const stages = {",
      "  train: (ctx) => {",
      "    const rows = ctx.deps.raw.map((row) => ({ ...row, y: Number(row.x) * ctx.params.k }));",
      "    return { rows, where: { cwd: Deno.cwd(), stage: ctx.stage, out: ctx.paths.outs.rows } };",
      "  },",
      "};",
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(path.join(dir.path, "raw.csv"), "x,name\n1,a\n2,b\n");
  const rows = path.join(dir.path, "out", "rows.csv");
  const summary = path.join(dir.path, "out", "where.json");
  const cwdBefore = Deno.cwd();
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const outcome = await pool.run(
      runJob(module, {
        exportPath: ["stages", "train"],
        deps: [{
          name: "raw",
          list: false,
          items: [{ path: path.join(dir.path, "raw.csv"), format: "csv" }],
        }],
        outs: [
          { key: "rows", path: rows, format: "csv" },
          { key: "where", path: summary, format: "json" },
        ],
        params: { k: 10 },
        stageName: "train@big",
      }),
      () => {},
    );
    assert.equal(outcome, null);
    assert.equal(await Deno.readTextFile(rows), "x,name,y\n1,a,10\n2,b,20\n");
    // The function runs in the process's working directory, not the module's.
    assert.deepEqual(JSON.parse(await Deno.readTextFile(summary)), {
      cwd: cwdBefore,
      stage: "train@big",
      out: rows,
    });
    assert.equal(Deno.cwd(), cwdBefore);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool passes a single output's value and paths to a run function", async () => {
  await using dir = await tempDir();
  const module = path.join(dir.path, "stages.ts");
  await Deno.writeTextFile(
    module,
    "export function run(ctx) {\n  return { out: ctx.paths.out, deps: ctx.paths.deps, stage: ctx.stage };\n}\n",
  );
  const out = path.join(dir.path, "data", "run.yaml");
  const input = path.join(dir.path, "notes.txt");
  await Deno.writeTextFile(input, "hello");
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const outcome = await pool.run(
      runJob(module, {
        deps: [{ name: "notes", list: true, items: [{ path: input, format: null }] }],
        outs: [{ key: null, path: out, format: "yaml" }],
        stageName: "solo",
      }),
      () => {},
    );
    assert.equal(outcome, null);
    assert.equal(
      await Deno.readTextFile(out),
      `out: ${out}\ndeps:\n  notes:\n    - ${input}\nstage: solo\n`,
    );
  } finally {
    pool.close();
  }
});

/**
 * Runs, on a pool of one worker, a run function returning `returned` (an
 * expression of `ctx`) whose json input `bad` does not parse, into a txt
 * output: the job's outcome, and the input's and the output's paths.
 */
async function runWithUnparsableInput(
  dir: string,
  returned: string,
): Promise<{ outcome: string | null; bad: string; out: string }> {
  const module = path.join(dir, "stages.ts");
  await Deno.writeTextFile(module, `export function run(ctx) {\n  return ${returned};\n}\n`);
  const bad = path.join(dir, "bad.json");
  await Deno.writeTextFile(bad, "{");
  const out = path.join(dir, "out.txt");
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const outcome = await pool.run(
      runJob(module, {
        deps: [{ name: "bad", list: false, items: [{ path: bad, format: "json" }] }],
        outs: [{ key: null, path: out, format: "txt" }],
      }),
      () => {},
    );
    return { outcome, bad, out };
  } finally {
    pool.close();
  }
}

Deno.test("WorkerPool reads a run function's input only when the function uses its value", async () => {
  await using dir = await tempDir();
  // The function reads its input's path only: an input that does not parse does not fail it.
  const { outcome, bad, out } = await runWithUnparsableInput(dir.path, "ctx.paths.deps.bad");
  assert.equal(outcome, null);
  assert.equal(await Deno.readTextFile(out), bad);
});

Deno.test("WorkerPool fails a run job using an input that does not parse, naming the file and the format", async () => {
  await using dir = await tempDir();
  const { outcome, bad } = await runWithUnparsableInput(dir.path, "ctx.deps.bad.a");
  // One line, no stack trace.
  assert.match(outcome ?? "", new RegExp(`^cannot read ${RegExp.escape(bad)} as json: [^\n]+$`));
});

Deno.test("WorkerPool gives a run function a list input as an array, in a deps object it can spread", async () => {
  await using dir = await tempDir();
  const module = path.join(dir.path, "stages.ts");
  await Deno.writeTextFile(
    module,
    "export function run(ctx) {\n  return { keys: Object.keys(ctx.deps), ...ctx.deps };\n}\n",
  );
  const a = path.join(dir.path, "a.txt");
  const b = path.join(dir.path, "b.json");
  await Deno.writeTextFile(a, "one");
  await Deno.writeTextFile(b, "[2]");
  const out = path.join(dir.path, "out.json");
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const outcome = await pool.run(
      runJob(module, {
        deps: [
          {
            name: "notes",
            list: true,
            items: [{ path: a, format: "txt" }, { path: b, format: "json" }],
          },
          { name: "where", list: false, items: [{ path: dir.path, format: "dir" }] },
        ],
        outs: [{ key: null, path: out, format: "json" }],
      }),
      () => {},
    );
    assert.equal(outcome, null);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(out)), {
      keys: ["notes", "where"],
      notes: ["one", [2]],
      where: dir.path,
    });
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool sends console output of a run function as log lines", async () => {
  await using dir = await tempDir();
  const module = path.join(dir.path, "stages.ts");
  await Deno.writeTextFile(
    module,
    [
      "export function run(ctx) {",
      "  console.log('hello', 42, { a: 1 });",
      "  console.error('oops');",
      "  console.info('two\\nlines');",
      "  ctx.log('via ctx');",
      "}",
      "",
    ].join("\n"),
  );
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const log = collector();
    assert.equal(await pool.run(runJob(module), log.onLog), null);
    assert.deepEqual(log.lines, [
      { line: "hello 42 { a: 1 }", stream: "stdout" },
      { line: "oops", stream: "stderr" },
      { line: "two", stream: "stdout" },
      { line: "lines", stream: "stdout" },
      { line: "via ctx", stream: "stdout" },
    ]);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool reports what a run function threw, and a missing function", async () => {
  await using dir = await tempDir();
  const module = path.join(dir.path, "stages.ts");
  await Deno.writeTextFile(module, "export function run() {\n  throw new Error('bad input');\n}\n");
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const thrown = await pool.run(runJob(module), () => {});
    assert.match(thrown ?? "", /^Error: bad input\n/);
    assert.equal(
      await pool.run(runJob(module, { exportPath: ["nope"] }), () => {}),
      `nope in ${pathToFileURL(module).href} is not a function`,
    );
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool fails a job whose function ends its worker, and runs the next on a new one", async (t) => {
  await using dir = await tempDir();
  const module = path.join(dir.path, "stages.ts");
  await Deno.writeTextFile(
    module,
    [
      'import process from "node:process";',
      "export const denoExit = () => Deno.exit(3);",
      "export const processExit = () => process.exit(5);",
      "// deno-lint-ignore no-explicit-any",
      "export const globalExit = () => (globalThis as any).process.exit();",
      "export const close = () => self.close();",
      'export const works = () => "still working";',
      "",
    ].join("\n"),
  );
  const out = path.join(dir.path, "out.txt");
  const cases: [string, string][] = [
    ["denoExit", "the stage called Deno.exit(3)"],
    ["processExit", "the stage called process.exit(5)"],
    ["globalExit", "the stage called process.exit()"],
    ["close", "the stage called self.close()"],
  ];
  for (const [exportName, reason] of cases) {
    await t.step(exportName, async () => {
      const pool = new WorkerPool(1, workerEntryUrl());
      try {
        assert.equal(
          await pool.run(runJob(module, { exportPath: [exportName] }), () => {}),
          reason,
        );
        const next = runJob(module, {
          exportPath: ["works"],
          outs: [{ key: null, path: out, format: "txt" }],
        });
        assert.equal(await pool.run(next, () => {}), null);
        assert.equal(await Deno.readTextFile(out), "still working");
      } finally {
        pool.close();
      }
    });
  }
});

Deno.test("WorkerPool reports a value that does not fit the output format", async () => {
  await using dir = await tempDir();
  const module = path.join(dir.path, "stages.ts");
  await Deno.writeTextFile(module, "export const run = () => 42;\n");
  const out = path.join(dir.path, "out.txt");
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    assert.equal(
      await pool.run(runJob(module, { outs: [{ key: null, path: out, format: "txt" }] }), () => {}),
      "output test (txt): expected a string, got a number",
    );
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool runs at most `size` jobs at once", async () => {
  await using dir = await tempDir();
  const pool = new WorkerPool(2, workerEntryUrl());
  try {
    const jobs = [0, 1, 2, 3, 4].map((i) =>
      pool.run(
        cmdJob(
          `date +%s%N > ${i}.start; sleep 0.3; date +%s%N > ${i}.end`,
          dir.path,
        ),
        () => {},
      )
    );
    assert.deepEqual(await Promise.all(jobs), [null, null, null, null, null]);
    const read = async (name: string) =>
      BigInt((await Deno.readTextFile(path.join(dir.path, name))).trim());
    const intervals = await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => [await read(`${i}.start`), await read(`${i}.end`)]),
    );
    const overlap = (at: bigint) => intervals.filter(([s, e]) => s! <= at && at < e!).length;
    const peak = Math.max(...intervals.map(([start]) => overlap(start!)));
    assert.equal(peak, 2);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool cancelAll() stops a running command quickly", async () => {
  await using dir = await tempDir();
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const log = collector();
    const started = Date.now();
    const outcome = pool.run(cmdJob("echo started; exec sleep 10", dir.path), log.onLog);
    await until(() => log.lines.length > 0);
    pool.cancelAll();
    assert.equal(await outcome, "command was killed by SIGTERM");
    assert.ok(Date.now() - started < 5_000, "the command ran on after cancelAll()");
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool cancelAll() stops a plain `sleep 10` command", async () => {
  await using dir = await tempDir();
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    // Wait until a worker is up, so the job is posted before cancelAll().
    assert.equal(await pool.run(cmdJob("true", dir.path), () => {}), null);
    const started = Date.now();
    const outcome = pool.run(cmdJob("sleep 10", dir.path), () => {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    pool.cancelAll();
    assert.match((await outcome) ?? "", /SIGTERM/);
    assert.ok(Date.now() - started < 5_000, "the command ran on after cancelAll()");
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool cancelAll() also stops the children of the command's shell", async () => {
  await using dir = await tempDir();
  const pool = new WorkerPool(1, workerEntryUrl());
  try {
    const log = collector();
    const started = Date.now();
    // `sleep` is a child of `sh`: killing only the shell would leave it holding stdout open.
    const outcome = pool.run(cmdJob("echo started; sleep 10; echo after", dir.path), log.onLog);
    await until(() => log.lines.length > 0);
    pool.cancelAll();
    assert.match((await outcome) ?? "", /SIGTERM/);
    assert.ok(Date.now() - started < 5_000, "the command ran on after cancelAll()");
    assert.deepEqual(stream(log.lines, "stdout"), ["started"]);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool close() ends running jobs with 'interrupted' and refuses new ones", async () => {
  await using dir = await tempDir();
  const module = path.join(dir.path, "stages.ts");
  await Deno.writeTextFile(
    module,
    "export async function run() {\n  console.log('waiting');\n  await new Promise((r) => setTimeout(r, 10_000));\n}\n",
  );
  const pool = new WorkerPool(2, workerEntryUrl());
  let closed = false;
  try {
    const log = collector();
    const outcome = pool.run(runJob(module), log.onLog);
    await until(() => log.lines.length > 0);
    const started = Date.now();
    pool.close();
    closed = true;
    assert.equal(await outcome, "interrupted");
    assert.ok(Date.now() - started < 1_000);
    await assert.rejects(pool.run(runJob(module), () => {}), /worker pool is closed/);
  } finally {
    if (!closed) pool.close();
  }
});

Deno.test("WorkerPool run functions leave the process working directory alone", async () => {
  await using dir = await tempDir();
  // The module lives away from our working directory, so a worker that moved
  // into the stage's directory would be seen.
  const module = path.join(dir.path, "stages.ts");
  await Deno.writeTextFile(
    module,
    [
      "export async function run(ctx) {",
      "  const before = Deno.cwd();",
      "  if (ctx.params.wait === null) {",
      "    console.log('waiting');",
      "    await new Promise((resolve) => setTimeout(resolve, 10_000));",
      "  }",
      "  await new Promise((resolve) => setTimeout(resolve, ctx.params.wait));",
      "  return { before, after: Deno.cwd() };",
      "}",
      "",
    ].join("\n"),
  );
  const cwdBefore = Deno.cwd();
  assert.notEqual(cwdBefore, dir.path);
  const pool = new WorkerPool(2, workerEntryUrl());
  let closed = false;
  try {
    // Two at once, overlapping: each sees the unchanged directory before and after an await.
    const outs = ["a", "b"].map((name) => path.join(dir.path, name, "cwd.json"));
    const running = Promise.all(outs.map((out, i) =>
      pool.run(
        runJob(module, {
          params: { wait: 200 + 200 * i },
          outs: [{ key: null, path: out, format: "json" }],
        }),
        () => {},
      )
    ));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(Deno.cwd(), cwdBefore, "while two run functions run");
    assert.deepEqual(await running, [null, null]);
    for (const out of outs) {
      assert.deepEqual(JSON.parse(await Deno.readTextFile(out)), {
        before: cwdBefore,
        after: cwdBefore,
      });
    }
    assert.equal(Deno.cwd(), cwdBefore, "after two run functions");
    // Closed mid-job: the function never returns, and the directory is still ours.
    const log = collector();
    const outcome = pool.run(runJob(module, { params: { wait: null } }), log.onLog);
    await until(() => log.lines.length > 0);
    assert.equal(Deno.cwd(), cwdBefore, "while a run function waits");
    pool.close();
    closed = true;
    assert.equal(await outcome, "interrupted");
    assert.equal(Deno.cwd(), cwdBefore, "after close()");
  } finally {
    if (!closed) pool.close();
    Deno.chdir(cwdBefore);
  }
});

/**
 * An entry module for pool workers that serves jobs as `worker_entry.ts`
 * does and leaves a file in `dir` for each worker started.
 */
async function countingEntry(dir: string): Promise<string> {
  const entry = path.join(dir, "counting_entry.ts");
  await Deno.mkdir(path.join(dir, "started"));
  await Deno.writeTextFile(
    entry,
    [
      `import ${JSON.stringify(workerEntryUrl())};`,
      `Deno.writeTextFileSync(${
        JSON.stringify(path.join(dir, "started"))
      } + "/" + crypto.randomUUID(), "");`,
      "",
    ].join("\n"),
  );
  return pathToFileURL(entry).href;
}

/** How many workers a pool started from {@linkcode countingEntry} in `dir` has started. */
function workersStarted(dir: string): number {
  return [...Deno.readDirSync(path.join(dir, "started"))].length;
}

Deno.test("WorkerPool runs overlapping cmd jobs on one worker, each with its own output and cancel", async () => {
  await using dir = await tempDir();
  const pool = new WorkerPool(3, await countingEntry(dir.path));
  try {
    for (let trial = 0; trial < 3; trial++) {
      const logs = [0, 1, 2].map(() => collector());
      const outcomes = [0, 1, 2].map((i) =>
        pool.run(
          cmdJob(`echo start ${i}; sleep 0.3; echo end ${i} >&2`, dir.path),
          logs[i]!.onLog,
        )
      );
      assert.deepEqual(await Promise.all(outcomes), [null, null, null], `trial ${trial}`);
      for (const [i, log] of logs.entries()) {
        assert.deepEqual(log.lines, [
          { line: `start ${i}`, stream: "stdout" },
          { line: `end ${i}`, stream: "stderr" },
        ]);
      }
    }
    // Two commands under way on the one worker: cancelling stops both.
    const logs = [0, 1].map(() => collector());
    const running = [0, 1].map((i) =>
      pool.run(cmdJob("echo started; exec sleep 10", dir.path), logs[i]!.onLog)
    );
    await until(() => logs.every((log) => log.lines.length > 0));
    const started = Date.now();
    pool.cancelAll();
    assert.deepEqual(await Promise.all(running), [
      "command was killed by SIGTERM",
      "command was killed by SIGTERM",
    ]);
    assert.ok(Date.now() - started < 5_000, "a command ran on after cancelAll()");
    assert.equal(workersStarted(dir.path), 1);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool gives a run job a worker of its own while commands run, within `size` jobs", async () => {
  await using dir = await tempDir();
  const module = path.join(dir.path, "stages.ts");
  await Deno.writeTextFile(
    module,
    "export async function run() {\n  await new Promise((r) => setTimeout(r, 300));\n" +
      `  Deno.writeTextFileSync(${JSON.stringify(path.join(dir.path, "fn.end"))}, ` +
      "`${Date.now()}000000`);\n}\n",
  );
  const pool = new WorkerPool(2, await countingEntry(dir.path));
  try {
    const stamp = (name: string) =>
      `date +%s%N > ${name}.start; sleep 0.3; date +%s%N > ${name}.end`;
    const outcomes = await Promise.all([
      pool.run(cmdJob(stamp("a"), dir.path), () => {}),
      pool.run(runJob(module), () => {}),
      pool.run(cmdJob(stamp("b"), dir.path), () => {}),
    ]);
    assert.deepEqual(outcomes, [null, null, null]);
    // The run job took a second worker; `b` waited for a turn (2 jobs at most): it started
    // once `a` or the function had ended (times in nanoseconds; the function's to the ms).
    assert.equal(workersStarted(dir.path), 2);
    const read = async (name: string) =>
      BigInt((await Deno.readTextFile(path.join(dir.path, name))).trim());
    const [aEnd, fnEnd, bStart] = [
      await read("a.end"),
      await read("fn.end"),
      await read("b.start"),
    ];
    const firstEnd = aEnd < fnEnd ? aEnd : fnEnd;
    assert.ok(bStart >= firstEnd, `b started ${bStart - firstEnd} ns before a slot was free`);
  } finally {
    pool.close();
  }
});

Deno.test("WorkerPool replaces the worker running commands after its share of them, and every job still runs", async () => {
  await using dir = await tempDir();
  // One at a time: the 3rd command is the first worker's last, the 6th the second's.
  const pool = new WorkerPool(1, workerEntryUrl(), { commandsPerWorker: 3 });
  try {
    const seen: string[][] = [];
    for (let i = 0; i < 7; i++) {
      const log = collector();
      assert.equal(await pool.run(cmdJob(`echo job ${i}`, dir.path), log.onLog), null);
      seen.push(stream(log.lines, "stdout"));
    }
    assert.deepEqual(seen, Array.from({ length: 7 }, (_, i) => [`job ${i}`]));
    assert.equal(pool.workersStarted, 3);
    // Two at a time on two workers, replaced as they go: every job runs once, with its output.
    const pair = new WorkerPool(2, workerEntryUrl(), { commandsPerWorker: 2 });
    try {
      const logs = Array.from({ length: 10 }, () => collector());
      const outcomes = await Promise.all(
        logs.map((log, i) => pair.run(cmdJob(`echo pair ${i}`, dir.path), log.onLog)),
      );
      assert.deepEqual(outcomes, Array(10).fill(null));
      assert.deepEqual(
        logs.map((log) => stream(log.lines, "stdout")),
        Array.from({ length: 10 }, (_, i) => [`pair ${i}`]),
      );
      assert.ok(pair.workersStarted >= 5, `started ${pair.workersStarted}`);
    } finally {
      pair.close();
    }
  } finally {
    pool.close();
  }
});
