import assert from "node:assert/strict";
import { IsolatedModuleLoader, ModuleValue } from "../../src/pipeline/mod.ts";

import { PipelineFileError } from "../../src/util/errors.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { assertFileError, loadError } from "./_load.ts";

const EXIT_HINT =
  "a pipeline module only defines the pipeline: remove the call (throw an Error to report a problem)";

const TIMEOUT_HINT =
  "look for a top-level await that never settles or a loop that never ends; if the module needs longer, raise core.load_timeout (seconds) in .pivot/config.yaml";

/** A pipeline.ts with one function stage, for loads that must work. */
const GOOD_MODULE = 'export default { stages: { a: { outs: "txt", run: () => "a" } } };\n';

/** The error `loader` throws for `rel`. */
async function isolatedLoadError(
  loader: IsolatedModuleLoader,
  p: TempProject,
  rel: string,
): Promise<PipelineFileError> {
  try {
    await loader.loadDefinition(p.path(rel), p.root);
  } catch (error) {
    assert.ok(error instanceof PipelineFileError, String(error));
    return error;
  }
  throw new Error(`loading ${rel} did not fail`);
}

Deno.test("loadPipelineFile() reports a pipeline.ts that ends its worker while loading", async (t) => {
  const cases: [string, string, string][] = [
    ["Deno.exit(0)", "Deno.exit(0);\n", "Deno.exit(0)"],
    ["Deno.exit()", "Deno.exit();\n", "Deno.exit()"],
    [
      "process.exit(4) from node:process",
      'import process from "node:process";\nprocess.exit(4);\n',
      "process.exit(4)",
    ],
    ["process.exit() through the global", "globalThis.process.exit();\n", "process.exit()"],
    ["self.close()", "self.close();\n", "self.close()"],
  ];
  for (const [name, code, call] of cases) {
    await t.step(name, async () => {
      await using p = await makeProject({
        "ml/pipeline.ts": `${code}export default { stages: {} };\n`,
      });
      assertFileError(await loadError(p, "ml/pipeline.ts"), {
        message: `ml/pipeline.ts: the pipeline module called ${call} while loading`,
        file: p.path("ml/pipeline.ts"),
        line: undefined,
        column: undefined,
        field: undefined,
        detail: `the pipeline module called ${call} while loading`,
        hint: EXIT_HINT,
      });
    });
  }
});

Deno.test("loadPipelineFile() names the file of a pipeline.ts whose stage getter throws", async () => {
  await using p = await makeProject({
    "pipeline.ts": [
      'const stage = { outs: "txt", run: () => "x" };',
      'Object.defineProperty(stage, "deps", { enumerable: true, get() { throw new Error("no deps today"); } });',
      "export default { stages: { a: stage } };",
      "",
    ].join("\n"),
  });
  const error = await loadError(p, "pipeline.ts");
  assert.equal(error.file, p.path("pipeline.ts"));
  assert.equal(error.message, "pipeline.ts:2:72: cannot load the pipeline module: no deps today");
});

Deno.test("loadPipelineFile() reports an error a pipeline.ts throws from a timer while loading", async () => {
  await using p = await makeProject({
    "pipeline.ts": [
      'setTimeout(() => { throw new Error("late"); }, 0);',
      "await new Promise((resolve) => setTimeout(resolve, 100));",
      "export default { stages: {} };",
      "",
    ].join("\n"),
  });
  const error = await loadError(p, "pipeline.ts");
  assert.equal(error.message, "pipeline.ts:1:26: cannot load the pipeline module: late");
});

Deno.test("loadPipelineFile() reports a timer with no delay that throws just after the module loaded", async () => {
  await using p = await makeProject({
    "pipeline.ts": [
      'setTimeout(() => { throw new Error("timer boom"); }, 0);',
      'export default { stages: { a: { outs: "txt", run: () => "x" } } };',
      "",
    ].join("\n"),
  });
  const error = await loadError(p, "pipeline.ts");
  assert.equal(error.message, "pipeline.ts:1:26: cannot load the pipeline module: timer boom");
});

Deno.test("IsolatedModuleLoader stops a module that does not finish loading", async (t) => {
  const cases: [string, string][] = [
    ["a top-level await that never settles", "await new Promise(() => {});\n"],
    ["a loop that never ends", "while (true) { /* busy */ }\n"],
  ];
  for (const [name, code] of cases) {
    await t.step(name, async () => {
      await using p = await makeProject({
        "pipeline.ts": `${code}export default { stages: {} };\n`,
      });
      // A short timeout: nothing has to load in time here, the module never finishes.
      using loader = new IsolatedModuleLoader({ timeout: 0.3 });
      const started = Date.now();
      const error = await isolatedLoadError(loader, p, "pipeline.ts");
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 300 && elapsed < 5000, `stopped after ${elapsed} ms`);
      assertFileError(error, {
        message:
          "pipeline.ts: the pipeline module did not finish loading within 0.3 s (core.load_timeout)",
        file: p.path("pipeline.ts"),
        line: undefined,
        column: undefined,
        field: undefined,
        detail: "the pipeline module did not finish loading within 0.3 s (core.load_timeout)",
        hint: TIMEOUT_HINT,
      });
    });
  }
});

