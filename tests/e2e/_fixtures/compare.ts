/**
 * A project with a git history for the metrics/params/plots commands: stage
 * `train` writes a metric (json), a plot (csv) and an svg image from its
 * params; stage `report` has params of its own.
 *
 * | commit | params |
 * |---|---|
 * | HEAD~2 | acc 0.5, loss 0.5, depth 3 |
 * | HEAD~1 | acc 0.75 |
 * | HEAD   | loss 0.25, depth 4 |
 * | workspace (not committed) | acc 0.8 |
 *
 * @module
 */
import assert from "node:assert/strict";
import { commitAll, git } from "../../_helpers/git.ts";
import { runPivotInProcess } from "../../_helpers/in_process.ts";
import { copiedFixture, makeProject, type TempProject } from "../../_helpers/project.ts";

/** The pipeline file (JSON is YAML) of the compare project. */
export const COMPARE_PIPELINE = JSON.stringify({
  pipeline: "ml",
  stages: {
    train: {
      cmd: [
        'printf \'{"acc": %s, "loss": %s, "model": {"depth": %s}}\' ${params.acc} ${params.loss} ${params.model.depth} > ${outs.scores}',
        "printf 'epoch,loss\\n0,1\\n1,%s\\n2,%s\\n' ${params.acc} ${params.loss} > ${outs.curve}",
        'printf \'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="%s" height="40" fill="teal"/></svg>\' ${params.model.depth}0 > ${outs.bar}',
      ].join(" && "),
      params: { acc: 0.5, loss: 0.5, model: { depth: 3 } },
      outs: {
        scores: { format: "json", kind: "metric" },
        curve: { format: "csv", kind: "plot", x: "epoch", y: "loss" },
        bar: { format: "svg", kind: "plot" },
      },
    },
    report: {
      cmd: "cp ${deps.scores} ${outs}",
      deps: { scores: "train:scores" },
      params: { title: "Scores" },
      outs: "json",
    },
  },
});

async function pivot(cwd: string, ...args: string[]): Promise<void> {
  const result = await runPivotInProcess(cwd, args);
  assert.equal(result.code, 0, result.stderr);
}

/** Writes `params.yaml`, runs the pipeline, and commits when `message` is given. */
export async function step(p: TempProject, params: string, message?: string): Promise<void> {
  await p.write("params.yaml", params);
  await pivot(p.root, "repro");
  if (message !== undefined) await commitAll(p.root, message);
}

/**
 * The compare project with its three commits and an uncommitted change.
 * Built once per test file; each call returns a copy of its own.
 */
export const compareProject: () => Promise<TempProject> = copiedFixture(async () => {
  const p = await makeProject({ "pivot.yaml": COMPARE_PIPELINE });
  await git(p.root, "init", "-q");
  await step(p, "{}\n", "one");
  await step(p, "train: {acc: 0.75}\n", "two");
  await step(p, "train: {acc: 0.75, loss: 0.25, model: {depth: 4}}\n", "three");
  await step(p, "train: {acc: 0.8, loss: 0.25, model: {depth: 4}}\n");
  return p;
});
