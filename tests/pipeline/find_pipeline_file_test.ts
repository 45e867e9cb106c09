import assert from "node:assert/strict";
import { findPipelineFile, PIPELINE_FILE_NAMES } from "../../src/pipeline/mod.ts";
import { pipelineFileProblem } from "../../src/pipeline/find_pipeline_file.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject } from "../_helpers/project.ts";

Deno.test("findPipelineFile() looks for pivot.yaml, pivot.yml and pipeline.ts", () => {
  assert.deepEqual([...PIPELINE_FILE_NAMES], ["pivot.yaml", "pivot.yml", "pipeline.ts"]);
});

Deno.test("findPipelineFile() returns the pipeline file of a directory", async (t) => {
  const cases: [string, Record<string, string>, string | null][] = [
    ["pivot.yaml", { "d/pivot.yaml": "stages: {}\n" }, "d/pivot.yaml"],
    ["pivot.yml", { "d/pivot.yml": "stages: {}\n" }, "d/pivot.yml"],
    ["pipeline.ts", { "d/pipeline.ts": "export default {};\n" }, "d/pipeline.ts"],
    [
      "pivot.yaml beats pivot.yml",
      { "d/pivot.yaml": "stages: {}\n", "d/pivot.yml": "stages: {}\n" },
      "d/pivot.yaml",
    ],
    ["none", { "d/other.yaml": "x: 1\n" }, null],
  ];
  for (const [label, files, expected] of cases) {
    await t.step(label, async () => {
      await using p = await makeProject(files);
      assert.equal(
        await findPipelineFile(p.path("d")),
        expected === null ? null : p.path(expected),
      );
    });
  }
});

Deno.test("findPipelineFile() returns a directory or dangling symlink named like a pipeline file, which pipelineFileProblem() explains", async () => {
  await using p = await makeProject({ "d/pivot.yaml/inner.txt": "x", "e/real.yaml": "x" });
  assert.equal(await findPipelineFile(p.path("d")), p.path("d/pivot.yaml"));
  assert.equal(pipelineFileProblem(p.path("d/pivot.yaml")), "it is a directory");
  await Deno.symlink("gone.yaml", p.path("e/pivot.yml"));
  assert.equal(await findPipelineFile(p.path("e")), p.path("e/pivot.yml"));
  assert.equal(
    pipelineFileProblem(p.path("e/pivot.yml")),
    "it is a symlink to gone.yaml, which does not exist",
  );
  await Deno.symlink("../d", p.path("e/pipeline.ts"));
  assert.equal(
    pipelineFileProblem(p.path("e/pipeline.ts")),
    "it is a symlink to ../d, which is a directory",
  );
  await Deno.remove(p.path("e/pivot.yml"));
  await Deno.symlink("real.yaml", p.path("e/pivot.yml"));
  assert.equal(pipelineFileProblem(p.path("e/pivot.yml")), null);
});

Deno.test("findPipelineFile() rejects a YAML pipeline beside pipeline.ts, naming both", async (t) => {
  for (const yaml of ["pivot.yaml", "pivot.yml"]) {
    await t.step(yaml, async () => {
      await using p = await makeProject({
        [`d/${yaml}`]: "stages: {}\n",
        "d/pipeline.ts": "export default {};\n",
      });
      await assert.rejects(findPipelineFile(p.path("d")), (error: unknown) => {
        assert.ok(error instanceof PivotError);
        assert.equal(
          error.message,
          `${p.path(`d/${yaml}`)} and ${p.path("d/pipeline.ts")} both define a pipeline`,
        );
        assert.equal(error.hint, "keep one pipeline file per directory");
        return true;
      });
    });
  }
});
