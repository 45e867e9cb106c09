import assert from "node:assert/strict";
import { ChangeMap, withDownstream } from "../../src/engine/mod.ts";
import { openProject } from "../../src/project/mod.ts";
import { makeProject } from "../_helpers/project.ts";

const PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prepare:",
  "    cmd: ./prep.sh",
  "    deps: {raw: inputs/raw.csv, script: prep.sh}",
  "    outs: csv",
  "  images:",
  "    cmd: ls ${deps.dir} > ${outs}",
  "    deps: {dir: inputs/images}",
  "    outs: txt",
  "  train:",
  "    cmd: ./train.sh",
  "    deps: {data: prepare, pics: images}",
  "    outs: {model: json}",
  "  linked:",
  "    cmd: cat ${deps.x} > ${outs}",
  "    deps: {x: link/x.csv}",
  "    outs: txt",
  "",
].join("\n");

async function projectFiles() {
  const p = await makeProject({
    "pivot.yaml": PIPELINE,
    "inputs/raw.csv": "",
    "prep.sh": "",
    "inputs/images/cat.png": "",
    "real/x.csv": "",
    "stages/helper.ts": "",
  });
  await Deno.symlink("real", p.path("link"));
  return p;
}

Deno.test("ChangeMap.classify() maps changed paths to the stages that read or produce them", async (t) => {
  await using p = await projectFiles();
  const project = await openProject({ cwd: p.root });
  const map = new ChangeMap(project, [p.path("params.yaml"), p.path("stages/helper.ts")]);
  const cases: [string, string[], { reload?: string[]; stages?: string[] }][] = [
    ["a file dependency", ["inputs/raw.csv"], { stages: ["prepare"] }],
    ["a script dependency", ["prep.sh"], { stages: ["prepare"] }],
    ["a file inside a directory dependency", ["inputs/images/dog.png"], { stages: ["images"] }],
    ["a directory around dependencies", ["inputs"], { stages: ["prepare", "images"] }],
    ["the .pvt of a dependency", ["inputs/raw.csv.pvt"], { stages: ["prepare"] }],
    ["an output (its producer restores it)", ["data/ml/train/model.json"], { stages: ["train"] }],
    ["the real path behind a symlinked dependency", ["real/x.csv"], { stages: ["linked"] }],
    ["the pipeline file", ["pivot.yaml"], { reload: ["pivot.yaml"] }],
    ["a new pipeline file anywhere", ["sub/dir/pipeline.ts"], { reload: ["sub/dir/pipeline.ts"] }],
    ["a reload file (params, code)", ["params.yaml", "stages/helper.ts"], {
      reload: ["params.yaml", "stages/helper.ts"],
    }],
    ["a file nothing reads", ["notes.md", "inputs/rawer.csv"], {}],
  ];
  for (const [what, rel, expected] of cases) {
    await t.step(what, () => {
      const paths = rel.map((file) => p.path(file));
      const classified = map.classify(paths);
      assert.deepEqual(classified.reload, (expected.reload ?? []).map((file) => p.path(file)));
      assert.deepEqual(classified.stages, expected.stages ?? []);
      assert.deepEqual(classified.data, expected.stages === undefined ? [] : paths);
    });
  }
  await t.step("only stages within the selection count", () => {
    const classified = map.classify(
      [p.path("inputs/raw.csv"), p.path("real/x.csv")],
      new Set(["linked"]),
    );
    assert.deepEqual(classified.stages, ["linked"]);
    assert.deepEqual(classified.data, [p.path("real/x.csv")]);
  });
});

Deno.test("ChangeMap.outputsOf() matches the outputs of the stages run and the directories around them", async () => {
  await using p = await projectFiles();
  const project = await openProject({ cwd: p.root });
  const running = new ChangeMap(project, []).outputsOf(["prepare"]);
  assert.equal(running(p.path("data/ml/prepare.csv")), true);
  assert.equal(running(p.path("data/ml")), true);
  assert.equal(running(p.path("data/ml/train/model.json")), false);
  assert.equal(running(p.path("inputs/raw.csv")), false);
});

Deno.test("withDownstream() adds every stage downstream, within the selection", async () => {
  await using p = await projectFiles();
  const { dag } = await openProject({ cwd: p.root });
  assert.deepEqual(withDownstream(dag, ["prepare"]), ["prepare", "train"]);
  assert.deepEqual(withDownstream(dag, ["images", "linked"]), ["images", "train", "linked"]);
  assert.deepEqual(withDownstream(dag, ["prepare"], new Set(["prepare"])), ["prepare"]);
});
