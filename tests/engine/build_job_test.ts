import assert from "node:assert/strict";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { buildJob } from "../../src/engine/build_job.ts";
import { planStage, type StagePlan } from "../../src/engine/mod.ts";
import type { CmdJob, RunJob, StageJob } from "../../src/engine/stage_job.ts";
import { openProject } from "../../src/project/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";

const PARAMS_FILE = "/tmp/state/ml.train.params.json";

/** A tricky string parameter: quotes of both kinds, `$`, backquotes, a backslash. */
const TRICKY = `it's a "test" $HOME \`id\` \\n end`;

/**
 * The pipeline file `sub/pivot.yaml` (as JSON, which is YAML) of pipeline `ml`
 * whose root is the project root, so outputs land in `../data/ml/…` seen from
 * the pipeline's directory.
 */
const PIPELINE = {
  pipeline: "ml",
  root: "..",
  stages: {
    prep: {
      cmd: 'printf "%s\\n" ${deps.raw} ${deps.parts} "${deps.parts}" ${deps.one} ${outs} ${stage}',
      deps: { raw: "../my data.csv", parts: ["../a.csv", "../b.csv"], one: ["../a.csv"] },
      outs: "csv",
    },
    train: {
      cmd: [
        'printf "%s\\n" ${deps.data} ${outs.model} ${outs.scores}',
        "${params.opt.lr} ${params.name} \"${params.name}\" '${params.name}'",
        "${params.layers} ${params.opt} x${params.opt.lr}y",
      ].join(" "),
      deps: { data: "prep", "raw-data": "../my data.csv" },
      params: { opt: { lr: 0.1 }, name: TRICKY, layers: [64, 32] },
      outs: { model: "json", scores: { format: "json", kind: "metric" } },
    },
    shell: {
      cmd: 'printf "%s\\n" \\${PIVOT_STAGE} "$PIVOT_OUT"',
      outs: "txt",
    },
    commented: {
      cmd: "# don't split paths\nprintf '%s\\n' ${deps.raw}",
      deps: { raw: "../my data.csv" },
    },
    subst: {
      cmd: 'printf "%s\\n" "$(printf "%s\\n" ${deps.raw} | wc -l)"',
      deps: { raw: "../my data.csv" },
    },
    fit: {
      run: "./stages.ts#fit",
      deps: {
        data: "prep",
        raw: "../my data.csv",
        models: "train",
        many: ["prep", "../a.csv", "train:model"],
      },
      params: { k: 1 },
      outs: { model: "json", report: "txt" },
    },
  },
};

/** A project with `sub/pivot.yaml` (see {@linkcode PIPELINE}) and its input files. */
function pipelineProject(): Promise<TempProject> {
  return makeProject({
    "sub/pivot.yaml": JSON.stringify(PIPELINE, null, 2),
    "sub/stages.ts": "export function fit() {}\n",
    "my data.csv": "x\n1\n",
    "a.csv": "x\n2\n",
    "b.csv": "x\n3\n",
  });
}

/** The plan of `name` in the project's `sub` pipeline. */
async function plan(p: TempProject, name: string): Promise<StagePlan> {
  const project = await openProject({ cwd: p.path("sub") });
  return planStage(project, name);
}

function asCmd(job: StageJob): CmdJob {
  assert.equal(job.kind, "cmd");
  return job as CmdJob;
}

function asRun(job: StageJob): RunJob {
  assert.equal(job.kind, "run");
  return job as RunJob;
}

