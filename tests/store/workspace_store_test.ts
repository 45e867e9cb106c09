import assert from "node:assert/strict";
import * as path from "node:path";
import { type StoreOutput, type StoreStage, WorkspaceStore } from "../../src/store/mod.ts";
import { PivotError } from "../../src/util/errors.ts";

const PROJECT = path.resolve("/work/proj");

function stage(
  name: string,
  outs: StoreOutput[],
  options: { pipeline?: string; root?: string } = {},
): StoreStage {
  return { name, pipeline: options.pipeline ?? "ml", root: options.root ?? PROJECT, outs };
}

function out(
  key: string | null,
  format: string,
  ext = format === "dir" ? "" : format,
): StoreOutput {
  return { key, format, ext };
}

/** Asserts that `fn` throws a PivotError whose message is exactly `message`. */
function assertPivotError(fn: () => unknown, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof PivotError, `expected a PivotError, got ${String(error)}`);
    assert.equal(error.message, message);
    return true;
  });
}

const p = (...parts: string[]) => path.join(PROJECT, ...parts);

Deno.test("WorkspaceStore.outputPath() puts a single unnamed output at data/<pipeline>/<stage>.<ext>", async (t) => {
  const store = new WorkspaceStore(PROJECT);
  const cases: [string, StoreOutput, string][] = [
    ["csv", out(null, "csv"), p("data/ml/prepare.csv")],
    ["json", out(null, "json"), p("data/ml/prepare.json")],
    ["jsonl", out(null, "jsonl"), p("data/ml/prepare.jsonl")],
    ["ext override", out(null, "txt", "log"), p("data/ml/prepare.log")],
    ["multi-dot ext", out(null, "bin", "tar.gz"), p("data/ml/prepare.tar.gz")],
  ];
  for (const [label, output, expected] of cases) {
    await t.step(label, () => {
      assert.equal(store.outputPath(stage("prepare", [output]), null), expected);
    });
  }
});

Deno.test("WorkspaceStore.outputPath() puts a single keyed output under data/<pipeline>/<stage>/", () => {
  const store = new WorkspaceStore(PROJECT);
  const train = stage("train", [out("model", "json")]);
  assert.equal(store.outputPath(train, "model"), p("data/ml/train/model.json"));
  // The only output may also be addressed without its key.
  assert.equal(store.outputPath(train, null), p("data/ml/train/model.json"));
});

Deno.test("WorkspaceStore.outputPath() puts named outputs at data/<pipeline>/<stage>/<key>.<ext>", () => {
  const store = new WorkspaceStore(PROJECT);
  const train = stage("train", [
    out("model", "json"),
    out("scores", "yaml"),
    out("weights", "bin", "pt"),
  ]);
  assert.equal(store.outputPath(train, "model"), p("data/ml/train/model.json"));
  assert.equal(store.outputPath(train, "scores"), p("data/ml/train/scores.yaml"));
  assert.equal(store.outputPath(train, "weights"), p("data/ml/train/weights.pt"));
});

Deno.test("WorkspaceStore.outputPath() gives directory outputs no extension", () => {
  const store = new WorkspaceStore(PROJECT);
  assert.equal(store.outputPath(stage("report", [out(null, "dir")]), null), p("data/ml/report"));
  const multi = stage("report", [out("html", "dir"), out("summary", "txt")]);
  assert.equal(store.outputPath(multi, "html"), p("data/ml/report/html"));
  assert.equal(store.outputPath(multi, "summary"), p("data/ml/report/summary.txt"));
});

Deno.test("WorkspaceStore.outputPath() keeps a variant stage name such as train@small", () => {
  const store = new WorkspaceStore(PROJECT);
  assert.equal(
    store.outputPath(stage("train@small", [out("model", "json"), out("log", "txt")]), "model"),
    p("data/ml/train@small/model.json"),
  );
  assert.equal(
    store.outputPath(stage("train@large_2", [out(null, "csv")]), null),
    p("data/ml/train@large_2.csv"),
  );
});

Deno.test("WorkspaceStore.outputPath() resolves under the stage's home pipeline root", () => {
  const store = new WorkspaceStore(PROJECT);
  const clean = stage("clean", [out(null, "csv")], {
    pipeline: "prep",
    root: p("pipelines/prep"),
  });
  assert.equal(store.outputPath(clean, null), p("pipelines/prep/data/prep/clean.csv"));
});

