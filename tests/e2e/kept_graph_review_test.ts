/**
 * What the build of the pipeline files checks against the workspace, and a
 * run taking its stages from the graph kept with the no-op stamp
 * (`src/project/pipeline_graph.ts`) must check the same: each case is run
 * after a change, with the graph kept, and must fail or warn exactly as the
 * build of pivot.yaml does.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runFastNoopInProcess, runPivotInProcess } from "../_helpers/in_process.ts";
import { projectWithKeptGraph, repro } from "./_kept_graph.ts";
import { makeProject } from "../_helpers/project.ts";

const TARGETED = `pipeline: p
stages:
  a:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: a.txt}
    outs: txt
  c:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: c.txt}
    outs: txt
`;

Deno.test("after a change, repro of a target warns of an input of another stage gone since, as a run loading pivot.yaml does", async () => {
  await using p = await projectWithKeptGraph(
    { "pivot.yaml": TARGETED, "a.txt": "a\n", "c.txt": "c\n" },
    "a.txt",
    ["a"],
  );
  await Deno.remove(p.path("c.txt"));
  await p.write("a.txt", "a2\n");
  const result = await repro(p, ["a"]);
  assert.equal(result.code, 0);
  assert.equal(
    result.stderr,
    "warning: inputs that no stage produces and that are not present or tracked: c.txt (needed by c)\n",
  );
});

const NEAR_MISS = `pipeline: p
stages:
  train:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: a.txt}
    outs: txt
  use:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: trian}
    outs: txt
`;

Deno.test("after a change, a dependency named like a stage whose file is gone fails as the build of pivot.yaml does", async () => {
  await using p = await projectWithKeptGraph(
    { "pivot.yaml": NEAR_MISS, "a.txt": "a\n", "trian": "t\n" },
    "a.txt",
  );
  await Deno.remove(p.path("trian"));
  await p.write("a.txt", "a2\n");
  const result = await repro(p);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /stage 'use' depends on 'trian', which is neither a stage nor an existing file \(did you mean 'train'\?\)/,
  );
  assert.equal(await p.read("data/p/train.txt"), "changed\n", "nothing ran");
});

const DECLARED = `pipeline: p
stages:
  a:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: a.txt}
    outs: {format: txt, path: results/a.txt}
  b:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: b.txt}
    outs: txt
`;

Deno.test("after a change, an output declared at a path tracked since fails as the build of pivot.yaml does", async () => {
  await using p = await projectWithKeptGraph(
    { "pivot.yaml": DECLARED, "a.txt": "a\n", "b.txt": "b\n" },
    "b.txt",
  );
  const before = await p.read("results/a.txt");
  await p.write("results/a.txt.pvt", "path: a.txt\nhash: '0123456789abcdef'\nsize: 2\n");
  await p.write("a.txt", "a2\n");
  const result = await repro(p);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /output a → results\/a\.txt: results\/a\.txt is a tracked file/);
  assert.equal(await p.read("results/a.txt"), before, "the tracked file is not overwritten");
});

Deno.test("after a change, an output declared inside a directory tracked since fails as the build of pivot.yaml does", async () => {
  await using p = await projectWithKeptGraph(
    { "pivot.yaml": DECLARED, "a.txt": "a\n", "b.txt": "b\n" },
    "b.txt",
  );
  const before = await p.read("results/a.txt");
  await p.write("results.pvt", "path: results\nhash: '0123456789abcdef'\nsize: 2\n");
  await p.write("a.txt", "a2\n");
  const result = await repro(p);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /is inside the tracked directory results\/ \(results\.pvt\)/);
  assert.equal(await p.read("results/a.txt"), before, "the tracked file is not overwritten");
});

Deno.test("with nothing else changed, an output declared at a path tracked since fails repro and status as the build of pivot.yaml does", async () => {
  await using p = await makeProject({ "pivot.yaml": DECLARED, "a.txt": "a\n", "b.txt": "b\n" });
  assert.equal((await repro(p)).code, 0);
  assert.equal((await repro(p)).code, 0);
  // The stamp holds, answering the no-op, until the tracking file appears.
  const noop = await runFastNoopInProcess(p.root, ["repro", "-q"]);
  assert.deepEqual([noop.code, noop.stdout, noop.stderr], [0, "", ""]);
  await p.write("results/a.txt.pvt", "path: a.txt\nhash: '0123456789abcdef'\nsize: 2\n");
  for (const command of ["repro", "status"]) {
    const result = await runPivotInProcess(p.root, [command]);
    assert.equal(result.code, 1, command);
    assert.match(result.stderr, /output a → results\/a\.txt: results\/a\.txt is a tracked file/);
  }
});
