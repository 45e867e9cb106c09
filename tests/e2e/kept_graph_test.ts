/**
 * The pipeline graph kept with a no-op stamp (`src/project/pipeline_graph.ts`):
 * a run after a change to a few data paths takes its stages from there when
 * the files the project was loaded from are unchanged, and prints, records
 * and fails exactly as a run that loads the pipeline files; a change to
 * pivot.yaml, or an input now reached through a symlink leading out of the
 * project, sends the run to the pipeline files.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type CliResult, makeProject, type TempProject } from "../_helpers/project.ts";
import { timeless } from "./_fixtures/engine.ts";
import { graphRows, projectWithKeptGraph, repro } from "./_kept_graph.ts";

/** `a` reads in/a.txt, `b` reads in/b.txt, `ab` both outputs. */
const PIPELINE = `pipeline: p
stages:
  a:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: in/a.txt}
    outs: txt
  b:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: in/b.txt}
    outs: txt
  ab:
    cmd: cat \${deps.x} \${deps.y} > \${outs}
    deps: {x: a, y: b}
    outs: txt
  c:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: c.txt}
    outs: txt
`;

const FILES: Record<string, string> = {
  "pivot.yaml": PIPELINE,
  "in/a.txt": "a\n",
  "in/b.txt": "b\n",
  "c.txt": "c\n",
};

/** The stdout of `result` without durations, the stage lines sorted. */
function shown(result: CliResult): string[] {
  const all = timeless(result.stdout).trimEnd().split("\n");
  return [...all.slice(0, -1).sort(), all.at(-1)!];
}

/** Rewrites every kept graph with `edit` applied to its text. */
function editGraphs(p: TempProject, edit: (json: string) => string): void {
  const db = new DatabaseSync(p.path(".pivot/state.db"));
  try {
    for (const { key, json } of graphRows(p)) {
      const edited = edit(json);
      assert.notEqual(edited, json, "the kept graph holds what the test edits");
      db.prepare("UPDATE parse_cache SET json = ? WHERE key = ?").run(edited, key);
    }
  } finally {
    db.close();
  }
}

Deno.test("after a change, a run takes its stages from the kept graph and prints what a run loading pivot.yaml prints", async () => {
  await using p = await projectWithKeptGraph(FILES, "in/a.txt");
  // The same change twice: once with the graph dropped (the pipeline file is loaded), once
  // with the graph kept; both print the same events and leave the same outputs.
  const events: string[][] = [];
  for (const keep of [false, true]) {
    if (!keep) editGraphs(p, (json) => `x${json}`);
    await p.write("in/a.txt", `a ${keep}\n`);
    const result = await repro(p, ["--json"]);
    assert.deepEqual([result.code, result.stderr], [0, ""]);
    events.push(timeless(result.stdout).replace(/"duration_ms":\d+/g, "").split("\n"));
    assert.equal(await p.read("data/p/ab.txt"), `a ${keep}\nb\n`);
    const noop = await repro(p, ["-q"]);
    assert.deepEqual([noop.code, noop.stdout, noop.stderr], [0, "", ""]);
  }
  assert.deepEqual(events[1], events[0]);
  assert.equal(
    events[0]!.filter((line) => line.includes('"stage_complete"')).length,
    4,
    "every stage is reported",
  );
  // What the run took its stages from: the kept graph, with a's command edited in it.
  editGraphs(p, (json) => json.replace("cat ${deps.in} > ${outs}", "echo kept > ${outs}"));
  await p.write("in/a.txt", "a2\n");
  const fromGraph = await repro(p);
  assert.deepEqual([fromGraph.code, fromGraph.stderr], [0, ""]);
  assert.equal(await p.read("data/p/a.txt"), "kept\n");
});

Deno.test("after a change to pivot.yaml and a data input, the stages are loaded from pivot.yaml, not the kept graph", async () => {
  await using p = await projectWithKeptGraph(FILES, "in/a.txt");
  // Were the kept graph used, a would print 'kept'.
  editGraphs(p, (json) => json.replace("cat ${deps.in} > ${outs}", "echo kept > ${outs}"));
  await p.write("in/a.txt", "a2\n");
  await p.write(
    "pivot.yaml",
    PIPELINE.replace(
      "cat ${deps.in} > ${outs}\n    deps: {in: c.txt}",
      "cat ${deps.in} ${deps.in} > ${outs}\n    deps: {in: c.txt}",
    ),
  );
  const result = await repro(p);
  assert.deepEqual([result.code, result.stderr], [0, ""]);
  assert.deepEqual(shown(result), [
    "ran a: inputs changed (T)",
    "ran ab: inputs changed (T)",
    "ran c: code changed (T)",
    "up to date b",
    "3 ran, 1 up to date (T)",
  ]);
  assert.equal(await p.read("data/p/a.txt"), "a2\n");
  assert.equal(await p.read("data/p/c.txt"), "c\nc\n");
});

