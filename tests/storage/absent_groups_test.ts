import assert from "node:assert/strict";
import * as path from "node:path";
import { AbsentGroupsBuilder, pushPresentPaths } from "../../src/storage/absent_groups.ts";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { openPreciseStat } from "../../src/util/precise_stat.ts";

/** Waits out the racy window of file systems keeping times to the nanosecond. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
}

function present(groups: ReturnType<AbsentGroupsBuilder["build"]>): string[] {
  using stats = openPreciseStat();
  const changed: string[] = [];
  pushPresentPaths(groups, stats, changed);
  return changed;
}

Deno.test({
  name: "a settled directory stands for its absent names; a name created later is found",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(path.join(dir, "raw.csv"), "a\n");
      await settle();
      using stats = openPreciseStat();
      const builder = new AbsentGroupsBuilder();
      builder.add(path.join(dir, "raw.csv.pvt"), Date.now());
      builder.add(path.join(dir, "other.pvt"), Date.now());
      const groups = builder.build(stats);
      assert.equal(groups.length, 1);
      assert.equal(groups[0]!.dir, dir);
      assert.match(groups[0]!.signature ?? "", /^d:/);
      assert.deepEqual([...groups[0]!.names].sort(), ["other.pvt", "raw.csv.pvt"]);
      assert.deepEqual(present(groups), []);
      // Another entry changes the directory: each name is looked at, and none is there.
      await Deno.writeTextFile(path.join(dir, "unrelated.txt"), "x\n");
      assert.deepEqual(present(groups), []);
      await Deno.writeTextFile(path.join(dir, "raw.csv.pvt"), "tracked\n");
      assert.deepEqual(present(groups), [path.join(dir, "raw.csv.pvt")]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a directory changed within the racy window holds no signature: each name is looked at",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(path.join(dir, "raw.csv"), "a\n");
      using stats = openPreciseStat();
      const builder = new AbsentGroupsBuilder();
      // Read as the directory changed: inside the window however long this process waits for a core.
      builder.add(path.join(dir, "raw.csv.pvt"), Deno.statSync(dir).mtime!.getTime());
      const groups = builder.build(stats);
      assert.deepEqual(groups, [{ dir, signature: null, names: ["raw.csv.pvt"] }]);
      assert.deepEqual(present(groups), []);
      await Deno.writeTextFile(path.join(dir, "raw.csv.pvt"), "tracked\n");
      assert.deepEqual(present(groups), [path.join(dir, "raw.csv.pvt")]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("carried groups keep their signature, lose names recorded anew, and merge with equal ones", () => {
  using stats = openPreciseStat();
  const carried = [{ dir: "/p/in", signature: "d:1", names: ["a.pvt", "b.pvt"] }];
  const builder = new AbsentGroupsBuilder(carried);
  assert.ok(builder.carries("/p/in/a.pvt"));
  assert.ok(!builder.carries("/p/in/c.pvt"));
  builder.forget("/p/in/a.pvt");
  assert.ok(!builder.carries("/p/in/a.pvt"));
  // The directory does not exist: found names get no signature, apart from the carried group.
  builder.add("/p/in/a.pvt", Date.now());
  assert.deepEqual(builder.build(stats), [
    { dir: "/p/in", signature: "d:1", names: ["b.pvt"] },
    { dir: "/p/in", signature: null, names: ["a.pvt"] },
  ]);
  assert.deepEqual(carried[0]!.names, ["a.pvt", "b.pvt"], "the carried stamp is left as it was");
});

Deno.test("paths are split and joined by the platform's path rules (node:path)", () => {
  using stats = openPreciseStat();
  const root = path.resolve(path.sep, "p");
  const nested = path.join(root, "in", "deep", "raw.csv.pvt");
  const top = path.join(path.parse(root).root, "top.pvt");
  const builder = new AbsentGroupsBuilder([
    { dir: path.dirname(nested), signature: "d:1", names: [path.basename(nested)] },
  ]);
  assert.ok(builder.carries(nested));
  assert.ok(!builder.carries(path.join(root, "in", "raw.csv.pvt")));
  builder.forget(nested);
  assert.ok(!builder.carries(nested));
  builder.add(nested, Date.now());
  builder.add(top, Date.now());
  const groups = builder.build(stats);
  // (The root directory exists: its group may hold its signature.)
  assert.deepEqual(groups.map(({ dir, names }) => ({ dir, names })), [
    { dir: path.dirname(nested), names: ["raw.csv.pvt"] },
    { dir: path.parse(root).root, names: ["top.pvt"] },
  ]);
  assert.equal(groups[0]!.signature, null);
  // Each name is looked at under the path it was added as: none exists.
  assert.deepEqual(present(groups), []);
});

Deno.test({
  name: "an absent name is looked at under the path node:path joins: a created one is found",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      using stats = openPreciseStat();
      const file = path.join(dir, "sub", "raw.csv.pvt");
      const builder = new AbsentGroupsBuilder();
      builder.add(file, Date.now());
      const groups = builder.build(stats);
      assert.deepEqual(groups, [{
        dir: path.join(dir, "sub"),
        signature: null,
        names: ["raw.csv.pvt"],
      }]);
      await Deno.mkdir(path.join(dir, "sub"));
      await Deno.writeTextFile(file, "tracked\n");
      assert.deepEqual(present(groups), [file]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
