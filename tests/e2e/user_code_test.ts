import assert from "node:assert/strict";
import * as path from "node:path";
import {
  type CliResult,
  makeProject,
  pivotCommand,
  type TempProject,
} from "../_helpers/project.ts";
import { lockRel, timeless } from "./_fixtures/engine.ts";

/**
 * Runs `pivot ...args` as a process, as `runPivot` does, but kills it after
 * `limitMs`: before pipeline modules were isolated, these commands hung.
 */
async function runPivotWithin(
  limitMs: number,
  cwd: string,
  args: readonly string[],
): Promise<CliResult & { elapsedMs: number }> {
  const started = Date.now();
  const output = await pivotCommand(cwd, args, { signal: AbortSignal.timeout(limitMs) }).output();
  const decoder = new TextDecoder();
  const result = {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    elapsedMs: Date.now() - started,
  };
  assert.equal(output.signal, null, `killed after ${limitMs} ms: ${JSON.stringify(result)}`);
  return result;
}

/** A project whose pipeline.ts starts with `code`. */
function moduleProject(code: string, files: Record<string, string> = {}): Promise<TempProject> {
  return makeProject({ "ml/pipeline.ts": `${code}\nexport default { stages: {} };\n`, ...files });
}

Deno.test("pivot verify fails, naming the file, when pipeline.ts calls Deno.exit(0) while loading", async () => {
  await using p = await moduleProject("Deno.exit(0);");
  const result = await runPivotWithin(60_000, p.path("ml"), ["verify"]);
  assert.deepEqual({ ...result, elapsedMs: 0 }, {
    code: 1,
    stdout: "",
    stderr: [
      "error: ml/pipeline.ts: the pipeline module called Deno.exit(0) while loading",
      "hint: a pipeline module only defines the pipeline: remove the call (throw an Error to report a problem)",
      "",
    ].join("\n"),
    elapsedMs: 0,
  });
});

