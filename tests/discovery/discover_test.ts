import assert from "node:assert/strict";
import { discover, type Discovery, PipelinesNotLoadedError } from "../../src/discovery/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";

/** A pivot.yaml whose stages each run `echo` and write one txt output. */
function pipelineYaml(stages: Record<string, string[]>, header = ""): string {
  const lines = [header, "stages:"].filter((line) => line !== "");
  for (const [name, deps] of Object.entries(stages)) {
    lines.push(`  ${name}:`, "    cmd: echo", "    outs: txt");
    if (deps.length > 0) lines.push("    deps:");
    deps.forEach((dep, index) => lines.push(`      d${index}: ${dep}`));
  }
  return `${lines.join("\n")}\n`;
}

/** DAG name → `<home pipeline>/<own name>`, the part of a discovery most tests check. */
function stageHomes(discovery: Discovery): [string, string][] {
  return discovery.stages.map((stage) => [stage.name, `${stage.def.pipeline}/${stage.def.name}`]);
}

/** Asserts that `promise` rejects with a `PivotError` whose message is `message`. */
async function assertPivotError(
  promise: Promise<unknown>,
  message: string,
  hint?: string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PivotError, String(error));
    assert.equal(error.message, message);
    if (hint !== undefined) assert.equal(error.hint, hint);
    return true;
  });
}

function discoverIn(p: TempProject, cwd: string, all = false): Promise<Discovery> {
  return discover({ projectRoot: p.root, cwd: p.path(cwd), all });
}

// --- default discovery -----------------------------------------------------------------------

Deno.test("discover() loads the pipeline in the current directory", async () => {
  await using p = await makeProject({
    "pivot.yaml": pipelineYaml({ top: [] }, "pipeline: project"),
    "ml/pivot.yaml": pipelineYaml({ prepare: [], train: ["prepare"] }),
  });
  const found = await discoverIn(p, "ml");
  assert.equal(found.name, "ml");
  assert.deepEqual(stageHomes(found), [["prepare", "ml/prepare"], ["train", "ml/train"]]);
  assert.deepEqual(found.pipelines.map((pipeline) => pipeline.file), [p.path("ml/pivot.yaml")]);
  assert.deepEqual(found.unresolved, []);
});

Deno.test("discover() falls back to the project root's pipeline", async (t) => {
  await using p = await makeProject({
    "pivot.yaml": pipelineYaml({ top: [] }, "pipeline: project"),
    "ml/pivot.yaml": pipelineYaml({ train: [] }),
    "docs/readme.md": "",
    "ml/src/train.py": "",
  });
  const cases: [string, string][] = [
    ["from the project root", "."],
    ["from a directory without a pipeline file", "docs"],
    ["from below a pipeline's directory", "ml/src"],
  ];
  for (const [name, cwd] of cases) {
    await t.step(name, async () => {
      const found = await discoverIn(p, cwd);
      assert.equal(found.name, "project");
      assert.deepEqual(stageHomes(found), [["top", "project/top"]]);
    });
  }
});

Deno.test("discover() uses the project root's pipeline when cwd is outside the project", async () => {
  await using p = await makeProject({ "pivot.yaml": pipelineYaml({ top: [] }, "pipeline: main") });
  await using outside = await makeProject({ "pivot.yaml": pipelineYaml({ other: [] }) });
  const found = await discover({ projectRoot: p.root, cwd: outside.root });
  assert.equal(found.name, "main");
  assert.deepEqual(stageHomes(found), [["top", "main/top"]]);
});

Deno.test("discover() fails when neither cwd nor the project root has a pipeline", async (t) => {
  await using p = await makeProject({ "docs/readme.md": "", "ml/pivot.yaml": "stages: {}\n" });
  const cases: [string, string, string][] = [
    ["docs", "in docs or at the project root", "../ml/pivot.yaml"],
    [".", "at the project root", "ml/pivot.yaml"],
  ];
  for (const [cwd, shown, found] of cases) {
    await t.step(`from ${cwd}`, async () => {
      await assertPivotError(
        discoverIn(p, cwd),
        `no pipeline file ${shown} (looked for pivot.yaml, pivot.yml, pipeline.ts)`,
        `use --all for every pipeline of the project, or run in the directory of one: ${found}`,
      );
    });
  }
  await t.step("in a project without any pipeline file", async () => {
    await using empty = await makeProject({ "docs/readme.md": "" });
    await assertPivotError(
      discoverIn(empty, "docs"),
      "no pipeline file in docs or at the project root (looked for pivot.yaml, pivot.yml, pipeline.ts)",
      "create a pivot.yaml here, or use --all for every pipeline of the project",
    );
  });
});

