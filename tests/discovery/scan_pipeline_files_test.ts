import assert from "node:assert/strict";
import { scanPipelineFiles, SKIPPED_DIRECTORIES } from "../../src/discovery/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";

const STAGE = "stages:\n  s:\n    cmd: echo\n";

/** The scan result as project-relative paths. */
async function scan(p: TempProject): Promise<string[]> {
  const files = await scanPipelineFiles(p.root);
  return files.map((file) => {
    assert.ok(file.startsWith(`${p.root}/`), file);
    return file.slice(p.root.length + 1);
  });
}

Deno.test("scanPipelineFiles() sorts by directory with the project root first", async () => {
  await using p = await makeProject({
    "zeta/pivot.yaml": STAGE,
    "b/c/d/pivot.yaml": STAGE,
    "a-b/pivot.yaml": STAGE,
    "a/b/pivot.yml": STAGE,
    "a/pipeline.ts": "export default { stages: {} };\n",
    "b/pivot.yaml": STAGE,
    "pivot.yaml": STAGE,
  });
  assert.deepEqual(await scan(p), [
    "pivot.yaml",
    "a/pipeline.ts",
    "a/b/pivot.yml",
    "a-b/pivot.yaml",
    "b/pivot.yaml",
    "b/c/d/pivot.yaml",
    "zeta/pivot.yaml",
  ]);
});

Deno.test("scanPipelineFiles() returns nothing for a project without pipeline files", async () => {
  await using p = await makeProject({ "src/main.py": "", "README.md": "" });
  assert.deepEqual(await scanPipelineFiles(p.root), []);
});

Deno.test("scanPipelineFiles() skips the directories the spec lists", async (t) => {
  assert.deepEqual([...SKIPPED_DIRECTORIES].sort(), [
    ".git",
    ".mypy_cache",
    ".nox",
    ".pivot",
    ".ruff_cache",
    ".tox",
    ".venv",
    "__pycache__",
    "build",
    "dist",
    "node_modules",
    "venv",
  ]);
  for (const dir of SKIPPED_DIRECTORIES) {
    await t.step(dir, async () => {
      await using p = await makeProject({
        "ml/pivot.yaml": STAGE,
        [`${dir}/pivot.yaml`]: STAGE,
        [`${dir}/deeper/pivot.yaml`]: STAGE,
        [`ml/${dir}/pkg/pivot.yaml`]: STAGE,
      });
      assert.deepEqual(await scan(p), ["ml/pivot.yaml"]);
    });
  }
});

Deno.test("scanPipelineFiles() searches directories that only resemble skipped ones", async () => {
  await using p = await makeProject({
    "builds/pivot.yaml": STAGE,
    "my_venv/pivot.yaml": STAGE,
    "data/pivot.yaml": STAGE,
    ".hidden/pivot.yaml": STAGE,
  });
  assert.deepEqual(await scan(p), [
    ".hidden/pivot.yaml",
    "builds/pivot.yaml",
    "data/pivot.yaml",
    "my_venv/pivot.yaml",
  ]);
});

Deno.test("scanPipelineFiles() prefers pivot.yaml over pivot.yml", async () => {
  await using p = await makeProject({
    "ml/pivot.yml": STAGE,
    "ml/pivot.yaml": STAGE,
    "only_yml/pivot.yml": STAGE,
  });
  assert.deepEqual(await scan(p), ["ml/pivot.yaml", "only_yml/pivot.yml"]);
});

Deno.test("scanPipelineFiles() rejects a directory holding YAML and pipeline.ts, naming both", async (t) => {
  for (const yaml of ["pivot.yaml", "pivot.yml"]) {
    await t.step(yaml, async () => {
      await using p = await makeProject({
        "a/pivot.yaml": STAGE,
        [`ml/${yaml}`]: STAGE,
        "ml/pipeline.ts": "export default { stages: {} };\n",
      });
      await assert.rejects(scanPipelineFiles(p.root), (error: unknown) => {
        assert.ok(error instanceof PivotError);
        assert.equal(
          error.message,
          `${p.path(`ml/${yaml}`)} and ${p.path("ml/pipeline.ts")} both define a pipeline`,
        );
        assert.equal(error.hint, "keep one pipeline file per directory");
        return true;
      });
    });
  }
});

Deno.test("scanPipelineFiles() does not follow symlinked directories", async () => {
  await using p = await makeProject({ "ml/pivot.yaml": STAGE });
  await using elsewhere = await makeProject({ "other/pivot.yaml": STAGE }, { init: false });
  await Deno.symlink(elsewhere.path("other"), p.path("linked"));
  await Deno.symlink(p.path("ml"), p.path("ml_again"));
  assert.deepEqual(await scan(p), ["ml/pivot.yaml"]);
});

Deno.test("scanPipelineFiles() lists a directory or dangling symlink named like a pipeline file, for loading to report", async () => {
  await using p = await makeProject({ "ml/pivot.yaml/pivot.yml": STAGE });
  await Deno.mkdir(p.path("gone"));
  await Deno.symlink("missing.yaml", p.path("gone/pivot.yaml"));
  assert.deepEqual(await scan(p), ["gone/pivot.yaml", "ml/pivot.yaml", "ml/pivot.yaml/pivot.yml"]);
});
