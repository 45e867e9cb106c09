import assert from "node:assert/strict";
import { loadWatchIgnore, WatchIgnore } from "../../src/engine/mod.ts";
import { makeProject } from "../_helpers/project.ts";

Deno.test("WatchIgnore ignores state, version control, editor droppings and pivot's temp files", async (t) => {
  const rules = new WatchIgnore("/p");
  const cases: [string, boolean][] = [
    ["/p/.git/index", true],
    ["/p/.pivot/state.db", true],
    ["/p/sub/.pivot/stages/ml/a.lock", true],
    ["/p/src/__pycache__/m.cpython-312.pyc", true],
    ["/p/data/.raw.csv.swp", true],
    ["/p/data/.raw.csv.swx", true],
    ["/p/data/4913", true],
    ["/p/data/raw.csv~", true],
    ["/p/data/.#raw.csv", true],
    ["/p/data/#raw.csv#", true],
    ["/p/data/ml/.model.json.0f3c.tmp", true],
    ["/p/data/ml/.pivot_restore_images_x1y2", true],
    ["/p/data/raw.csv", false],
    ["/p/.pivotignore", false],
    ["/p/pivot.yaml", false],
    ["/elsewhere/.git/x", false],
    ["/p", false],
  ];
  for (const [file, ignored] of cases) {
    await t.step(file, () => assert.equal(rules.ignores(file), ignored));
  }
});

Deno.test("loadWatchIgnore() adds the gitignore rules of .pivotignore", async () => {
  await using p = await makeProject({
    ".pivotignore": "# comment\n*.log\n/scratch/\n!keep.log\nbuild/**/tmp\n",
  });
  const rules = loadWatchIgnore(p.root);
  assert.equal(rules.ignores(p.path("debug.log")), true);
  assert.equal(rules.ignores(p.path("a/b/debug.log")), true);
  assert.equal(rules.ignores(p.path("keep.log")), false);
  assert.equal(rules.ignores(p.path("scratch/x.csv")), true);
  assert.equal(rules.ignores(p.path("a/scratch/x.csv")), false);
  assert.equal(rules.ignores(p.path("build/a/b/tmp")), true);
  assert.equal(rules.ignores(p.path("data/raw.csv")), false);
});

Deno.test("loadWatchIgnore() without a .pivotignore has the built-in rules only", async () => {
  await using p = await makeProject({});
  const rules = loadWatchIgnore(p.root);
  assert.equal(rules.ignores(p.path("debug.log")), false);
  assert.equal(rules.ignores(p.path("x.swp")), true);
});