Deno.test("discover() reads pivot.yml and pipeline.ts as the default pipeline", async () => {
  await using p = await makeProject({
    "a/pivot.yml": pipelineYaml({ from_yml: [] }),
    "b/pipeline.ts": 'export default { stages: { from_ts: { cmd: "echo", outs: "txt" } } };\n',
  });
  assert.deepEqual(stageHomes(await discoverIn(p, "a")), [["from_yml", "a/from_yml"]]);
  assert.deepEqual(stageHomes(await discoverIn(p, "b")), [["from_ts", "b/from_ts"]]);
});

Deno.test("discover() applies params.yaml overrides to the stages it loads", async () => {
  await using p = await makeProject({
    "ml/pivot.yaml": "stages:\n  train:\n    cmd: echo\n    params: {lr: 0.1, epochs: 3}\n",
  });
  const found = await discover({
    projectRoot: p.root,
    cwd: p.path("ml"),
    paramsOverrides: { train: { lr: 0.5 } },
  });
  assert.deepEqual(found.stages[0]!.def.params, { lr: 0.5, epochs: 3 });
});

Deno.test("discover() reports an invalid pipeline file in cwd with its location", async () => {
  await using p = await makeProject({
    "ml/pivot.yaml": "stages:\n  train:\n    cmd: echo\n    outs: jsn\n",
  });
  await assertPivotError(
    discoverIn(p, "ml"),
    "ml/pivot.yaml:4:11: stages.train.outs: unknown format 'jsn' (did you mean 'json'?)",
  );
});

// --- cross-pipeline dependencies -------------------------------------------------------------

Deno.test("discover() includes the producer of a cross-pipeline dependency as prep/clean", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ train: ["prep/clean"] }),
    "prep/pivot.yaml": pipelineYaml({ clean: [], unused: [] }, "root: .."),
  });
  const found = await discoverIn(p, "eval");
  assert.equal(found.name, "eval");
  assert.deepEqual(stageHomes(found), [["train", "eval/train"], ["prep/clean", "prep/clean"]]);
  assert.deepEqual(found.pipelines.map((pipeline) => pipeline.name), ["eval", "prep"]);
  const [train, clean] = found.stages;
  assert.equal(train!.def.stateDir, p.path("eval/.pivot"));
  assert.equal(train!.def.root, p.path("eval"));
  assert.equal(clean!.def.stateDir, p.path(".pivot"));
  assert.equal(clean!.def.root, p.root);
  assert.equal(clean!.def.file, p.path("prep/pivot.yaml"));
});

Deno.test("discover() includes the producer's own upstream, transitively and across pipelines", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ train: ["prep/clean"], score: ["train"] }),
    "prep/pivot.yaml": pipelineYaml({ fetch: ["raw/download"], clean: ["fetch"], other: [] }),
    "raw/pivot.yaml": pipelineYaml({ download: [], unrelated: [] }),
  });
  const found = await discoverIn(p, "eval");
  assert.deepEqual(stageHomes(found), [
    ["train", "eval/train"],
    ["score", "eval/score"],
    ["prep/clean", "prep/clean"],
    ["prep/fetch", "prep/fetch"],
    ["raw/download", "raw/download"],
  ]);
  assert.deepEqual(found.pipelines.map((pipeline) => pipeline.name), ["eval", "prep", "raw"]);
  assert.deepEqual(
    found.stages.map((stage) => stage.def.stateDir),
    [
      p.path("eval/.pivot"),
      p.path("eval/.pivot"),
      p.path("prep/.pivot"),
      p.path("prep/.pivot"),
      p.path("raw/.pivot"),
    ],
  );
});

Deno.test("discover() includes a producer once however many stages depend on it", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ a: ["prep/clean"], b: ["prep/clean", "prep/clean"] }),
    "prep/pivot.yaml": pipelineYaml({ clean: [] }),
  });
  assert.deepEqual(stageHomes(await discoverIn(p, "eval")), [
    ["a", "eval/a"],
    ["b", "eval/b"],
    ["prep/clean", "prep/clean"],
  ]);
});

