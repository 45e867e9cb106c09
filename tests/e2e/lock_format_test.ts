/**
 * Lock files are written as JSON; locks that earlier versions wrote as YAML
 * are still read, and rewritten as JSON when their stage is next recorded.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { metadataYaml } from "../../src/storage/_yaml_out.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject } from "../_helpers/project.ts";
import { lockRel, timeless } from "./_fixtures/engine.ts";

const FILES = {
  "pivot.yaml": "pipeline: ml\nstages:\n  prep:\n    cmd: cp ${deps.raw} ${outs}\n" +
    "    deps: {raw: raw.csv}\n    outs: csv\n    params: {lr: 0.1}\n",
  "raw.csv": "a,b\n1,2\n",
};

Deno.test("pivot repro reads a lock written as YAML by an earlier version and rewrites it as JSON when the stage runs", async () => {
  await using p = await makeProject(FILES);
  const fresh = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(fresh.code, 0, fresh.stderr);
  const lock = lockRel("ml", "prep");
  const json = await p.read(lock);
  assert.match(json, /^\{\n {2}"schema": 1,\n {2}"stage": "prep",\n/);
  // A YAML reader (an older pivot) reads the JSON lock as the same data.
  assert.deepEqual(parse(json), JSON.parse(json));

  const yamlText = metadataYaml(JSON.parse(json), ["manifest"]);
  assert.match(yamlText, /^schema: 1\nstage: prep\n/);
  await p.write(lock, yamlText);
  const noop = await runPivotInProcess(p.root, ["repro"]);
  assert.deepEqual([noop.code, noop.stderr], [0, ""]);
  assert.equal(timeless(noop.stdout), "up to date prep\n0 ran, 1 up to date (T)\n");
  assert.equal(await p.read(lock), yamlText, "a no-op leaves the lock as it is");

  await p.write("raw.csv", "a,b\n3,4\n");
  const ran = await runPivotInProcess(p.root, ["repro"]);
  assert.deepEqual([ran.code, ran.stderr], [0, ""]);
  assert.equal(timeless(ran.stdout), "ran prep: inputs changed (T)\n1 ran, 0 up to date (T)\n");
  const rewritten = await p.read(lock);
  assert.match(rewritten, /^\{\n/);
  assert.deepEqual(JSON.parse(rewritten).params, { lr: 0.1 });
});
