import assert from "node:assert/strict";
import * as path from "node:path";
import { nestedProject } from "../_helpers/project.ts";
import { PivotError } from "../../src/util/errors.ts";
import { RealPathGuard } from "../../src/util/real_path_guard.ts";

/** A project at `<tmp>/proj` whose `data/ml` is a symlink to `<tmp>/outside`. */
async function projectWithLinkedDataDir() {
  const nested = await nestedProject({ "data/keep": "" }, { "outside/victim.txt": "theirs" });
  await Deno.symlink(nested.outer.path("outside"), path.join(nested.root, "data/ml"));
  return nested;
}

/** Asserts that `fn` throws a PivotError with exactly `message` and `hint`. */
function assertRefused(fn: () => unknown, message: string, hint?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof PivotError, String(error));
    assert.equal(error.message, message);
    if (hint !== undefined) assert.equal(error.hint, hint);
    return true;
  });
}

Deno.test("RealPathGuard.realPath() resolves symlinks on the way and appends what does not exist", async () => {
  const { outer, root } = await projectWithLinkedDataDir();
  await using _ = outer;
  const guard = new RealPathGuard(root);
  assert.equal(
    guard.realPath(path.join(root, "data/ml/train/model.json")),
    outer.path("outside/train/model.json"),
  );
  assert.equal(guard.realPath(path.join(root, "data/keep")), path.join(root, "data/keep"));
  assert.equal(guard.realPath(path.join(root, "new/dir/x")), path.join(root, "new/dir/x"));
  // A dangling link resolves to where it points; a relative one from its own directory.
  await Deno.symlink("../../gone/x.csv", path.join(root, "data/dangling.csv"));
  assert.equal(guard.realPath(path.join(root, "data/dangling.csv")), outer.path("gone/x.csv"));
});

Deno.test("RealPathGuard.assertParentInside() refuses a path whose directory is a symlink leading out", async () => {
  const { outer, root } = await projectWithLinkedDataDir();
  await using _ = outer;
  const guard = new RealPathGuard(root);
  assertRefused(
    () => guard.assertParentInside(path.join(root, "data/ml/train/model.json"), "cannot restore"),
    `cannot restore data/ml/train/model.json: data/ml is a symlink to ${
      outer.path("outside")
    }, outside the project`,
    "pivot writes and deletes only inside the project; replace the symlink data/ml with a real directory or file, or point it inside",
  );
  // The link itself may be replaced or removed: that does not write through it.
  guard.assertParentInside(path.join(root, "data/ml"), "cannot remove");
  guard.assertParentInside(path.join(root, "data/keep"), "cannot write");
  assertRefused(
    () => guard.assertParentInside(outer.path("elsewhere.txt"), "cannot write"),
    "cannot write ../elsewhere.txt: it is outside the project",
  );
});

Deno.test("RealPathGuard.assertInside() follows the target itself, and accepts a link into alsoInside", async () => {
  const { outer, root } = await nestedProject({ "data/keep": "" }, { "cache/blob": "x" });
  await using _ = outer;
  const link = path.join(root, "data/out.txt");
  await Deno.symlink(outer.path("cache/blob"), link);
  const guard = new RealPathGuard(root);
  assertRefused(
    () => guard.assertInside(link, "cannot record output"),
    `cannot record output data/out.txt: data/out.txt is a symlink to ${
      outer.path("cache/blob")
    }, outside the project`,
  );
  guard.assertInside(link, "cannot record output", outer.path("cache"));
  // A link that stays inside the project is fine.
  const inner = path.join(root, "data/inner.txt");
  await Deno.symlink("keep", inner);
  guard.assertInside(inner, "cannot record output");
});

Deno.test("RealPathGuard.assertInside() with notLink looks only at the target's directory, and still refuses one that leads out", async () => {
  const { outer, root } = await projectWithLinkedDataDir();
  await using _ = outer;
  await Deno.mkdir(path.join(root, "data/plain"));
  const plain = path.join(root, "data/plain/out.txt");
  await Deno.writeTextFile(plain, "x");
  const guard = new RealPathGuard(root);
  guard.assertInside(path.join(root, "data/plain/other.txt"), "cannot record output");
  const lstatSync = Deno.lstatSync;
  const looked: string[] = [];
  Deno.lstatSync = (file) => {
    looked.push(String(file));
    return lstatSync(file);
  };
  try {
    // Its directory known from the first call: no look at all.
    guard.assertInside(plain, "cannot record output", undefined, true);
    assert.equal(looked.length, 0, looked.join(", "));
    assertRefused(
      () =>
        guard.assertInside(
          path.join(root, "data/ml/train/model.json"),
          "cannot record output",
          undefined,
          true,
        ),
      `cannot record output data/ml/train/model.json: data/ml is a symlink to ${
        outer.path("outside")
      }, outside the project`,
      "pivot writes and deletes only inside the project; replace the symlink data/ml with a real directory or file, or point it inside",
    );
    assert.ok(!looked.includes(path.join(root, "data/ml/train/model.json")), looked.join(", "));
  } finally {
    Deno.lstatSync = lstatSync;
  }
});

Deno.test("RealPathGuard.realPath() reports a loop of symlinks", async () => {
  const { outer, root } = await nestedProject({});
  await using _ = outer;
  await Deno.symlink("b", path.join(root, "a"));
  await Deno.symlink("a", path.join(root, "b"));
  assertRefused(
    () => new RealPathGuard(root).realPath(path.join(root, "a")),
    "cannot resolve a: too many levels of symlinks",
  );
});

Deno.test("RealPathGuard names a custom root and shows paths its own way", async () => {
  const { outer, root } = await projectWithLinkedDataDir();
  await using _ = outer;
  const guard = new RealPathGuard(root, {
    name: "the cache",
    display: (target) => `<${path.basename(target)}>`,
  });
  assertRefused(
    () => guard.assertParentInside(path.join(root, "data/ml/x"), "cannot delete"),
    `cannot delete <x>: <ml> is a symlink to ${outer.path("outside")}, outside the cache`,
  );
});

Deno.test("RealPathGuard with listDirectories still follows the symlinks among many entries of a directory", async () => {
  const { outer, root } = await projectWithLinkedDataDir();
  await using _ = outer;
  const dir = path.join(root, "many");
  await Deno.mkdir(path.join(dir, "sub"), { recursive: true });
  for (let i = 0; i < 20; i++) await Deno.writeTextFile(path.join(dir, `${i}.txt`), "x");
  await Deno.symlink(outer.path("outside/victim.txt"), path.join(dir, "out.txt"));
  await Deno.symlink(outer.path("outside"), path.join(dir, "outdir"));
  await Deno.symlink("../data/ml", path.join(dir, "relative"));
  const guard = new RealPathGuard(root, { listDirectories: true });
  // Enough lookups for the directory to be listed, before and after the links.
  for (let i = 0; i < 20; i++) {
    assert.equal(guard.realPath(path.join(dir, `${i}.txt`)), path.join(dir, `${i}.txt`));
  }
  assert.equal(guard.realPath(path.join(dir, "out.txt")), outer.path("outside/victim.txt"));
  assert.equal(guard.realPath(path.join(dir, "outdir/a.csv")), outer.path("outside/a.csv"));
  assert.equal(guard.realPath(path.join(dir, "relative/b.csv")), outer.path("outside/b.csv"));
  assert.equal(guard.realPath(path.join(dir, "sub/c.csv")), path.join(dir, "sub/c.csv"));
  assert.equal(guard.realPath(path.join(dir, "absent.txt")), path.join(dir, "absent.txt"));
});