Deno.test("discover() finds a producing pipeline named by 'pipeline:' in another directory", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ train: ["prep/clean"] }),
    "preprocessing/pivot.yaml": pipelineYaml({ clean: [] }, "pipeline: prep"),
  });
  const found = await discoverIn(p, "eval");
  assert.deepEqual(stageHomes(found), [["train", "eval/train"], ["prep/clean", "prep/clean"]]);
  assert.equal(found.stages[1]!.def.file, p.path("preprocessing/pivot.yaml"));
});

Deno.test("discover() keeps home stages bare when an included stage depends back on them", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ base: [], train: ["prep/clean"] }),
    "prep/pivot.yaml": pipelineYaml({ clean: ["eval/base"] }),
  });
  assert.deepEqual(stageHomes(await discoverIn(p, "eval")), [
    ["base", "eval/base"],
    ["train", "eval/train"],
    ["prep/clean", "prep/clean"],
  ]);
});

Deno.test("discover() loads no unrelated pipeline when the producer's directory bears its name", async () => {
  await using p = await makeProject({
    "aaa/pivot.yaml": "stages: [broken]\n",
    "eval/pivot.yaml": pipelineYaml({ train: ["prep/clean"] }),
    "prep/pivot.yaml": pipelineYaml({ clean: [] }),
  });
  const found = await discoverIn(p, "eval");
  assert.deepEqual(found.pipelines.map((pipeline) => pipeline.name), ["eval", "prep"]);
});

Deno.test("discover() fails on a dependency on a pipeline that does not exist", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ train: ["nope/clean"] }),
    "prep/pivot.yaml": pipelineYaml({ clean: [] }),
  });
  await assertPivotError(
    discoverIn(p, "eval"),
    "stage 'train' in eval/pivot.yaml depends on 'nope/clean', but the project has no pipeline 'nope' and no file nope/clean",
    "check the pipeline name (pipelines are named by 'pipeline:' or their directory)",
  );
});

Deno.test("discover() fails on a dependency on a stage the other pipeline lacks", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ train: ["prep/clen"] }),
    "prep/pivot.yaml": pipelineYaml({ clean: [] }),
  });
  await assertPivotError(
    discoverIn(p, "eval"),
    "stage 'train' in eval/pivot.yaml depends on 'prep/clen', but pipeline 'prep' has no stage 'clen' (did you mean 'clean'?)",
  );
});

Deno.test("discover() fails on a dependency on an output key the producer lacks", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ train: ["prep/clean:tabel"] }),
    "prep/pivot.yaml":
      "stages:\n  clean:\n    cmd: echo\n    outs:\n      table: csv\n      report: txt\n",
  });
  await assertPivotError(
    discoverIn(p, "eval"),
    "stage 'train' depends on 'prep/clean:tabel', but 'prep/clean' has no output 'tabel' (did you mean 'table'?)",
  );
});

Deno.test("discover() fails on a dependency on a producer without outputs", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ train: ["prep/clean"] }),
    "prep/pivot.yaml": "stages:\n  clean:\n    cmd: echo\n",
  });
  await assertPivotError(
    discoverIn(p, "eval"),
    "stage 'train' depends on 'prep/clean', which declares no outputs",
  );
});

Deno.test("discover() treats a pipeline-like dependency naming an existing file as a file", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ train: ["inputs/raw"] }),
    "eval/inputs/raw": "1,2\n",
  });
  const found = await discoverIn(p, "eval");
  assert.deepEqual(found.stages[0]!.def.deps, [{
    name: "d0",
    list: false,
    refs: [{ kind: "file", text: "inputs/raw", path: p.path("eval/inputs/raw") }],
  }]);
});

Deno.test("discover() rejects two producing pipelines with the same name, naming both files", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ train: ["prep/clean"] }),
    "a/pivot.yaml": pipelineYaml({ clean: [] }, "pipeline: prep"),
    "b/pivot.yaml": pipelineYaml({ clean: [] }, "pipeline: prep"),
  });
  await assertPivotError(
    discoverIn(p, "eval"),
    "two pipelines are named 'prep': a/pivot.yaml and b/pivot.yaml",
    "give one of them another name with 'pipeline: <name>'",
  );
});

// --- --all -----------------------------------------------------------------------------------