Deno.test("after a change, an input moved out of the project behind a symlink fails the run as the build of pivot.yaml does", async () => {
  await using p = await projectWithKeptGraph(FILES, "in/a.txt");
  const outside = await Deno.makeTempDir({ prefix: "pivot_outside_" });
  try {
    // The files keep their identity (inode, times): only the directory becomes a symlink.
    await Deno.rename(p.path("in"), path.join(outside, "in"));
    await Deno.symlink(path.join(outside, "in"), p.path("in"));
    await p.write("c.txt", "c2\n");
    const result = await repro(p);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /stage 'a' depends on 'in\/a\.txt', which is outside the project: through a symlink/,
    );
    assert.equal(await p.read("data/p/c.txt"), "c\n", "nothing ran");
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("after a change, an untouched stage's output replaced by a symlink is assessed as a run loading pivot.yaml assesses it", async () => {
  await using p = await projectWithKeptGraph(FILES, "in/a.txt");
  const outside = await Deno.makeTempDir({ prefix: "pivot_outside_" });
  try {
    await Deno.writeTextFile(path.join(outside, "b.txt"), "b\n");
    await Deno.remove(p.path("data/p/b.txt"));
    await Deno.symlink(path.join(outside, "b.txt"), p.path("data/p/b.txt"));
    await p.write("c.txt", "c2\n");
    const result = await repro(p);
    assert.deepEqual([result.code, timeless(result.stderr)], [0, ""]);
    assert.deepEqual(shown(result), [
      "ran c: inputs changed (T)",
      "up to date a",
      "up to date ab",
      "up to date b",
      "1 ran, 3 up to date (T)",
    ]);
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("repro --all after a change takes the stages of every pipeline from the kept graph", async () => {
  await using p = await makeProject({
    "one/pivot.yaml":
      "stages:\n  s:\n    cmd: cat ${deps.in} > ${outs}\n    deps: {in: in.txt}\n    outs: txt\n",
    "one/in.txt": "1\n",
    "two/pivot.yaml":
      "stages:\n  s:\n    cmd: cat ${deps.in} ${deps.up} > ${outs}\n    deps: {in: in.txt, up: one/s}\n    outs: txt\n",
    "two/in.txt": "2\n",
  });
  // Until a run leaves a stamp (one writing outputs in the directories the search for pipeline
  // files lists leaves none: they changed while it ran).
  for (let run = 0; run === 0 || (run < 3 && graphRows(p).length === 0); run++) {
    assert.equal((await repro(p, ["--all"])).code, 0);
  }
  assert.equal(graphRows(p).length, 1);
  // What the run takes its stages from: the kept graph, with one's command edited in it.
  editGraphs(p, (json) => json.replace("cat ${deps.in} > ${outs}", "echo kept > ${outs}"));
  await p.write("one/in.txt", "1a\n");
  const result = await repro(p, ["--all"]);
  assert.deepEqual([result.code, result.stderr], [0, ""]);
  assert.deepEqual(shown(result), [
    "ran s: code changed (T)",
    "ran two/s: inputs changed (T)",
    "2 ran, 0 up to date (T)",
  ]);
  assert.equal(await Deno.readTextFile(p.path("two/data/two/s.txt")), "2\nkept\n");
});

Deno.test("after a change, an input gone since the stamp is warned about as a run loading pivot.yaml warns", async () => {
  await using p = await projectWithKeptGraph(FILES, "in/a.txt");
  await Deno.remove(p.path("in/b.txt"));
  await p.write("in/a.txt", "a2\n");
  const result = await repro(p, ["--keep-going"]);
  assert.deepEqual([result.code, timeless(result.stderr)], [
    1,
    "warning: inputs that no stage produces and that are not present or tracked: in/b.txt (needed by b)\n" +
    "FAILED b: missing input: in/b.txt\n",
  ]);
  assert.deepEqual(shown(result), [
    "blocked ab: upstream 'b' failed",
    "ran a: inputs changed (T)",
    "up to date c",
    "1 ran, 1 up to date, 1 failed, 1 blocked (T)",
  ]);
});
