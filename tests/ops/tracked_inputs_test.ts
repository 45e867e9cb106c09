/**
 * `trackedInputsOf`: which `.pvt` files track what the stages read, and who reads them.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { trackedInputsOf } from "../../src/ops/tracked_inputs.ts";
import type { DepEntry } from "../../src/pipeline/types.ts";
import type { Project } from "../../src/project/open_project.ts";

/** A project at `root` whose stages read `deps` (only what `trackedInputsOf` looks at). */
function projectOf(root: string, deps: Record<string, DepEntry[]>): Project {
  const stages = new Map(
    Object.entries(deps).map(([name, entries]) => [name, { def: { deps: entries } }]),
  );
  return { root, dag: { stages } } as unknown as Project;
}

/** A dependency `name` on the files `rels` of `root` (a list when several). */
function files(root: string, name: string, ...rels: string[]): DepEntry {
  return {
    name,
    list: rels.length > 1,
    refs: rels.map((rel) => ({ kind: "file", text: rel, path: path.join(root, rel) })),
  };
}

Deno.test("trackedInputsOf() finds own and directory .pvt files, each reader once, in stage order", async () => {
  const root = await Deno.makeTempDir({ prefix: "pivot_tracked_inputs_" });
  try {
    await Deno.mkdir(path.join(root, "data", "images", "sub"), { recursive: true });
    await Deno.mkdir(path.join(root, "data", "odd.csv.pvt"));
    for (const file of ["raw.csv", "raw.csv.pvt", "images.pvt", "images/sub/a.png", "plain.txt"]) {
      await Deno.writeTextFile(path.join(root, "data", file), "x\n");
    }
    await Deno.symlink(path.join(root, "gone"), path.join(root, "data", "plain.txt.pvt"));
    const identity: DepEntry = {
      name: "up",
      list: false,
      refs: [{ kind: "identity", text: "s1", pipeline: "p", stage: "s1", key: null }],
    };
    const project = projectOf(root, {
      s1: [files(root, "raw", "data/raw.csv"), files(root, "pics", "data/images/sub/a.png")],
      // Two dependencies on one tracked file: the stage is listed once.
      s2: [identity, files(root, "a", "data/raw.csv"), files(root, "b", "data/raw.csv")],
      // A directory named like a .pvt file, a dangling symlink and a file without one track nothing.
      s3: [files(root, "odd", "data/odd.csv", "data/plain.txt", "data/none.txt")],
      s4: [files(root, "pics", "data/images/sub/a.png", "data/images/b.png")],
    });
    const found = trackedInputsOf(project, ["s1", "s2", "s3", "s4", "unknown"]);
    assert.deepEqual([...found], [
      [path.join(root, "data", "raw.csv.pvt"), ["s1", "s2"]],
      [path.join(root, "data", "images.pvt"), ["s1", "s4"]],
    ]);
    assert.deepEqual([...trackedInputsOf(project, ["s4", "s1"])], [
      [path.join(root, "data", "images.pvt"), ["s4", "s1"]],
      [path.join(root, "data", "raw.csv.pvt"), ["s1"]],
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