/** The words `sh -c` passes for `job` (its command must `printf "%s\n"` them). */
async function words(job: CmdJob): Promise<string[]> {
  const output = await new Deno.Command("sh", {
    args: ["-c", job.command],
    cwd: job.cwd,
    env: { ...job.env, HOME: "/home/nobody" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(output.stderr), "");
  assert.equal(output.code, 0);
  const text = new TextDecoder().decode(output.stdout);
  assert.ok(text.endsWith("\n"), JSON.stringify(text));
  return text.slice(0, -1).split("\n");
}

/** A copy of `plan` whose command is `command`. */
function withCommand(plan: StagePlan, command: string): StagePlan {
  const def = { ...plan.stage.def, action: { kind: "cmd" as const, command } };
  return { ...plan, stage: { ...plan.stage, def } };
}

Deno.test("buildJob() fills deps, outs and stage with paths relative to the pipeline dir", async () => {
  await using p = await pipelineProject();
  const job = asCmd(buildJob(await plan(p, "prep"), PARAMS_FILE));
  assert.equal(job.stage, "prep");
  assert.equal(job.cwd, p.path("sub"));
  assert.equal(
    job.command,
    `printf "%s\\n" '../my data.csv' ../a.csv ../b.csv "../a.csv ../b.csv" ../a.csv ../data/ml/prep.csv prep`,
  );
});

Deno.test("buildJob() quotes a path with a space as one word and a list dep as several", async () => {
  await using p = await pipelineProject();
  const job = asCmd(buildJob(await plan(p, "prep"), PARAMS_FILE));
  assert.deepEqual(await words(job), [
    "../my data.csv",
    "../a.csv",
    "../b.csv",
    "../a.csv ../b.csv",
    "../a.csv",
    "../data/ml/prep.csv",
    "prep",
  ]);
});

Deno.test("buildJob() fills keyed outputs and params as literal text in every quoting", async () => {
  await using p = await pipelineProject();
  const job = asCmd(buildJob(await plan(p, "train"), PARAMS_FILE));
  assert.deepEqual(await words(job), [
    "../data/ml/prep.csv",
    "../data/ml/train/model.json",
    "../data/ml/train/scores.json",
    "0.1",
    TRICKY,
    TRICKY,
    TRICKY,
    "[64,32]",
    '{"lr":0.1}',
    "x0.1y",
  ]);
});

Deno.test("buildJob() turns an escaped \\${…} into a literal ${…} for the shell", async () => {
  await using p = await pipelineProject();
  const job = asCmd(buildJob(await plan(p, "shell"), PARAMS_FILE));
  assert.equal(job.command, 'printf "%s\\n" ${PIVOT_STAGE} "$PIVOT_OUT"');
  assert.deepEqual(await words(job), ["shell", p.path("data/ml/shell.txt")]);
});

Deno.test("buildJob() sets PIVOT_STAGE, PIVOT_PARAMS, PIVOT_CLAIM, PIVOT_DEP_* and PIVOT_OUT", async () => {
  await using p = await pipelineProject();
  const job = asCmd(buildJob(await plan(p, "prep"), PARAMS_FILE));
  assert.deepEqual(job.env, {
    PIVOT_STAGE: "prep",
    PIVOT_PARAMS: PARAMS_FILE,
    // This process's claim of the stage: what finds the command after a kill -9 of pivot.
    PIVOT_CLAIM: `${Deno.pid}:${p.path(".pivot/stages/ml/prep.running")}`,
    PIVOT_DEP_RAW: p.path("my data.csv"),
    PIVOT_DEP_PARTS: [p.path("a.csv"), p.path("b.csv")].join(path.delimiter),
    PIVOT_DEP_ONE: p.path("a.csv"),
    PIVOT_OUT: p.path("data/ml/prep.csv"),
  });
});

Deno.test("buildJob() names PIVOT_OUT_<KEY> and PIVOT_DEP_<NAME> in upper case with '_'", async () => {
  await using p = await pipelineProject();
  const job = asCmd(buildJob(await plan(p, "train"), PARAMS_FILE));
  assert.deepEqual(job.env, {
    PIVOT_STAGE: "train",
    PIVOT_PARAMS: PARAMS_FILE,
    PIVOT_CLAIM: `${Deno.pid}:${p.path(".pivot/stages/ml/train.running")}`,
    PIVOT_DEP_DATA: p.path("data/ml/prep.csv"),
    PIVOT_DEP_RAW_DATA: p.path("my data.csv"),
    PIVOT_OUT_MODEL: p.path("data/ml/train/model.json"),
    PIVOT_OUT_SCORES: p.path("data/ml/train/scores.json"),
  });
});

Deno.test("buildJob() throws a PivotError for a ${…} the stage cannot fill", async () => {
  await using p = await pipelineProject();
  const train = await plan(p, "train");
  const cases: [string, string][] = [
    ["echo ${deps.nope}", "${deps.nope}"],
    ["echo ${outs}", "${outs}"],
    ["echo ${outs.nope} ${params.opt.nope}", "${outs.nope}, ${params.opt.nope}"],
    ["echo ${params.missing} ${HOME}", "${params.missing}, ${HOME}"],
  ];
  for (const [command, listed] of cases) {
    assert.throws(() => buildJob(withCommand(train, command), PARAMS_FILE), (error: unknown) => {
      assert.ok(error instanceof PivotError, String(error));
      assert.equal(error.message, `stage 'train': cannot fill ${listed} in its command`);
      return true;
    });
  }
});

Deno.test("buildJob() makes a RunJob with the module URL, export path, deps and outs", async () => {
  await using p = await pipelineProject();
  const job = asRun(buildJob(await plan(p, "fit"), PARAMS_FILE));
  const prep = p.path("data/ml/prep.csv");
  const model = p.path("data/ml/train/model.json");
  const scores = p.path("data/ml/train/scores.json");
  assert.deepEqual(job, {
    kind: "run",
    stage: "fit",
    moduleUrl: pathToFileURL(p.path("sub/stages.ts")).href,
    exportPath: ["fit"],
    deps: [
      { name: "data", list: false, items: [{ path: prep, format: "csv" }] },
      { name: "raw", list: false, items: [{ path: p.path("my data.csv"), format: null }] },
      {
        name: "models",
        list: false,
        items: [{ path: model, format: "json" }, { path: scores, format: "json" }],
      },
      {
        name: "many",
        list: true,
        items: [
          { path: prep, format: "csv" },
          { path: p.path("a.csv"), format: null },
          { path: model, format: "json" },
        ],
      },
    ],
    outs: [
      { key: "model", path: p.path("data/ml/fit/model.json"), format: "json" },
      { key: "report", path: p.path("data/ml/fit/report.txt"), format: "txt" },
    ],
    params: { k: 1 },
    stageName: "fit",
  });
});

Deno.test("buildJob() gives a run stage's single output the key null", async () => {
  await using p = await makeProject({
    "pivot.yaml": JSON.stringify({
      pipeline: "solo",
      stages: { make: { run: "./lib/make.ts#make", outs: "yaml" } },
    }),
    "lib/make.ts": "export const make = () => ({});\n",
  });
  const project = await openProject({ cwd: p.root });
  const job = asRun(buildJob(planStage(project, "make"), PARAMS_FILE));
  assert.equal(job.moduleUrl, pathToFileURL(p.path("lib/make.ts")).href);
  assert.deepEqual(job.deps, []);
  assert.deepEqual(job.outs, [{ key: null, path: p.path("data/solo/make.yaml"), format: "yaml" }]);
  assert.deepEqual(job.params, {});
  // Stage functions are not given a working directory: they use the absolute paths.
  assert.equal("cwd" in job, false);
});

Deno.test({
  name: "buildJob() quotes a path after a shell comment holding an apostrophe",
  fn: async () => {
    await using p = await pipelineProject();
    const job = asCmd(buildJob(await plan(p, "commented"), PARAMS_FILE));
    assert.deepEqual(await words(job), ["../my data.csv"]);
  },
});

Deno.test({
  name: "buildJob() quotes a path inside $(…) within double quotes",
  fn: async () => {
    await using p = await pipelineProject();
    const job = asCmd(buildJob(await plan(p, "subst"), PARAMS_FILE));
    assert.deepEqual((await words(job)).map((w) => w.trim()), ["1"]);
  },
});

Deno.test("buildJob() with the run's map of module URLs makes each module's URL once and gives every job the same", async () => {
  await using p = await makeProject({
    "pivot.yaml": JSON.stringify({
      pipeline: "solo",
      stages: {
        a: { run: "./lib/make.ts#make", outs: "yaml" },
        b: { run: "./lib/make.ts#make", outs: "json" },
        c: { run: "./lib/my other.ts#make", outs: "json" },
      },
    }),
    "lib/make.ts": "export const make = () => ({});\n",
    "lib/my other.ts": "export const make = () => ({});\n",
  });
  const project = await openProject({ cwd: p.root });
  const urls = new Map<string, string>();
  const jobs = ["a", "b", "c"].map((name) =>
    asRun(buildJob(planStage(project, name), PARAMS_FILE, urls))
  );
  const make = pathToFileURL(p.path("lib/make.ts")).href;
  const other = pathToFileURL(p.path("lib/my other.ts")).href;
  assert.deepEqual(jobs.map((job) => job.moduleUrl), [make, make, other]);
  assert.deepEqual([...urls], [[p.path("lib/make.ts"), make], [p.path("lib/my other.ts"), other]]);
  // A URL the map holds is the one used (made once per module, not per job).
  urls.set(p.path("lib/make.ts"), "file:///kept");
  assert.equal(
    asRun(buildJob(planStage(project, "b"), PARAMS_FILE, urls)).moduleUrl,
    "file:///kept",
  );
  // Without a map, each job makes its own.
  assert.equal(asRun(buildJob(planStage(project, "b"), PARAMS_FILE)).moduleUrl, make);
});