Deno.test("WorkspaceStore.outputPath() uses the stage's home pipeline name, not a merged one", () => {
  const store = new WorkspaceStore(PROJECT);
  const a = stage("train", [out(null, "json")], { pipeline: "eval" });
  const b = stage("train", [out(null, "json")], { pipeline: "ml" });
  assert.equal(store.outputPath(a, null), p("data/eval/train.json"));
  assert.equal(store.outputPath(b, null), p("data/ml/train.json"));
});

Deno.test("WorkspaceStore.outputPath() uses a custom dataDir", async (t) => {
  const cases: [string, string, string][] = [
    ["plain name", "artifacts", p("artifacts/ml/train/model.json")],
    ["nested", "build/out", p("build/out/ml/train/model.json")],
    ["trailing slash", "artifacts/", p("artifacts/ml/train/model.json")],
    ["leading ./", "./artifacts", p("artifacts/ml/train/model.json")],
    ["backslashes", "build\\out", p("build/out/ml/train/model.json")],
    ["inner ..", "a/../b", p("b/ml/train/model.json")],
  ];
  for (const [label, dataDir, expected] of cases) {
    await t.step(label, () => {
      const store = new WorkspaceStore(PROJECT, { dataDir });
      assert.equal(store.outputPath(stage("train", [out("model", "json")]), "model"), expected);
    });
  }
});

Deno.test("new WorkspaceStore() normalizes dataDir and defaults it to 'data'", () => {
  assert.equal(new WorkspaceStore(PROJECT).dataDir, "data");
  assert.equal(new WorkspaceStore(PROJECT, { dataDir: "./out//x/" }).dataDir, "out/x");
  assert.equal(new WorkspaceStore(PROJECT).projectRoot, PROJECT);
});

Deno.test("new WorkspaceStore() rejects a dataDir outside the pipeline root", async (t) => {
  for (const dataDir of ["../x", "/abs", "/", "", ".", "./", "a/../..", "x/../../y", "..\\x"]) {
    await t.step(JSON.stringify(dataDir), () => {
      assert.throws(() => new WorkspaceStore(PROJECT, { dataDir }), (error: unknown) => {
        assert.ok(error instanceof PivotError);
        assert.equal(
          error.message,
          `invalid store.data_dir '${dataDir}': it must be a relative path inside the pipeline root`,
        );
        assert.equal(error.hint, "set it with 'store: {data_dir: data}' in .pivot/config.yaml");
        return true;
      });
    });
  }
});

Deno.test("WorkspaceStore.outputPath() rejects an unknown key", () => {
  const store = new WorkspaceStore(PROJECT);
  assertPivotError(
    () => store.outputPath(stage("train", [out("model", "json")]), "modle"),
    "stage 'train' has no output 'modle'",
  );
  assertPivotError(
    () => store.outputPath(stage("prepare", [out(null, "csv")]), "table"),
    "stage 'prepare' has no output 'table'",
  );
});

Deno.test("WorkspaceStore.outputPath() rejects a null key when the stage has several outputs", () => {
  const store = new WorkspaceStore(PROJECT);
  assertPivotError(
    () => store.outputPath(stage("train", [out("model", "json"), out("scores", "json")]), null),
    "stage 'train' has several outputs; name one of: model, scores",
  );
});

Deno.test("WorkspaceStore.outputPath() rejects a stage without outputs", () => {
  const store = new WorkspaceStore(PROJECT);
  assertPivotError(() => store.outputPath(stage("lint", []), null), "stage 'lint' has no outputs");
  assertPivotError(
    () => store.outputPath(stage("lint", []), "x"),
    "stage 'lint' has no output 'x'",
  );
});

Deno.test("WorkspaceStore.outputs() lists every output with its path in declaration order", () => {
  const store = new WorkspaceStore(PROJECT);
  const train = stage("train", [
    out("scores", "json"),
    out("plots", "dir"),
    out("model", "bin", "pkl"),
  ]);
  assert.deepEqual(store.outputs(train), [
    { key: "scores", path: p("data/ml/train/scores.json"), isDir: false },
    { key: "plots", path: p("data/ml/train/plots"), isDir: true },
    { key: "model", path: p("data/ml/train/model.pkl"), isDir: false },
  ]);
  assert.deepEqual(store.outputs(stage("prepare", [out(null, "csv")])), [
    { key: null, path: p("data/ml/prepare.csv"), isDir: false },
  ]);
  assert.deepEqual(store.outputs(stage("lint", [])), []);
});