Deno.test("discover() with all merges every pipeline, sorted by directory", async () => {
  await using p = await makeProject({
    "zeta/pivot.yaml": pipelineYaml({ z: [] }),
    "pivot.yaml": pipelineYaml({ top: [] }, "pipeline: main"),
    "alpha/pivot.yaml": pipelineYaml({ a1: [], a2: ["a1"] }),
    "node_modules/pkg/pivot.yaml": pipelineYaml({ hidden: [] }),
  });
  const found = await discoverIn(p, "zeta", true);
  assert.equal(found.name, "all");
  assert.deepEqual(found.pipelines.map((pipeline) => pipeline.name), ["main", "alpha", "zeta"]);
  assert.deepEqual(stageHomes(found), [
    ["top", "main/top"],
    ["a1", "alpha/a1"],
    ["a2", "alpha/a2"],
    ["z", "zeta/z"],
  ]);
  assert.deepEqual(found.unresolved, []);
});

Deno.test("discover() with all prefixes every stage of a pipeline with a taken name", async () => {
  await using p = await makeProject({
    "a/pivot.yaml": pipelineYaml({ train: [], test: [] }),
    "b/pivot.yaml": pipelineYaml({ prepare: [], train: ["prepare"] }),
    "c/pivot.yaml": pipelineYaml({ report: [], test: [] }),
    "d/pivot.yaml": pipelineYaml({ deploy: [] }),
    // Only `b/prepare` is taken, not `prepare`: e keeps bare names.
    "e/pivot.yaml": pipelineYaml({ prepare: [] }),
  });
  assert.deepEqual(stageHomes(await discoverIn(p, ".", true)), [
    ["train", "a/train"],
    ["test", "a/test"],
    ["b/prepare", "b/prepare"],
    ["b/train", "b/train"],
    ["c/report", "c/report"],
    ["c/test", "c/test"],
    ["deploy", "d/deploy"],
    ["prepare", "e/prepare"],
  ]);
});

Deno.test("discover() with all keeps each stage's own state dir and root", async () => {
  await using p = await makeProject({
    "a/pivot.yaml": pipelineYaml({ train: [] }),
    "b/pivot.yaml": pipelineYaml({ train: [] }, "root: .."),
  });
  const found = await discoverIn(p, ".", true);
  assert.deepEqual(
    found.stages.map((stage) => [stage.name, stage.def.stateDir, stage.def.root]),
    [
      ["train", p.path("a/.pivot"), p.path("a")],
      ["b/train", p.path(".pivot"), p.root],
    ],
  );
});

Deno.test("discover() with all fails listing every pipeline file that fails to load", async () => {
  await using p = await makeProject({
    "a/pivot.yaml": pipelineYaml({ train: [] }),
    "bad/pivot.yaml": "stages:\n  s:\n    cmd: echo\n    dep: {}\n",
    "broken/pipeline.ts": "export const nothing = 1;\n",
    "c/pivot.yaml": pipelineYaml({ report: [] }),
  });
  await assert.rejects(discoverIn(p, ".", true), (error: unknown) => {
    assert.ok(error instanceof PipelinesNotLoadedError, String(error));
    assert.equal(
      error.message,
      [
        "2 pipeline files failed to load:",
        "  bad/pivot.yaml:4:5: stages.s.dep: unknown key 'dep' (did you mean 'deps'?)",
        "  broken/pipeline.ts: the module has no default export",
      ].join("\n"),
    );
    assert.equal(
      error.hint,
      "every pipeline file under the project root is part of --all: fix them, or move them out of the project",
    );
    assert.deepEqual(error.failures.map((failure) => failure.file), [
      "bad/pivot.yaml",
      "broken/pipeline.ts",
    ]);
    return true;
  });
});

Deno.test("discover() with all reports one broken file with its own message and hint", async () => {
  await using p = await makeProject({
    "a/pivot.yaml": pipelineYaml({ train: [] }),
    "bad/pivot.yaml": "stages:\n  s:\n    cmd: echo\n    dep: {}\n",
  });
  await assertPivotError(
    discoverIn(p, ".", true),
    "bad/pivot.yaml:4:5: stages.s.dep: unknown key 'dep' (did you mean 'deps'?)",
    "allowed keys here: cmd, run, deps, outs, params, matrix, mutex, desc",
  );
});

Deno.test("discover() with all names the pipeline file when the error is in a file it reads", async () => {
  await using p = await makeProject({
    "a/pivot.yaml": "vars: [vars.yaml]\nstages: {}\n",
    "a/vars.yaml": "x: [1\n",
  });
  await assert.rejects(discoverIn(p, ".", true), (error: unknown) => {
    assert.ok(error instanceof PipelinesNotLoadedError, String(error));
    assert.match(error.message, /^a\/pivot\.yaml: a\/vars\.yaml:\d+:\d+: /);
    return true;
  });
});

