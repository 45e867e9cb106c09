import assert from "node:assert/strict";
import * as path from "node:path";
import { findProjectRoot } from "../../src/discovery/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject } from "../_helpers/project.ts";

Deno.test("findProjectRoot() returns the directory itself when it holds .pivot", async () => {
  await using p = await makeProject();
  assert.equal(findProjectRoot(p.root), p.root);
});

Deno.test("findProjectRoot() walks up from a subdirectory", async () => {
  await using p = await makeProject({ "ml/stages/keep.txt": "" });
  assert.equal(findProjectRoot(p.path("ml/stages")), p.root);
});

Deno.test("findProjectRoot() returns the top-most ancestor holding .pivot", async () => {
  // eval/.pivot is a pipeline's own state dir; it must not make eval/ a project of its own.
  await using p = await makeProject({ "eval/.pivot/stages/eval/train.lock": "", "eval/x/a": "" });
  assert.equal(findProjectRoot(p.path("eval")), p.root);
  assert.equal(findProjectRoot(p.path("eval/x")), p.root);
  assert.equal(findProjectRoot(p.path("eval/.pivot/stages")), p.root);
});

Deno.test("findProjectRoot() ignores a .pivot that is a file", async () => {
  await using p = await makeProject({ "sub/.pivot": "not a directory" });
  assert.equal(findProjectRoot(p.path("sub")), p.root);
});

Deno.test("findProjectRoot() answers with the real path when reached through a symlink", async () => {
  await using p = await makeProject({ "ml/keep.txt": "" });
  await using outside = await makeProject({}, { init: false });
  await Deno.symlink(p.path("ml"), outside.path("link"));
  assert.equal(findProjectRoot(outside.path("link")), p.root);
});

Deno.test("findProjectRoot() fails outside a project, naming the directory", async () => {
  await using p = await makeProject({ "a/b/keep.txt": "" }, { init: false });
  assert.throws(() => findProjectRoot(p.path("a/b")), (error: unknown) => {
    assert.ok(error instanceof PivotError);
    assert.equal(
      error.message,
      `not a pivot project (no .pivot directory above ${
        path.join(p.root, "a", "b")
      }); run 'pivot init'`,
    );
    assert.equal(error.hint, "pivot commands work anywhere below the directory that holds .pivot/");
    return true;
  });
});

Deno.test("findProjectRoot() fails for a directory that does not exist", async () => {
  await using p = await makeProject();
  assert.throws(() => findProjectRoot(p.path("missing")), Deno.errors.NotFound);
});
