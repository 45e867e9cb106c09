import assert from "node:assert/strict";
import type { Discovery } from "../../src/discovery/mod.ts";
import {
  graphSources,
  openProject,
  readPipelineGraph,
  reusedStagesHold,
  writePipelineGraph,
} from "../../src/project/mod.ts";
import { StateDb } from "../../src/storage/mod.ts";
import { makeProject } from "../_helpers/project.ts";

/** Two pipelines merged with `--all` (one includes the other's stage), a matrix, vars, params. */
const FILES: Record<string, string> = {
  "eval/pivot.yaml": [
    "stages:",
    "  train:",
    "    cmd: ./train.sh ${deps.data} ${outs}",
    "    deps:",
    "      data: prep/clean",
    "    outs: txt",
    "    params: {lr: 0.5, layers: [1, 2], name: x}",
    "",
  ].join("\n"),
  "prep/pivot.yaml": [
    "root: ..",
    "vars: [vars.yaml]",
    "stages:",
    "  clean:",
    "    cmd: ./clean.sh ${deps.raw} ${outs}",
    "    deps:",
    "      raw: [raw.csv, more/raw2.csv]",
    "    outs: csv",
    "  fit:",
    "    matrix: {size: [small, large]}",
    "    cmd: ./fit.sh ${size} ${greeting}",
    "    deps: {data: clean}",
    "    outs:",
    "      model: json",
    "      scores: {format: json, kind: metric}",
    "      dir: {format: dir, path: 'out/${size}/'}",
    "    desc: fits ${size}",
    "",
  ].join("\n"),
  "prep/vars.yaml": "greeting: hi\n",
  "prep/raw.csv": "a,b\n1,2\n",
  "prep/more/raw2.csv": "a,b\n3,4\n",
  "eval/params.yaml": "",
};

/** `discovery` as JSON text, every field in its order. */
function text(discovery: Discovery): string {
  return JSON.stringify(discovery);
}

Deno.test("writePipelineGraph() keeps a discovery that readPipelineGraph() gives back field for field, under its sources only", async () => {
  await using p = await makeProject(FILES);
  const db = await StateDb.open(p.path(".pivot"), () => {});
  using _closed = { [Symbol.dispose]: () => db.close() };
  // A definition is the same object in both lists, as loaded.
  const held = (found: Discovery) =>
    found.stages.map(({ def }) =>
      found.pipelines.some((pipeline) => pipeline.stages.includes(def))
    );
  for (
    const [options, expected] of [
      [{ cwd: p.root, all: true }, [true, true, true, true]],
      [{ cwd: p.path("eval") }, [true, true]],
    ] as const
  ) {
    const project = await openProject(options);
    writePipelineGraph(db, "key", "sources 1", project.discovery);
    const read = readPipelineGraph(db, "key", "sources 1");
    assert.ok(read !== null);
    assert.equal(text(read), text(project.discovery));
    assert.deepEqual(held(read), expected);
    assert.deepEqual(held(project.discovery), expected);
  }
  const project = await openProject({ cwd: p.root, all: true });
  writePipelineGraph(db, "key", "sources 1", project.discovery);
  assert.equal(readPipelineGraph(db, "key", "sources 2"), null);
  assert.equal(readPipelineGraph(db, "other key", "sources 1"), null);
  // Kept again under the same key: the newer one replaces it.
  writePipelineGraph(db, "key", "sources 2", project.discovery);
  assert.equal(readPipelineGraph(db, "key", "sources 1"), null);
  assert.equal(text(readPipelineGraph(db, "key", "sources 2")!), text(project.discovery));
});

Deno.test("writePipelineGraph() keeps nothing for a dependency written as another pipeline's stage that names a file", async () => {
  await using p = await makeProject({
    ...FILES,
    "eval/pivot.yaml": FILES["eval/pivot.yaml"]!.replace(
      "data: prep/clean",
      "data: prep/clean\n      notes: docs/notes",
    ),
    "eval/docs/notes": "notes\n",
  });
  const db = await StateDb.open(p.path(".pivot"), () => {});
  using _closed = { [Symbol.dispose]: () => db.close() };
  const project = await openProject({ cwd: p.path("eval") });
  const train = project.discovery.stages.find((stage) => stage.name === "train")!;
  assert.deepEqual(train.def.deps.map((entry) => entry.refs[0]!.kind), ["identity", "file"]);
  writePipelineGraph(db, "key", "s", project.discovery);
  assert.equal(readPipelineGraph(db, "key", "s"), null);
});

Deno.test("writePipelineGraph() keeps nothing for a pipeline.ts or definitions that are not plain JSON data", async () => {
  await using p = await makeProject(FILES);
  const project = await openProject({ cwd: p.root, all: true });
  const db = await StateDb.open(p.path(".pivot"), () => {});
  using _closed = { [Symbol.dispose]: () => db.close() };
  const [first, ...rest] = project.discovery.pipelines;
  const withModule = {
    ...project.discovery,
    pipelines: [{ ...first!, file: "/x/pipeline.ts" }, ...rest],
  };
  writePipelineGraph(db, "ts", "s", withModule);
  assert.equal(readPipelineGraph(db, "ts", "s"), null);
  const stage = project.discovery.stages[0]!;
  for (const value of [Infinity, -0, new Date(0), undefined, [() => 1]]) {
    const odd = {
      ...project.discovery,
      stages: [{ ...stage, def: { ...stage.def, params: { value } } }],
    };
    writePipelineGraph(db, "odd", "s", odd);
    assert.equal(readPipelineGraph(db, "odd", "s"), null, String(value));
  }
});

Deno.test("graphSources() lists each source with its signature; null when one has none or is racy", () => {
  const stamp = { key: "k", sources: ["/a", "/b"], followed: { "/a": "f:1", "/b": "-" }, racy: {} };
  const signature = (file: string) => stamp.followed[file as "/a"];
  assert.equal(graphSources(stamp, signature), JSON.stringify([["/a", "f:1"], ["/b", "-"]]));
  assert.equal(graphSources(stamp, (file) => file === "/a" ? null : "-"), null);
  assert.equal(graphSources({ ...stamp, racy: { "/b": "x" } }, signature), null);
  assert.equal(graphSources({ racy: {} }, signature), null);
});

Deno.test("reusedStagesHold() refuses a file input now reached through a symlink out of the project, or a run module gone", async () => {
  await using p = await makeProject(FILES);
  const project = await openProject({ cwd: p.root, all: true });
  assert.equal(reusedStagesHold(p.root, project.discovery), true);
  const outside = await Deno.makeTempDir();
  try {
    await Deno.rename(p.path("prep/more"), `${outside}/more`);
    await Deno.symlink(`${outside}/more`, p.path("prep/more"));
    assert.equal(reusedStagesHold(p.root, project.discovery), false);
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
  const stage = project.discovery.stages[0]!;
  const gone = {
    ...project.discovery,
    stages: [{
      ...stage,
      def: {
        ...stage.def,
        action: {
          kind: "run" as const,
          module: p.path("gone.ts"),
          exportPath: ["x"],
          display: "x",
        },
        deps: [],
      },
    }],
  };
  assert.equal(reusedStagesHold(p.root, gone), false);
});