Deno.test("discover() with all fails when no pipeline loads", async () => {
  await using p = await makeProject({ "bad/pivot.yaml": "stages: [oops]\n" });
  await assertPivotError(
    discoverIn(p, ".", true),
    "bad/pivot.yaml:1:9: stages: expected a map of stage name → stage",
    "every pipeline file under the project root is part of --all: fix it, or move it out of the project",
  );
});

Deno.test("discover() with all fails when the project has no pipeline files", async () => {
  await using p = await makeProject({ "docs/readme.md": "" });
  await assertPivotError(
    discoverIn(p, ".", true),
    "no pipeline files in the project (looked for pivot.yaml, pivot.yml, pipeline.ts)",
    "create a pivot.yaml (see the README)",
  );
});

Deno.test("discover() with all rejects two pipelines with the same name, naming both files", async () => {
  await using p = await makeProject({
    "one/pivot.yaml": pipelineYaml({ a: [] }, "pipeline: ml"),
    "ok/pivot.yaml": pipelineYaml({ b: [] }),
    "two/pivot.yml": pipelineYaml({ c: [] }, "name: ml"),
  });
  await assertPivotError(
    discoverIn(p, ".", true),
    "two pipelines are named 'ml': one/pivot.yaml and two/pivot.yml",
    "give one of them another name with 'pipeline: <name>'",
  );
});

Deno.test("discover() with all lists dependencies on missing pipelines as unresolved", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ train: ["nope/clean", "prep/clean"], test: ["gone/x:y"] }),
    "prep/pivot.yaml": pipelineYaml({ clean: [] }),
  });
  const found = await discoverIn(p, ".", true);
  assert.deepEqual(found.unresolved, [
    { stage: "train", dep: "nope/clean" },
    { stage: "test", dep: "gone/x:y" },
  ]);
  assert.deepEqual(stageHomes(found), [
    ["train", "eval/train"],
    ["test", "eval/test"],
    ["clean", "prep/clean"],
  ]);
  // The dependency stays an identity: nothing else pretends it is found.
  assert.deepEqual(found.stages[0]!.def.deps[0]!.refs[0], {
    kind: "identity",
    text: "nope/clean",
    pipeline: "nope",
    stage: "clean",
    key: null,
  });
});

Deno.test("discover() with all still fails on a stage the other pipeline lacks", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ train: ["prep/clen"] }),
    "prep/pivot.yaml": pipelineYaml({ clean: [] }),
  });
  await assertPivotError(
    discoverIn(p, ".", true),
    "stage 'train' in eval/pivot.yaml depends on 'prep/clen', but pipeline 'prep' has no stage 'clen' (did you mean 'clean'?)",
  );
});

Deno.test("discover() with all fails on an output key the producer lacks, as without all", async (t) => {
  const files = {
    "eval/pivot.yaml": pipelineYaml({ train: ["prep/clean:nokey"] }),
    "prep/pivot.yaml": pipelineYaml({ clean: [] }),
  };
  const message =
    "stage 'train' depends on 'prep/clean:nokey', but 'prep/clean' has no output 'nokey'";
  await t.step("with all", async () => {
    await using p = await makeProject(files);
    await assertPivotError(discoverIn(p, ".", true), message);
  });
  await t.step("without all", async () => {
    await using p = await makeProject(files);
    await assertPivotError(discoverIn(p, "eval"), message);
  });
});

Deno.test("discover() checks the key of every dependency on a producer already included", async (t) => {
  const files = {
    "eval/pivot.yaml": pipelineYaml({ train: ["prep/clean:table"], test: ["prep/clean:tabel"] }),
    "prep/pivot.yaml": "stages:\n  clean:\n    cmd: echo\n    outs:\n      table: csv\n",
  };
  const message =
    "stage 'test' depends on 'prep/clean:tabel', but 'prep/clean' has no output 'tabel' (did you mean 'table'?)";
  await t.step("with all", async () => {
    await using p = await makeProject(files);
    await assertPivotError(discoverIn(p, ".", true), message);
  });
  await t.step("without all", async () => {
    await using p = await makeProject(files);
    await assertPivotError(discoverIn(p, "eval"), message);
  });
});

