import assert from "node:assert/strict";
import { makeProject } from "../_helpers/project.ts";
import { assertFileError, lines, load, loadError, stageNamed } from "./_load.ts";

Deno.test("loadPipelineFile() resolves a declared output path against the pipeline file", async () => {
  await using p = await makeProject({
    "ml/pivot.yaml": lines(
      "stages:",
      "  train:",
      "    cmd: python train.py",
      "    outs:",
      "      model: {format: bin, path: model.pkl}",
      "      plots: {format: dir, path: 'eval/plots/'}",
      "      scores: {format: json, kind: metric, path: ./eval/../eval/scores.json}",
      "      log: txt",
    ),
  });
  const train = stageNamed(await load(p, "ml/pivot.yaml"), "train");
  assert.deepEqual(train.outs, [
    {
      key: "model",
      format: "bin",
      kind: "data",
      cache: true,
      ext: "pkl",
      path: p.path("ml/model.pkl"),
    },
    {
      key: "plots",
      format: "dir",
      kind: "data",
      cache: true,
      ext: "",
      path: p.path("ml/eval/plots"),
    },
    {
      key: "scores",
      format: "json",
      kind: "metric",
      cache: false,
      ext: "json",
      path: p.path("ml/eval/scores.json"),
    },
    { key: "log", format: "txt", kind: "data", cache: true, ext: "txt" },
  ]);
});

Deno.test("loadPipelineFile() interpolates matrix values and vars in a declared path", async () => {
  await using p = await makeProject({
    "vars.yaml": "results: results\n",
    "pivot.yaml": lines(
      "vars: [vars.yaml]",
      "stages:",
      "  train:",
      "    cmd: python train.py ${size}",
      "    matrix: {size: [small, large]}",
      "    outs: {format: bin, path: '${results}/${size}/model.pkl'}",
    ),
  });
  const pipeline = await load(p);
  assert.deepEqual(pipeline.stages.map((s) => [s.name, s.outs[0]?.path]), [
    ["train@small", p.path("results/small/model.pkl")],
    ["train@large", p.path("results/large/model.pkl")],
  ]);
});

Deno.test("loadPipelineFile() lets a root above the file hold a declared path", async () => {
  await using p = await makeProject({
    "ml/pivot.yaml": lines(
      "root: ..",
      "stages:",
      "  a:",
      "    cmd: x",
      "    outs: {format: txt, path: ../shared/a.txt}",
    ),
  });
  assert.equal(
    stageNamed(await load(p, "ml/pivot.yaml"), "a").outs[0]?.path,
    p.path("shared/a.txt"),
  );
});