Deno.test("WorkspaceStore.displayPath() shows a project-relative POSIX path", async (t) => {
  const store = new WorkspaceStore(PROJECT);
  const cases: [string, string, boolean, string][] = [
    ["file", p("data/ml/train/model.json"), false, "data/ml/train/model.json"],
    ["directory", p("data/ml/report"), true, "data/ml/report/"],
    ["project root", PROJECT, false, "."],
    ["nested pipeline", p("sub/data/x/y.csv"), false, "sub/data/x/y.csv"],
  ];
  for (const [label, absolute, isDir, expected] of cases) {
    await t.step(label, () => assert.equal(store.displayPath(absolute, isDir), expected));
  }
});

Deno.test("WorkspaceStore.describe() shows identity and path", async (t) => {
  const store = new WorkspaceStore(PROJECT);
  const train = stage("train", [out("model", "json"), out("scores", "json")]);
  const prepare = stage("prepare", [out(null, "csv")]);
  const report = stage("report", [out(null, "dir")]);
  const plots = stage("plot", [out("figs", "dir"), out("table", "csv")]);
  const only = stage("fit", [out("model", "json")]);
  const clean = stage("clean", [out(null, "csv")], { pipeline: "prep", root: p("prep") });
  const cases: [string, () => string, string][] = [
    [
      "named",
      () => store.describe("train", train, "model"),
      "train:model → data/ml/train/model.json",
    ],
    ["single", () => store.describe("prepare", prepare, null), "prepare → data/ml/prepare.csv"],
    ["directory", () => store.describe("report", report, null), "report → data/ml/report/"],
    [
      "keyed directory",
      () => store.describe("plot", plots, "figs"),
      "plot:figs → data/ml/plot/figs/",
    ],
    [
      "only output addressed without key shows its key",
      () => store.describe("fit", only, null),
      "fit:model → data/ml/fit/model.json",
    ],
    [
      "prefixed producer in another root",
      () => store.describe("prep/clean", clean, null),
      "prep/clean → prep/data/prep/clean.csv",
    ],
  ];
  for (const [label, run, expected] of cases) {
    await t.step(label, () => assert.equal(run(), expected));
  }
});

Deno.test("WorkspaceStore.describe() rejects an unknown key and a null key with several outputs", () => {
  const store = new WorkspaceStore(PROJECT);
  const train = stage("train", [out("model", "json"), out("scores", "json")]);
  assertPivotError(
    () => store.describe("train", train, "weights"),
    "stage 'train' has no output 'weights'",
  );
  assertPivotError(
    () => store.describe("train", train, null),
    "stage 'train' has several outputs; name one of: model, scores",
  );
});

Deno.test("WorkspaceStore.describe() uses the custom dataDir", () => {
  const store = new WorkspaceStore(PROJECT, { dataDir: "artifacts" });
  assert.equal(
    store.describe("train", stage("train", [out("model", "json"), out("log", "txt")]), "model"),
    "train:model → artifacts/ml/train/model.json",
  );
});

Deno.test("WorkspaceStore answers a declared path for its output and places the others", () => {
  const store = new WorkspaceStore(PROJECT, { dataDir: "outputs" });
  const train = stage("train", [
    { key: "model", format: "bin", ext: "pkl", path: p("model.pkl") },
    { key: "plots", format: "dir", ext: "", path: p("eval/plots") },
    out("scores", "json"),
  ]);
  assert.equal(store.outputPath(train, "model"), p("model.pkl"));
  assert.deepEqual(store.outputs(train), [
    { key: "model", path: p("model.pkl"), isDir: false },
    { key: "plots", path: p("eval/plots"), isDir: true },
    { key: "scores", path: p("outputs/ml/train/scores.json"), isDir: false },
  ]);
  assert.equal(store.describe("train", train, "model"), "train:model → model.pkl");
  assert.equal(store.describe("train", train, "plots"), "train:plots → eval/plots/");
  // A single output declared at a path keeps the stage's name as its identity.
  const prepare = stage("prepare", [{
    key: null,
    format: "dir",
    ext: "",
    path: p("data/prepared"),
  }]);
  assert.equal(store.describe("prepare", prepare, null), "prepare → data/prepared/");
});