Deno.test("discover() with all turns a pipeline-like dependency on an existing file into a file", async () => {
  await using p = await makeProject({
    "eval/pivot.yaml": pipelineYaml({ train: ["inputs/raw"] }),
    "eval/inputs/raw": "1,2\n",
  });
  const found = await discoverIn(p, ".", true);
  assert.deepEqual(found.unresolved, []);
  assert.deepEqual(found.stages[0]!.def.deps[0]!.refs, [
    { kind: "file", text: "inputs/raw", path: p.path("eval/inputs/raw") },
  ]);
});

Deno.test("discover() finds a producer past an unrelated broken pipeline file", async () => {
  await using p = await makeProject({
    "aaa/pivot.yaml": "stages:\n  broken: [\n",
    "stuff/pivot.yaml": pipelineYaml({ clean: [] }, "pipeline: prep"),
    "eval/pivot.yaml": pipelineYaml({ score: ["prep/clean"] }),
  });
  const found = await discoverIn(p, "eval");
  assert.deepEqual(stageHomes(found), [["score", "eval/score"], ["prep/clean", "prep/clean"]]);
});

Deno.test("discover() names the broken files when a producer's pipeline is not found", async () => {
  await using p = await makeProject({
    "aaa/pivot.yaml": "stages:\n  broken: [\n",
    "eval/pivot.yaml": pipelineYaml({ score: ["prep/clean"] }),
  });
  await assert.rejects(discoverIn(p, "eval"), (error: unknown) => {
    assert.ok(error instanceof PivotError);
    assert.equal(
      error.message,
      "stage 'score' in eval/pivot.yaml depends on 'prep/clean', but the project has no pipeline 'prep' and no file prep/clean",
    );
    assert.match(
      error.hint!,
      /^these pipeline files failed to load and may hold it:\naaa\/pivot\.yaml: aaa\/pivot\.yaml:3:1: invalid YAML/,
    );
    return true;
  });
});

Deno.test("discover() reports a broken file in the directory named after the wanted pipeline", async () => {
  await using p = await makeProject({
    "prep/pivot.yaml": "stages:\n  clean: {cmd: echo, outs: txt, dpes: {}}\n",
    "eval/pivot.yaml": pipelineYaml({ score: ["prep/clean"] }),
  });
  await assert.rejects(
    discoverIn(p, "eval"),
    /prep\/pivot\.yaml:2:33: stages\.clean\.dpes: unknown key 'dpes' \(did you mean 'deps'\?\)/,
  );
});

Deno.test("discover() reports two pipelines of one name even without all", async () => {
  await using p = await makeProject({
    "a/prep/pivot.yaml": pipelineYaml({ x: [] }),
    "b/prep/pivot.yaml": pipelineYaml({ y: [] }),
    "pivot.yaml": pipelineYaml({ top: ["prep/y"] }, "pipeline: main"),
  });
  await assertPivotError(
    discoverIn(p, "."),
    "two pipelines are named 'prep': a/prep/pivot.yaml and b/prep/pivot.yaml",
    "give one of them another name with 'pipeline: <name>'",
  );
});

Deno.test("discover() with all loads every pipeline.ts in one worker, stopped before it returns", async () => {
  const module = (name: string) =>
    `export default { name: "${name}", stages: { ${name}: { outs: "txt", run: () => "x" } } };\n`;
  await using p = await makeProject({
    "a/pipeline.ts": module("a"),
    "b/pipeline.ts": module("b"),
    "c/pivot.yaml": pipelineYaml({ c: [] }),
    "d/pipeline.ts": module("d"),
  });
  const started: string[] = [];
  const terminated: string[] = [];
  const OriginalWorker = globalThis.Worker;
  globalThis.Worker = class extends OriginalWorker {
    readonly #name: string;
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      this.#name = options?.name ?? "";
      started.push(this.#name);
    }
    override terminate(): void {
      terminated.push(this.#name);
      super.terminate();
    }
  };
  let found: Discovery;
  try {
    found = await discoverIn(p, ".", true);
  } finally {
    globalThis.Worker = OriginalWorker;
  }
  assert.deepEqual(stageHomes(found), [["a", "a/a"], ["b", "b/b"], ["c", "c/c"], ["d", "d/d"]]);
  assert.deepEqual(found.stages.map((stage) => stage.def.action.kind), [
    "run",
    "run",
    "cmd",
    "run",
  ]);
  assert.deepEqual(started, ["pivot-module-loader"]);
  assert.deepEqual(terminated, ["pivot-module-loader"]);
});