Deno.test("loadPipelineFile() rejects a declared path that is not a place for an output", async (t) => {
  const rootHint = "declare a path relative to the pipeline file, below its root (ml/)";
  const cases: [label: string, value: string, column: number, detail: string, hint: string][] = [
    ["absolute", "/tmp/model.pkl", 35, "output path '/tmp/model.pkl' is absolute", rootHint],
    [
      "escaping with ..",
      "../model.pkl",
      35,
      "output path '../model.pkl' is outside the pipeline root",
      rootHint,
    ],
    [
      "escaping after a matrix value",
      "a/../../${size}.pkl",
      35,
      "output path 'a/../../s.pkl' is outside the pipeline root",
      rootHint,
    ],
    ["the root itself", ".", 35, "output path '.' is the pipeline root itself", rootHint],
    [
      "inside .pivot",
      ".pivot/stages/x.lock",
      35,
      "output path '.pivot/stages/x.lock' is inside .pivot/, which belongs to pivot",
      rootHint,
    ],
    [
      "inside .git",
      "sub/.git/config",
      35,
      "output path 'sub/.git/config' is inside .git/, which belongs to git",
      rootHint,
    ],
    [
      "a file output ending in /",
      "out/",
      35,
      "output path 'out/' ends in '/', which names a directory",
      "declare a directory output with 'format: dir', or remove the '/'",
    ],
  ];
  for (const [label, value, column, detail, hint] of cases) {
    await t.step(label, async () => {
      await using p = await makeProject({
        "ml/pivot.yaml": lines(
          "stages:",
          "  a:",
          "    cmd: x",
          "    matrix: {size: [s]}",
          `    outs: {m: {format: bin, path: '${value}'}}`,
        ),
      });
      assertFileError(await loadError(p, "ml/pivot.yaml"), {
        message: `ml/pivot.yaml:5:${column}: stages.a.outs.m.path: ${detail}`,
        file: p.path("ml/pivot.yaml"),
        line: 5,
        column,
        field: "stages.a.outs.m.path",
        detail,
        hint,
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects a declared path beside ext, or that is not text", async (t) => {
  await t.step("ext", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines(
        "stages:",
        "  a:",
        "    cmd: x",
        "    outs: {format: bin, path: m.pkl, ext: pkl}",
      ),
    });
    assertFileError(await loadError(p), {
      message:
        "pivot.yaml:4:43: stages.a.outs.ext: an output with 'path' takes its extension from the path",
      file: p.path("pivot.yaml"),
      line: 4,
      column: 43,
      field: "stages.a.outs.ext",
      detail: "an output with 'path' takes its extension from the path",
      hint: "remove 'ext'",
    });
  });
  await t.step("a number", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "    outs: {format: bin, path: 3}"),
    });
    const error = await loadError(p);
    assert.equal(
      error.message,
      "pivot.yaml:4:31: stages.a.outs.path: expected a file or directory path",
    );
  });
});

Deno.test("loadPipelineFile() rejects two outputs declared at one path, naming both lines", async (t) => {
  await t.step("two stages", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines(
        "stages:",
        "  train:",
        "    cmd: x",
        "    outs: {model: {format: bin, path: model.pkl}}",
        "  tune:",
        "    cmd: y",
        "    outs: {format: bin, path: ./model.pkl}",
      ),
    });
    assertFileError(await loadError(p), {
      message:
        "pivot.yaml:7:31: stages.tune.outs.path: output tune is declared at model.pkl, as is train:model (model.pkl, line 4)",
      file: p.path("pivot.yaml"),
      line: 7,
      column: 31,
      field: "stages.tune.outs.path",
      detail: "output tune is declared at model.pkl, as is train:model (model.pkl, line 4)",
      hint:
        "give each output its own path (in a matrix, use the dimensions: results/${size}/model.pkl)",
    });
  });
  await t.step("the variants of a matrix stage", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines(
        "stages:",
        "  train:",
        "    cmd: x ${size}",
        "    matrix: {size: [small, large]}",
        "    outs: {format: bin, path: model.pkl}",
      ),
    });
    assert.equal(
      (await loadError(p)).message,
      "pivot.yaml:5:31: stages.train.outs.path: output train@large is declared at model.pkl, as is train@small (model.pkl, line 5)",
    );
  });
  await t.step("a file inside a directory output", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines(
        "stages:",
        "  prepare:",
        "    cmd: x",
        "    outs: {format: dir, path: data/prepared}",
        "  report:",
        "    cmd: y",
        "    outs: {format: txt, path: data/prepared/summary.txt}",
      ),
    });
    assert.equal(
      (await loadError(p)).message,
      "pivot.yaml:7:31: stages.report.outs.path: output report (data/prepared/summary.txt) lies inside the directory output prepare (data/prepared/, line 4)",
    );
  });
  await t.step("a directory output around an earlier file", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines(
        "stages:",
        "  report:",
        "    cmd: y",
        "    outs: {format: txt, path: data/prepared/summary.txt}",
        "  prepare:",
        "    cmd: x",
        "    outs: {format: dir, path: data/prepared}",
      ),
    });
    assert.equal(
      (await loadError(p)).message,
      "pivot.yaml:7:31: stages.prepare.outs.path: the directory output prepare (data/prepared/) holds report (data/prepared/summary.txt, line 4)",
    );
  });
});