Deno.test("pivot verify --all lists a pipeline.ts that calls Deno.exit beside a good pipeline", async () => {
  await using p = await moduleProject("Deno.exit(0);", {
    "ok/pivot.yaml": "stages:\n  a:\n    cmd: echo > ${outs}\n    outs: txt\n",
  });
  const result = await runPivotWithin(60_000, p.root, ["verify", "--all"]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  assert.match(
    result.stderr,
    /^error: ml\/pipeline\.ts: the pipeline module called Deno\.exit\(0\) while loading\n/,
  );
});

Deno.test("pivot list stops a pipeline.ts that never finishes loading after core.load_timeout", async () => {
  await using p = await moduleProject("await new Promise(() => {});", {
    ".pivot/config.yaml": "core:\n  load_timeout: 1\n",
  });
  const result = await runPivotWithin(60_000, p.path("ml"), ["list"]);
  assert.ok(result.elapsedMs < 8_000, `took ${result.elapsedMs} ms`);
  assert.deepEqual({ ...result, elapsedMs: 0 }, {
    code: 1,
    stdout: "",
    stderr: [
      "error: ml/pipeline.ts: the pipeline module did not finish loading within 1 s (core.load_timeout)",
      "hint: look for a top-level await that never settles or a loop that never ends; if the module needs longer, raise core.load_timeout (seconds) in .pivot/config.yaml",
      "",
    ].join("\n"),
    elapsedMs: 0,
  });
});

Deno.test("pivot list names the file when a getter of a pipeline.ts stage throws", async () => {
  await using p = await makeProject({
    "ml/pipeline.ts": [
      'const stage = { outs: "txt", run: () => "x" };',
      'Object.defineProperty(stage, "deps", { enumerable: true, get() { throw new Error("no deps today"); } });',
      "export default { stages: { a: stage } };",
      "",
    ].join("\n"),
  });
  const result = await runPivotWithin(60_000, p.path("ml"), ["list"]);
  assert.deepEqual({ ...result, elapsedMs: 0 }, {
    code: 1,
    stdout: "",
    stderr: "error: ml/pipeline.ts:2:72: cannot load the pipeline module: no deps today\n",
    elapsedMs: 0,
  });
});

Deno.test("tab completion answers with no stages for a pipeline.ts that exits or hangs", async (t) => {
  const cases: [string, string][] = [
    ["exits", "Deno.exit(0);"],
    ["hangs", "await new Promise(() => {});"],
  ];
  for (const [name, code] of cases) {
    await t.step(name, async () => {
      await using p = await moduleProject(code);
      const result = await runPivotWithin(30_000, p.path("ml"), ["complete", "--", "dag", ""]);
      assert.ok(result.elapsedMs < 10_000, `took ${result.elapsedMs} ms`);
      assert.deepEqual({ ...result, elapsedMs: 0 }, {
        code: 0,
        stdout: ":4\n",
        stderr: "",
        elapsedMs: 0,
      });
    });
  }
});

Deno.test("pivot repro fails a stage function that calls Deno.exit(3) and runs the next stage", async () => {
  await using p = await makeProject({
    "ml/pipeline.ts": [
      "export default {",
      "  stages: {",
      '    quits: { outs: "txt", run: () => { Deno.exit(3); } },',
      '    works: { outs: "txt", run: () => "works\\n" },',
      "  },",
      "};",
      "",
    ].join("\n"),
  });
  // One worker, -k: `works` can only run on the worker that replaced the one `quits` ended.
  const result = await runPivotWithin(60_000, p.path("ml"), ["repro", "-k", "-j", "1"]);
  assert.equal(result.code, 1);
  assert.equal(
    timeless(result.stdout),
    "ran works: no previous run (T)\n1 ran, 0 up to date, 1 failed (T)\n",
  );
  assert.equal(timeless(result.stderr), "FAILED quits: the stage called Deno.exit(3) (T)\n");
  assert.equal(await p.exists(lockRel("ml", "quits", "ml")), false);
  assert.equal(await p.exists("ml/data/ml/quits.txt"), false);
  assert.equal(await p.exists(lockRel("ml", "works", "ml")), true);
  assert.equal(await p.read("ml/data/ml/works.txt"), "works\n");
});

Deno.test("pivot list fails, naming the file, when pipeline.ts's timer throws just after it loaded", async () => {
  await using p = await makeProject({
    "pipeline.ts": [
      'setTimeout(() => { throw new Error("timer boom"); }, 0);',
      'export default { stages: { a: { outs: "txt", run: () => "x" } } };',
      "",
    ].join("\n"),
  });
  const result = await runPivotWithin(60_000, p.root, ["list"]);
  assert.deepEqual({ ...result, elapsedMs: 0 }, {
    code: 1,
    stdout: "",
    stderr: "error: pipeline.ts:1:26: cannot load the pipeline module: timer boom\n",
    elapsedMs: 0,
  });
});

Deno.test("pivot repro fails a stage whose code throws from a timer or leaves a promise rejected, with no raw Deno error", async () => {
  await using p = await makeProject({
    "pipeline.ts": [
      "export default { stages: {",
      '  late: { outs: "txt", run: () => { setTimeout(() => { throw new Error("timer boom"); }, 0); return "x"; } },',
      '  waits: { outs: "txt", run: () => new Promise(() => { setTimeout(() => { throw new Error("inner"); }, 5); }) },',
      '  rejects: { outs: "txt", run: () => { Promise.reject(new Error("nobody")); return "x"; } },',
      '  nothing: { outs: "json", run: () => { throw undefined; } },',
      '  big: { outs: "json", run: () => 10n },',
      '  keyed: { outs: { m: "json" }, run: () => ({ m: 10n }) },',
      '  works: { outs: "txt", run: () => "works\\n" },',
      "} };",
      "",
    ].join("\n"),
  });
  const result = await runPivotWithin(60_000, p.root, ["repro", "-k", "-j", "1"]);
  assert.equal(result.code, 1);
  assert.equal(
    timeless(result.stdout),
    "ran works: no previous run (T)\n1 ran, 0 up to date, 6 failed (T)\n",
  );
  assert.equal(
    timeless(result.stderr),
    [
      "FAILED late: the stage's code threw from a timer or callback after the stage function returned: Error: timer boom (pipeline.ts:2:62) (T)",
      "FAILED waits: the stage's code threw from a timer or callback: Error: inner (pipeline.ts:3:81) (T)",
      "FAILED rejects: the stage's code left a promise rejected: Error: nobody (pipeline.ts:4:55) (T)",
      "FAILED nothing: the stage threw undefined (T)",
      "FAILED big: output big (json): Do not know how to serialize a BigInt (T)",
      "FAILED keyed: output keyed:m (json): Do not know how to serialize a BigInt (T)",
      "",
    ].join("\n"),
  );
  for (const stage of ["late", "waits", "rejects", "nothing", "big", "keyed"]) {
    assert.equal(await p.exists(lockRel(path.basename(p.root), stage)), false, stage);
  }
});

Deno.test("pivot repro warns about a stage function's timer that throws after its stage finished", async () => {
  await using p = await makeProject({
    "pipeline.ts": [
      'const flag = new URL("./fired", import.meta.url);',
      "export default { stages: {",
      '  early: { outs: "txt", run: () => { setTimeout(() => { Deno.writeTextFileSync(flag, ""); throw new Error("late"); }, 50); return "x"; } },',
      "  slow: {",
      '    outs: "txt",',
      "    run: async () => {",
      "      while (!(await Deno.stat(flag).then(() => true, () => false))) await new Promise((r) => setTimeout(r, 20));",
      "      await new Promise((r) => setTimeout(r, 300));",
      '      return "y";',
      "    },",
      "  },",
      "} };",
      "",
    ].join("\n"),
  });
  const result = await runPivotWithin(60_000, p.root, ["repro", "-j", "2"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(timeless(result.stdout), /^ran early: no previous run \(T\)\n/m);
  assert.match(timeless(result.stdout), /^ran slow: no previous run \(T\)\n/m);
  assert.equal(
    result.stderr,
    "warning: the code of a stage function threw from a timer or callback after its stage finished: Error: late (pipeline.ts:3:97)\n",
  );
});
