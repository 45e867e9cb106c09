import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject } from "../_helpers/project.ts";

Deno.test("repro lists cached outputs in data/<pipeline>/.gitignore, not metrics", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  train:",
      "    cmd: echo m > ${outs.model}; echo '{}' > ${outs.scores}; mkdir -p ${outs.plots}",
      "    outs:",
      "      model: txt",
      "      scores: {format: json, kind: metric}",
      "      plots: dir",
      "  broken:",
      "    cmd: exit 1",
      "    outs: txt",
      "",
    ].join("\n"),
  });
  const first = await runPivotInProcess(p.root, ["repro", "-k"]);
  assert.equal(first.code, 1, first.stderr);
  const text = await p.read("data/ml/.gitignore");
  const entries = text.split("\n").filter((line) => line.startsWith("/"));
  // broken failed while running: what it may have left is kept out of git too.
  assert.deepEqual(entries, ["/broken.txt", "/train/model.txt", "/train/plots/"]);
  // A second run adds nothing and keeps the file as it is.
  const before = (await Deno.stat(p.path("data/ml/.gitignore"))).mtime?.getTime();
  await runPivotInProcess(p.root, ["repro", "-k"]);
  assert.equal(await p.read("data/ml/.gitignore"), text);
  assert.equal((await Deno.stat(p.path("data/ml/.gitignore"))).mtime?.getTime(), before);
});
