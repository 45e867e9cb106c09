/**
 * `pivot repro` after a few data paths changed since its no-op stamp runs
 * without the command tree (`src/cli/fast_repro.ts`, started by `main.ts`):
 * the same stages run, the same lines print and the next no-op is answered
 * from the stamp it leaves; a change to what the project is loaded from
 * (pivot.yaml, params, a stage's command) is seen as the full command line
 * sees it, and every option it reads (`--keep-going`) counts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { type CliResult, makeProject, runPivot, type TempProject } from "../_helpers/project.ts";
import { timeless } from "./_fixtures/engine.ts";

/** Longer than the racy window of stamps on file systems keeping times to the nanosecond. */
const SETTLE_MS = FINE_RACY_WINDOW_MS + 30;

/** `bad` fails once `c.txt` no longer says ok; `ab` reads `a` and `b`. */
const FILES: Record<string, string> = {
  "pivot.yaml": `pipeline: p
stages:
  bad:
    cmd: grep -q ok \${deps.in} && cp \${deps.in} \${outs}
    deps: {in: c.txt}
    outs: txt
  a:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: a.txt}
    outs: txt
  b:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: b.txt}
    outs: txt
  ab:
    cmd: cat \${deps.x} \${deps.y} > \${outs}
    deps: {x: a, y: b}
    outs: txt
    params: {n: 1}
`,
  "a.txt": "a\n",
  "b.txt": "b\n",
  "c.txt": "ok\n",
};

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `items` as lines. */
function lines(...items: string[]): string {
  return items.map((item) => `${item}\n`).join("");
}

/** The stdout of `result` without durations, the stage lines sorted (they come as stages end). */
function shown(result: CliResult): string {
  const all = timeless(result.stdout).split("\n").slice(0, -1);
  return lines(...all.slice(0, -1).sort(), ...all.slice(-1));
}

/** `pivot repro ...args` through main.ts, a separate process; waits out the racy window after. */
async function repro(p: TempProject, args: readonly string[] = []): Promise<CliResult> {
  const result = await runPivot(p.root, ["repro", ...args]);
  await pause(SETTLE_MS);
  return result;
}

/**
 * `pivot repro ...args` in this process (the same steps as main.ts), for the runs that set a
 * project up; waits out the racy window after.
 */
async function reproInProcess(p: TempProject, args: readonly string[] = []): Promise<CliResult> {
  const result = await runPivotInProcess(p.root, ["repro", ...args]);
  await pause(SETTLE_MS);
  return result;
}

/** The project, run once and found up to date (its no-op stamp taken). */
async function stampedProject(): Promise<TempProject> {
  const p = await makeProject(FILES);
  assert.equal((await reproInProcess(p)).code, 0);
  const noop = await reproInProcess(p);
  assert.equal(
    shown(noop),
    lines(
      "up to date a",
      "up to date ab",
      "up to date b",
      "up to date bad",
      "0 ran, 4 up to date (T)",
    ),
  );
  return p;
}

Deno.test("main.ts: after one input changed, repro runs its stage and the downstream, and the next no-op is answered from its stamp", async () => {
  await using p = await stampedProject();
  await p.write("a.txt", "a2\n");
  const changed = await repro(p);
  assert.deepEqual([changed.code, changed.stderr], [0, ""]);
  assert.equal(
    shown(changed),
    lines(
      "ran a: inputs changed (T)",
      "ran ab: inputs changed (T)",
      "up to date b",
      "up to date bad",
      "2 ran, 2 up to date (T)",
    ),
  );
  assert.equal(await p.read("data/p/ab.txt"), "a2\nb\n");
  const noop = await repro(p, ["-q"]);
  assert.deepEqual([noop.code, noop.stdout, noop.stderr], [0, "", ""]);
});