Deno.test("IsolatedModuleLoader stops a load under way, and refuses the next, once its signal is aborted", async () => {
  await using p = await makeProject({
    "hangs/pipeline.ts": "await new Promise(() => {});\nexport default {};\n",
    "good/pipeline.ts": GOOD_MODULE,
  });
  const controller = new AbortController();
  // A timeout far longer than the test: the signal alone ends the load.
  using loader = new IsolatedModuleLoader({ timeout: 600, signal: controller.signal });
  const hung = isolatedLoadError(loader, p, "hangs/pipeline.ts");
  setTimeout(() => controller.abort(), 100);
  const stopped = "loading the pipeline module stopped: the command was stopped";
  assertFileError(await hung, {
    message: `hangs/pipeline.ts: ${stopped}`,
    file: p.path("hangs/pipeline.ts"),
    line: undefined,
    column: undefined,
    field: undefined,
    detail: stopped,
    hint: undefined,
  });
  assert.equal((await isolatedLoadError(loader, p, "good/pipeline.ts")).detail, stopped);
});

Deno.test("IsolatedModuleLoader loads the next module after one that ended or hung its worker", async () => {
  await using p = await makeProject({
    "exits/pipeline.ts": "Deno.exit(2);\nexport default {};\n",
    "hangs/pipeline.ts": "await new Promise(() => {});\nexport default {};\n",
    "good/pipeline.ts": GOOD_MODULE,
    "also/pipeline.ts": 'export default { name: "also", stages: {} };\n',
  });
  using loader = new IsolatedModuleLoader({ timeout: 1 });
  assert.equal(
    (await isolatedLoadError(loader, p, "exits/pipeline.ts")).detail,
    "the pipeline module called Deno.exit(2) while loading",
  );
  assert.ok(await loader.loadDefinition(p.path("good/pipeline.ts"), p.root));
  assert.match(
    (await isolatedLoadError(loader, p, "hangs/pipeline.ts")).detail,
    /^the pipeline module did not finish loading within 1 s/,
  );
  assert.deepEqual(await loader.loadDefinition(p.path("also/pipeline.ts"), p.root), {
    name: "also",
    stages: {},
  });
});

Deno.test("IsolatedModuleLoader returns the data as it was, with functions as ModuleValues", async () => {
  await using p = await makeProject({
    "pipeline.ts": [
      "function train() { return 1; }",
      "const shared = { lr: 0.1 };",
      "export default {",
      '  name: "ml",',
      "  stages: {",
      '    train: { outs: { model: "json" }, params: { a: shared, b: shared, big: 10n, n: NaN, inf: -Infinity, u: undefined }, run: train },',
      '    report: { cmd: "echo", outs: "txt", params: { when: new Date(0), list: [1, "two", null] } },',
      "  },",
      "};",
      "",
    ].join("\n"),
  });
  using loader = new IsolatedModuleLoader();
  const definition = await loader.loadDefinition(p.path("pipeline.ts"), p.root);
  assert.deepEqual(definition, {
    name: "ml",
    stages: {
      train: {
        outs: { model: "json" },
        params: {
          a: { lr: 0.1 },
          b: { lr: 0.1 },
          big: 10n,
          n: NaN,
          inf: -Infinity,
          u: undefined,
        },
        run: new ModuleValue("function", "train"),
      },
      report: {
        cmd: "echo",
        outs: "txt",
        params: { when: new ModuleValue("other", "a Date"), list: [1, "two", null] },
      },
    },
  });
});

Deno.test("loadPipelineFile() rejects values of a pipeline.ts that are not plain data", async (t) => {
  const cases: [string, string, string][] = [
    ["a Date", "{ when: new Date(0) }", "stages.a.params.when"],
    ["a function", "{ f: () => 1 }", "stages.a.params.f"],
    ["a class instance", "{ m: new Map() }", "stages.a.params.m"],
    ["a symbol", "{ s: Symbol('x') }", "stages.a.params.s"],
    [
      "a circular reference",
      "(() => { const o: any = { x: 1 }; o.self = o; return o; })()",
      "stages.a.params.self",
    ],
  ];
  for (const [name, params, field] of cases) {
    await t.step(name, async () => {
      await using p = await makeProject({
        "ml/pipeline.ts":
          `export default { stages: { a: { outs: "txt", run: () => 1, params: ${params} } } };\n`,
      });
      const error = await loadError(p, "ml/pipeline.ts");
      assert.equal(error.field, field);
      assert.equal(
        error.detail,
        "parameters must be plain data (strings, numbers, booleans, null, lists, maps)",
      );
    });
  }
  await t.step("NaN", async () => {
    await using p = await makeProject({
      "ml/pipeline.ts":
        'export default { stages: { a: { outs: "txt", run: () => 1, params: { n: NaN } } } };\n',
    });
    assert.equal(
      (await loadError(p, "ml/pipeline.ts")).detail,
      "parameters must be finite numbers",
    );
  });
});
