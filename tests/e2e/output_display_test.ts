/**
 * Every message that names a stage output shows it as `identity → path`
 * (SPEC §4 "Display").
 */
import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject } from "../_helpers/project.ts";

const PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prep:",
  "    cmd: echo rows > ${outs}",
  "    outs: csv",
  "  train:",
  "    cmd: cat ${deps.data} > ${outs.model} && echo 1 > ${outs.scores}",
  "    deps: {data: prep}",
  "    outs:",
  "      model: txt",
  "      scores: {format: json, kind: metric}",
  "  lazy:",
  "    cmd: echo forgot",
  "    outs: {report: {format: dir}}",
  "",
].join("\n");

Deno.test("messages name outputs as identity → path", async (t) => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE });

  await t.step("an output a --no-commit run did not produce", async () => {
    const result = await runPivotInProcess(p.root, ["repro", "--no-commit", "lazy"]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^FAILED lazy: stage did not produce output lazy:report → data\/ml\/lazy\/report\/ \(\d+\.\ds\)\n$/,
    );
  });

  await t.step("an output commit finds missing", async () => {
    const result = await runPivotInProcess(p.root, ["commit", "lazy"]);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      "error: 1 stage could not be committed:\n" +
        "  lazy: missing output lazy:report → data/ml/lazy/report/\n" +
        "hint: produce the missing files (or run 'pivot repro'), then commit again\n",
    );
  });

  await t.step("an input that is a missing stage output", async () => {
    const result = await runPivotInProcess(p.root, ["status", "train"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      "stale prep: no previous run\nstale train: upstream 'prep' is stale\n2 stale, 0 up to date\n",
    );
    const run = await runPivotInProcess(p.root, ["run", "train"]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "FAILED train: missing input: prep → data/ml/prep.csv\n");
  });

  await t.step("outputs to restore, and an output not cached", async () => {
    assert.equal((await runPivotInProcess(p.root, ["repro", "train"])).code, 0);
    await Deno.remove(p.path("data/ml/train/model.txt"));
    const status = await runPivotInProcess(p.root, ["status", "--json", "train"]);
    assert.deepEqual(JSON.parse(status.stdout).stages[1], {
      stage: "train",
      stale: false,
      reason: "outputs to restore from the cache",
      details: ["train:model → data/ml/train/model.txt"],
      failing: false,
      outputs: [{
        identity: "train:model",
        path: "data/ml/train/model.txt",
        status: "missing",
        fix: "pivot checkout train:model",
      }],
    });
    // An output that is not cached is confirmed when it is as recorded, never restored.
    assert.deepEqual(await runPivotInProcess(p.root, ["checkout", "train:scores"]), {
      code: 0,
      stdout: "1 up to date\n",
      stderr: "",
    });
    await p.write("data/ml/train/scores.json", '{"edited": true}\n');
    const checkout = await runPivotInProcess(p.root, ["checkout", "train:scores"]);
    assert.equal(checkout.code, 1);
    assert.equal(
      checkout.stderr,
      "error: not cached (cache: false), so not restorable: train:scores → data/ml/train/scores.json\n" +
        "hint: re-run the stage to produce it\n",
    );
  });
});