Deno.test("main.ts: a data input changed together with pivot.yaml, params.yaml or a stage's command re-runs what each changes", async (t) => {
  await using p = await stampedProject();
  const steps: [string, string, () => Promise<void>, string[]][] = [
    [
      "pivot.yaml (a param)",
      "a.txt",
      () => p.write("pivot.yaml", FILES["pivot.yaml"]!.replace("{n: 1}", "{n: 2}")),
      ["ran a: inputs changed (T)", "ran ab: params changed (T)", "up to date b", "up to date bad"],
    ],
    [
      "params.yaml",
      "b.txt",
      () => p.write("params.yaml", "ab:\n  n: 3\n"),
      ["ran ab: params changed (T)", "ran b: inputs changed (T)", "up to date a", "up to date bad"],
    ],
    [
      "a stage's command",
      "b.txt",
      () =>
        p.write(
          "pivot.yaml",
          FILES["pivot.yaml"]!.replace("{n: 1}", "{n: 2}").replace(
            "cat ${deps.in} > ${outs}\n    deps: {in: a.txt}",
            "cat ${deps.in} ${deps.in} > ${outs}\n    deps: {in: a.txt}",
          ),
        ),
      [
        "ran a: code changed (T)",
        "ran ab: inputs changed (T)",
        "ran b: inputs changed (T)",
        "up to date bad",
      ],
    ],
  ];
  for (const [what, input, change, ran] of steps) {
    await t.step(what, async () => {
      await p.write(input, `${input} ${what}\n`);
      await change();
      const result = await repro(p);
      assert.deepEqual([result.code, result.stderr], [0, ""]);
      const count = ran.filter((line) => line.startsWith("ran ")).length;
      assert.equal(shown(result), lines(...ran, `${count} ran, ${4 - count} up to date (T)`));
      // Left up to date, with a stamp: the next repro is a no-op.
      const noop = await repro(p, ["-q"]);
      assert.deepEqual([noop.code, noop.stdout, noop.stderr], [0, "", ""]);
    });
  }
  assert.equal(await p.read("data/p/a.txt"), "a.txt pivot.yaml (a param)\n".repeat(2));
  assert.equal(
    await p.read("data/p/ab.txt"),
    `${"a.txt pivot.yaml (a param)\n".repeat(2)}b.txt a stage's command\n`,
  );
});

Deno.test("after one input changed, --keep-going keeps running past a stage that fails", async () => {
  await using p = await stampedProject();
  await p.write("c.txt", "no\n");
  await p.write("a.txt", "a2\n");
  const result = await runPivotInProcess(p.root, ["repro", "-k", "-j", "1"]);
  assert.equal(result.code, 1);
  assert.equal(
    shown(result),
    lines(
      "ran a: inputs changed (T)",
      "ran ab: inputs changed (T)",
      "up to date b",
      "2 ran, 1 up to date, 1 failed (T)",
    ),
  );
  assert.equal(timeless(result.stderr), "FAILED bad: command exited with status 1 (T)\n");
  assert.equal(await p.read("data/p/ab.txt"), "a2\nb\n");
});

Deno.test("main.ts: after one input changed, a project read with the YAML parser (config, vars, a tracked input, a lock in YAML) runs as the full command line does", async () => {
  await using p = await makeProject({
    ".pivot/config.yaml": "core:\n  load_timeout: 30\n",
    "vars.yaml": "greeting: hello\n",
    "pivot.yaml": `pipeline: p
vars: [vars.yaml]
stages:
  a:
    cmd: echo \${greeting} | cat - \${deps.in} > \${outs}
    deps: {in: a.txt}
    outs: txt
  t:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: t.txt}
    outs: txt
  at:
    cmd: cat \${deps.x} \${deps.y} > \${outs}
    deps: {x: a, y: t}
    outs: txt
`,
    "a.txt": "a\n",
    "t.txt": "t\n",
  });
  const track = await runPivotInProcess(p.root, ["track", "t.txt"]);
  assert.equal(track.code, 0, track.stderr);
  assert.equal((await reproInProcess(p)).code, 0);
  assert.deepEqual((await reproInProcess(p, ["-q"])).code, 0);
  // The lock of `at` as an earlier pivot wrote it: YAML, not JSON.
  const { parse, stringify } = await import("yaml");
  const lockFile = ".pivot/stages/p/at.lock";
  const yamlLock = stringify(parse(await p.read(lockFile)));
  await p.write(lockFile, yamlLock);
  await p.write("a.txt", "a2\n");
  const changed = await repro(p);
  assert.deepEqual([changed.code, changed.stderr], [0, ""]);
  assert.equal(
    shown(changed),
    lines(
      "ran a: inputs changed (T)",
      "ran at: inputs changed (T)",
      "up to date t",
      "2 ran, 1 up to date (T)",
    ),
  );
  assert.equal(await p.read("data/p/at.txt"), "hello\na2\nt\n");
  assert.notEqual(await p.read(lockFile), yamlLock);
  const noop = await repro(p, ["-q"]);
  assert.deepEqual([noop.code, noop.stdout, noop.stderr], [0, "", ""]);
});
