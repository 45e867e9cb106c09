/**
 * `pivot import-dvc` on DVC projects: the converted pipeline runs, re-runs
 * exactly the stages whose own parameters changed, keeps DVC's stage names
 * for `foreach`/`matrix`, honours `wdir` and `vars`, tracks `.dvc` data, and
 * reports what it could not carry over.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { tempDir } from "../_helpers/files.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { timeless } from "./_fixtures/engine.ts";
import { foreachFiles, getStartedFiles } from "./_fixtures/dvc_projects.ts";
import { hashBytes } from "../../src/storage/mod.ts";

/** Runs pivot in `p` (in this process) and asserts it exited 0; returns its stdout. */
async function pivot(p: TempProject, ...args: string[]): Promise<string> {
  const result = await runPivotInProcess(p.root, args);
  assert.equal(result.code, 0, `pivot ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The stage lines of a repro (`ran x: reason`, `up to date x`), without timings and summary. */
async function repro(p: TempProject, ...args: string[]): Promise<string[]> {
  const out = timeless(await pivot(p, "repro", ...args));
  return out.split("\n").filter((line) => /^(ran|up to date|restored) /.test(line))
    .map((line) => line.replace(/ \(T\)$/, ""));
}

const DIR_NOTE = (stage: string, out: string) => [
  `  note           stage '${stage}': outs: ${out}: taken for a directory (no extension, not on disk, not in dvc.lock)`,
  "                 to do: if it is a file, change its format in pivot.yaml",
];

Deno.test("pivot import-dvc converts DVC's get-started project into a pipeline that runs", async () => {
  await using p = await makeProject(getStartedFiles());
  const imported = await runPivotInProcess(p.root, ["import-dvc"]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(imported.stderr, "");
  assert.equal(
    imported.stdout,
    [
      "wrote pivot.yaml: 4 stages from dvc.yaml",
      "set params.overrides: none in .pivot/config.yaml",
      "tracked data/data.xml → data/data.xml.pvt",
      "report (3 items):",
      ...DIR_NOTE("prepare", "data/prepared"),
      ...DIR_NOTE("featurize", "data/features"),
      "  note           params.yaml: your scripts read this file, so pivot stops reading it as per-stage overrides (params.overrides: none in .pivot/config.yaml)",
      "hint: run 'pivot repro', then git add pivot.yaml .pivot/config.yaml data/data.xml.pvt",
      "",
    ].join("\n"),
  );
  const pipeline = parse(await p.read("pivot.yaml"));
  assert.deepEqual(pipeline.vars, ["params.yaml"]);
  assert.deepEqual(pipeline.stages.train, {
    cmd: "python3 src/train.py data/features model.pkl",
    deps: { features: "featurize", train_py: "src/train.py" },
    outs: { format: "bin", path: "model.pkl" },
    params: {
      train: { min_split: "${train.min_split}", n_est: "${train.n_est}", seed: "${train.seed}" },
    },
  });
  assert.deepEqual(pipeline.stages.evaluate.deps, {
    features: "featurize",
    model_pkl: "train",
    evaluate_py: "src/evaluate.py",
  });
  assert.deepEqual(pipeline.stages.evaluate.outs, {
    metrics: { format: "json", kind: "metric", path: "eval/metrics.json" },
    prc: {
      format: "json",
      kind: "plot",
      cache: false,
      path: "eval/prc.json",
      x: "recall",
      y: "precision",
      template: "linear",
    },
    importance: { format: "png", kind: "plot", path: "eval/importance.png" },
  });
  assert.equal(await p.read(".pivot/config.yaml"), "params:\n  overrides: none\n");
  assert.match(
    await p.read("data/data.xml.pvt"),
    new RegExp(hashBytes(await p.read("data/data.xml"))),
  );

  assert.deepEqual(await repro(p), [
    "ran prepare: no previous run",
    "ran featurize: no previous run",
    "ran train: no previous run",
    "ran evaluate: no previous run",
  ]);
  assert.equal(
    await p.read("model.pkl"),
    "rows=2 split=0.20 seed=20170428 max_features=100 ngrams=1 n_est=50 min_split=0.01 seed=20170428\n",
  );
  assert.match(await p.read("eval/metrics.json"), /"auc": 0\.5/);
  assert.equal(await pivot(p, "status"), "4 up to date\n");
  // Each stage records exactly the parameters it declared in dvc.yaml.
  assert.deepEqual(
    JSON.parse(await p.read(`.pivot/stages/${p.root.split("/").pop()}/train.lock`)).params,
    { train: { min_split: 0.01, n_est: 50, seed: 20170428 } },
  );

  // A parameter of train changes: train and evaluate run, prepare and featurize do not.
  await p.write("params.yaml", (await p.read("params.yaml")).replace("n_est: 50", "n_est: 60"));
  assert.equal(
    await pivot(p, "status"),
    "stale train: params changed\nstale evaluate: upstream 'train' is stale\n2 stale, 2 up to date\n",
  );
  assert.deepEqual(await repro(p), [
    "up to date prepare",
    "up to date featurize",
    "ran train: params changed",
    "ran evaluate: inputs changed",
  ]);
  assert.match(await p.read("model.pkl"), / n_est=60 /);

  // A key that no stage declares changes nothing.
  await p.write("params.yaml", `${await p.read("params.yaml")}\nreport:\n  title: unused\n`);
  await p.write(
    "params.yaml",
    (await p.read("params.yaml")).replace("min_split: 0.01", "min_split: 0.01\n  comment: x"),
  );
  assert.deepEqual(await repro(p), [
    "up to date prepare",
    "up to date featurize",
    "up to date train",
    "up to date evaluate",
  ]);

  // A featurize parameter re-runs featurize and everything after it, not prepare.
  await p.write("params.yaml", (await p.read("params.yaml")).replace("ngrams: 1", "ngrams: 2"));
  assert.deepEqual(await repro(p), [
    "up to date prepare",
    "ran featurize: params changed",
    "ran train: inputs changed",
    "ran evaluate: inputs changed",
  ]);
});

Deno.test("pivot import-dvc --dry-run prints the pipeline and the report and writes nothing", async () => {
  await using p = await makeProject(getStartedFiles());
  const before = await p.read("params.yaml");
  const dry = await runPivotInProcess(p.root, ["import-dvc", "--dry-run"]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^# Converted from dvc\.yaml by 'pivot import-dvc'/);
  assert.ok(parse(dry.stdout).stages.prepare);
  assert.equal(
    dry.stderr.split("\n").slice(0, 3).join("\n"),
    "would write pivot.yaml: 4 stages from dvc.yaml\nwould track data/data.xml\nreport (3 items):",
  );
  assert.equal(await p.exists("pivot.yaml"), false);
  assert.equal(await p.exists(".pivot/config.yaml"), false);
  assert.equal(await p.exists("data/data.xml.pvt"), false);
  assert.equal(await p.read("params.yaml"), before);
});

Deno.test("pivot import-dvc refuses to replace pivot.yaml without --force", async () => {
  await using p = await makeProject({ ...getStartedFiles(), "pivot.yaml": "stages: {}\n" });
  const refused = await runPivotInProcess(p.root, ["import-dvc"]);
  assert.deepEqual(refused, {
    code: 1,
    stdout: "",
    stderr: "error: pivot.yaml exists\n" +
      "hint: pass --force to replace it, or see the conversion with --dry-run\n",
  });
  assert.equal(await p.read("pivot.yaml"), "stages: {}\n");
  assert.equal(await p.exists("data/data.xml.pvt"), false);
  await pivot(p, "import-dvc", "--force");
  assert.ok(parse(await p.read("pivot.yaml")).stages.train);
});

Deno.test("pivot import-dvc refuses a directory that holds another pipeline file", async () => {
  await using p = await makeProject({
    ...getStartedFiles(),
    "pipeline.ts": "export default { stages: {} };\n",
  });
  const refused = await runPivotInProcess(p.root, ["import-dvc", "--force"]);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    "error: pipeline.ts already holds a pipeline in that directory\n" +
      "hint: pivot reads one pipeline file per directory: write the new one elsewhere with -o\n",
  );
  assert.equal(await p.exists("pivot.yaml"), false);
});

Deno.test("pivot import-dvc fails without a dvc.yaml and outside a project", async () => {
  await using p = await makeProject({});
  assert.deepEqual(await runPivotInProcess(p.root, ["import-dvc"]), {
    code: 1,
    stdout: "",
    stderr: "error: no DVC pipeline at dvc.yaml\n" +
      "hint: run in the DVC project's directory, or name the file with -i\n",
  });
  await using outside = await makeProject(getStartedFiles(), { init: false });
  const result = await runPivotInProcess(outside.root, ["import-dvc"]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `error: not a pivot project (no .pivot directory above ${outside.root}); run 'pivot init'\n` +
      "hint: pivot commands work anywhere below the directory that holds .pivot/\n",
  );
});

Deno.test("pivot import-dvc maps foreach, matrix, wdir and vars to a pivot matrix", async () => {
  await using p = await makeProject(foreachFiles());
  const imported = await runPivotInProcess(p.root, ["import-dvc"]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(imported.stdout.split("\n")[0], "wrote pivot.yaml: 3 stages from dvc.yaml");
  assert.equal(await p.exists(".pivot/config.yaml"), false);
  const pipeline = parse(await p.read("pivot.yaml"));
  assert.deepEqual(pipeline.vars, ["config.yaml"]);
  assert.deepEqual(pipeline.stages.clean, {
    // wdir: the command runs there; paths are rewritten relative to pivot.yaml.
    cmd: "cd raw && mkdir -p ../clean && tr a-z A-Z < ${item}.txt > ../clean/${item}.cln",
    deps: { item_txt: "raw/${item}.txt" },
    outs: { format: "bin", path: "clean/${item}.cln" },
    matrix: { item: ["alpha", "beta"] },
  });
  assert.deepEqual(pipeline.stages.train, {
    cmd:
      'mkdir -p models && echo "${key} ${params.item.size} ${params.item.lr} ${model.name}" > models/${key}.txt',
    deps: { alpha_cln: "clean@alpha" },
    outs: { format: "txt", path: "models/${key}.txt" },
    matrix: {
      key: {
        small: { params: { item: { size: 10, lr: 0.1 } } },
        large: { params: { item: { size: 20, lr: 0.01 } } },
      },
    },
  });
  assert.deepEqual(pipeline.stages["report@{model}-{fmt}"], {
    cmd: "mkdir -p reports && cat models/${model}.txt > reports/${model}.${fmt}",
    deps: { item_model_txt: "train@${model}" },
    // The format comes from the first variant's file (reports/small.txt).
    outs: { format: "txt", path: "reports/${model}.${fmt}" },
    matrix: { model: ["small", "large"], fmt: ["txt", "md"] },
  });

  assert.deepEqual((await repro(p)).sort(), [
    "ran clean@alpha: no previous run",
    "ran clean@beta: no previous run",
    "ran report@large-md: no previous run",
    "ran report@large-txt: no previous run",
    "ran report@small-md: no previous run",
    "ran report@small-txt: no previous run",
    "ran train@large: no previous run",
    "ran train@small: no previous run",
  ]);
  assert.equal(await p.read("clean/alpha.cln"), "AAA\n");
  assert.equal(await p.read("models/large.txt"), "large 20 0.01 forest\n");
  assert.equal(await p.read("reports/small.md"), "small 10 0.1 forest\n");

  // A var used by train's command re-runs train and what reads its output.
  await p.write("config.yaml", "model:\n  name: boost\n");
  assert.deepEqual((await repro(p)).filter((line) => line.startsWith("ran ")).sort(), [
    "ran report@large-md: inputs changed",
    "ran report@large-txt: inputs changed",
    "ran report@small-md: inputs changed",
    "ran report@small-txt: inputs changed",
    "ran train@large: code changed",
    "ran train@small: code changed",
  ]);
  // An input of one foreach variant re-runs that variant only (beta is read by nobody else).
  await p.write("raw/beta.txt", "bbbb\n");
  assert.deepEqual((await repro(p)).filter((line) => line.startsWith("ran ")), [
    "ran clean@beta: inputs changed",
  ]);
  assert.equal(await p.read("clean/beta.cln"), "BBBB\n");
});

// New-user trial: the converted pivot.yaml had no `pipeline:` (named after its directory), so
// a clone under another directory name (a CI checkout) found no run of it: "no previous run".
Deno.test("pivot import-dvc names the pipeline: a copy under another directory name keeps its runs", async () => {
  await using p = await makeProject({
    "dvc.yaml": [
      "stages:",
      "  train:",
      "    cmd: cat data.txt > model.txt",
      "    deps: [data.txt]",
      "    outs: [model.txt]",
      "",
    ].join("\n"),
    "data.txt": "hi\n",
  });
  await pivot(p, "import-dvc");
  const name = p.root.split("/").pop()!;
  assert.equal(parse(await p.read("pivot.yaml")).pipeline, name);
  assert.deepEqual(await repro(p), ["ran train: no previous run"]);
  await using other = await tempDir("ci_checkout_");
  const copy = `${other.path}/work`;
  const cp = await new Deno.Command("cp", { args: ["-a", p.root, copy] }).output();
  assert.ok(cp.success);
  const status = await runPivotInProcess(copy, ["status"]);
  assert.deepEqual(status, { code: 0, stdout: "1 up to date\n", stderr: "" });
});

Deno.test("pivot import-dvc then export then import gives the same pipeline", async (t) => {
  for (
    const [label, files] of [["get started", getStartedFiles()], [
      "foreach",
      foreachFiles(),
    ]] as const
  ) {
    await t.step(label, async () => {
      await using p = await makeProject(files);
      await pivot(p, "import-dvc");
      const first = await p.read("pivot.yaml");
      await pivot(p, "export", "--force");
      await pivot(p, "import-dvc", "--force");
      assert.equal(await p.read("pivot.yaml"), first);
    });
  }
});

Deno.test("pivot import-dvc names a stage-level persist and unknown keys without a doubled colon", async () => {
  await using p = await makeProject({
    "dvc.yaml": [
      "stages:",
      "  evaluate:",
      "    cmd: echo > out.txt",
      "    persist: true",
      "    colour: blue",
      "    outs: [out.txt]",
      "extras: 1",
      "",
    ].join("\n"),
  });
  const result = await runPivotInProcess(p.root, ["import-dvc"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    [
      "wrote pivot.yaml: 1 stage from dvc.yaml",
      "report (3 items):",
      "  changed        extras: unknown top-level key, ignored",
      "  changed        stage 'evaluate': persist: true: DVC's persist: true is not supported: pivot removes outputs before a stage runs",
      "                 to do: keep what the command needs between runs outside its outputs",
      "  changed        stage 'evaluate': colour: unknown stage key, ignored",
      "hint: run 'pivot repro', then git add pivot.yaml",
      "",
    ].join("\n"),
  );
});

Deno.test("pivot import-dvc reports what it cannot carry over", async () => {
  await using p = await makeProject({
    "dvc.yaml": `stages:
  fetch:
    cmd: ./fetch.sh
    frozen: true
    always_changed: true
    outs:
    - raw.csv:
        persist: true
        desc: the raw rows
  split:
    cmd: [python3 split.py, touch done.txt]
    deps: [raw.csv, conf.toml]
    params:
    - conf.toml:
      - ratio
    - params.yaml:
      - missing
    outs: [done.txt]
  grid:
    matrix:
      config: [{depth: 1}, {depth: 2}]
    cmd: echo \${item.config}
metrics:
- summary.json
`,
    "params.yaml": "seed: 1\n",
    "conf.toml": "ratio = 0.5\n",
    "images.dvc": "outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  path: images\n",
  });
  const result = await runPivotInProcess(p.root, ["import-dvc"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    [
      "wrote pivot.yaml: 2 stages from dvc.yaml",
      "set params.overrides: none in .pivot/config.yaml",
      "report (10 items):",
      "  changed        stage 'fetch': persist: true (raw.csv): pivot removes declared outputs before a stage runs, so the command starts without the previous one",
      "                 to do: keep what the command needs between runs outside its outputs",
      "  note           stage 'fetch': desc: \"the raw rows\" (raw.csv): pivot has no 'desc' on outputs; left out",
      "  changed        stage 'fetch': frozen: true: pivot has no frozen stages: this one runs when its code, params or inputs change",
      "                 to do: leave it out of 'pivot repro' targets, or run the stages you want by name with 'pivot run'",
      "  changed        stage 'fetch': always_changed: true: pivot runs a stage only when its code, params or inputs change",
      "                 to do: run it on purpose with 'pivot repro --force fetch'",
      "  changed        stage 'split': params: conf.toml: ratio: pivot reads parameters from YAML and JSON files; the stage depends on the whole of conf.toml, so any change to it re-runs the stage",
      "                 to do: move the parameters to a YAML file to depend on single keys",
      "  not converted  stage 'split': params: params.yaml: missing: params.yaml has no 'missing'; the parameter is left out",
      "                 to do: add 'missing' to params.yaml, or remove it from the stage",
      "  not converted  stage 'grid': matrix: config: stage not converted: pivot matrix values are strings, numbers or booleans",
      "                 to do: list the combinations as separate stages, or use a foreach over a map",
      "  changed        metrics: summary.json: it is not an output of a stage; pivot metrics are stage outputs",
      "                 to do: declare the file as a metric of the stage that writes it",
      "  note           params.yaml: your scripts read this file, so pivot stops reading it as per-stage overrides (params.overrides: none in .pivot/config.yaml)",
      "  changed        images.dvc: images is not here, so pivot cannot track it yet",
      "                 to do: get the data (`dvc pull images.dvc`), then run `pivot track images`",
      "hint: run 'pivot repro', then git add pivot.yaml .pivot/config.yaml",
      "",
    ].join("\n"),
  );
  const pipeline = parse(await p.read("pivot.yaml"));
  assert.deepEqual(Object.keys(pipeline.stages), ["fetch", "split"]);
  assert.deepEqual(pipeline.stages.split, {
    cmd: "python3 split.py && touch done.txt",
    deps: { raw_csv: "fetch", conf_toml: "conf.toml" },
    outs: { format: "txt", path: "done.txt" },
  });
});

Deno.test("pivot import-dvc maps each form of DVC params, and a dependency inside an output directory", async () => {
  await using p = await makeProject({
    "dvc.yaml": `stages:
  features:
    cmd: mkdir -p feats && echo f > feats/a.txt && echo g > feats/b.txt
    outs:
    - feats
  fit:
    cmd: cat feats/a.txt > fit.txt
    deps:
    - feats/a.txt
    params:
    - lr
    - conf/model.yaml:depth
    - conf/extra.json:
      - opt.name
    - conf/all.yaml:
    outs:
    - fit.txt
`,
    "params.yaml": "lr: 0.1\nunused: 1\n",
    "conf/model.yaml": "depth: 3\nwidth: 8\n",
    "conf/extra.json": '{"opt": {"name": "adam", "beta": 0.9}}\n',
    "conf/all.yaml": "anything: 1\n",
  });
  const result = await runPivotInProcess(p.root, ["import-dvc"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stdout,
    /note {11}stage 'fit': deps: feats\/a\.txt: it lies inside the output features; the stage depends on all of it\n/,
  );
  const pipeline = parse(await p.read("pivot.yaml"));
  assert.deepEqual(pipeline.vars, ["params.yaml", "conf/model.yaml", "conf/extra.json"]);
  assert.deepEqual(pipeline.stages.fit, {
    cmd: "cat feats/a.txt > fit.txt",
    deps: { a_txt: "features", all_yaml: "conf/all.yaml" },
    outs: { format: "txt", path: "fit.txt" },
    params: { lr: "${lr}", depth: "${depth}", opt: { name: "${opt.name}" } },
  });
  assert.deepEqual(await repro(p), ["ran features: no previous run", "ran fit: no previous run"]);
  // Keys the stage did not declare change nothing; a declared key in any file re-runs it.
  await p.write("conf/model.yaml", "depth: 3\nwidth: 16\n");
  await p.write("conf/extra.json", '{"opt": {"name": "adam", "beta": 0.8}}\n');
  await p.write("params.yaml", "lr: 0.1\nunused: 2\n");
  assert.deepEqual(await repro(p), ["up to date features", "up to date fit"]);
  await p.write("conf/extra.json", '{"opt": {"name": "sgd", "beta": 0.8}}\n');
  assert.deepEqual(await repro(p), ["up to date features", "ran fit: params changed"]);
  // The whole-file parameter file is a dependency: any change to it re-runs the stage.
  await p.write("conf/all.yaml", "anything: 2\n");
  assert.deepEqual(await repro(p), ["up to date features", "ran fit: inputs changed"]);
});

Deno.test("pivot import-dvc tracks .dvc data as it is and says when it is not the recorded version", async () => {
  await using p = await makeProject({
    "dvc.yaml":
      "stages:\n  count:\n    cmd: wc -l < data.csv > n.txt\n    deps: [data.csv]\n    outs: [n.txt]\n",
    "data.csv": "a\nb\n",
    "data.csv.dvc": "outs:\n- md5: d41d8cd98f00b204e9800998ecf8427e\n  path: data.csv\n",
  });
  const result = await runPivotInProcess(p.root, ["import-dvc"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    [
      "wrote pivot.yaml: 1 stage from dvc.yaml",
      "tracked data.csv → data.csv.pvt",
      "report (1 item):",
      "  changed        data.csv.dvc: data.csv is not the version data.csv.dvc records; pivot tracks the file as it is",
      "                 to do: to track the recorded version, run `dvc checkout data.csv.dvc` and then `pivot track --force data.csv`",
      "hint: run 'pivot repro', then git add pivot.yaml data.csv.pvt .gitignore",
      "",
    ].join("\n"),
  );
  assert.deepEqual(await repro(p), ["ran count: no previous run"]);
  assert.equal((await p.read("n.txt")).trim(), "2");
});

Deno.test("pivot import-dvc applies top-level plots and metrics to the outputs they name", async () => {
  await using p = await makeProject({
    "dvc.yaml": `stages:
  evaluate:
    cmd: ./evaluate.sh
    outs:
    - eval/train/roc.json
    - eval/test/roc.json
    - eval/scores.yaml
plots:
- ROC:
    template: simple
    x: fpr
    y:
      eval/train/roc.json: tpr
      eval/test/roc.json: [tpr, tnr]
metrics:
- eval/scores.yaml
`,
  });
  const result = await runPivotInProcess(p.root, ["import-dvc"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout.split("\n").filter((line) => line.startsWith("  ")).join("\n"),
    "  note           plots: ROC: pivot plots one output at a time: eval/train/roc.json, eval/test/roc.json are plotted each on its own",
  );
  assert.deepEqual(parse(await p.read("pivot.yaml")).stages.evaluate.outs, {
    roc: {
      format: "json",
      kind: "plot",
      path: "eval/train/roc.json",
      x: "fpr",
      y: "tpr",
      template: "simple",
    },
    test_roc: {
      format: "json",
      kind: "plot",
      path: "eval/test/roc.json",
      x: "fpr",
      y: "tpr",
      template: "simple",
    },
    // A DVC output is cached; as a pivot metric it says so.
    scores: { format: "yaml", kind: "metric", path: "eval/scores.yaml", cache: true },
  });
});

/** A DVC stage whose command interpolates the parameter `train.lr` (and `train.epochs`, not one). */
const LR_IN_COMMAND = [
  "stages:",
  "  train:",
  "    cmd: echo ${train.lr} ${train.epochs} > model.txt",
  "    params: [train.lr]",
  "    outs: [model.txt]",
  "",
].join("\n");

Deno.test("pivot import-dvc: a changed parameter that the command interpolates is 'params changed'", async (t) => {
  await using p = await makeProject({
    "dvc.yaml": LR_IN_COMMAND,
    "params.yaml": "train:\n  lr: 0.1\n  epochs: 3\n",
  });
  await pivot(p, "import-dvc");
  assert.deepEqual(await repro(p), ["ran train: no previous run"]);
  const status = (...args: string[]) => runPivotInProcess(p.root, ["status", ...args]);
  await t.step("the parameter changed", async () => {
    await p.write("params.yaml", "train:\n  lr: 0.2\n  epochs: 3\n");
    assert.deepEqual(await status("--explain"), {
      code: 0,
      stdout: "stale train: params changed\n    params: train.lr: 0.1 → 0.2\n" +
        "1 stale, 0 up to date\n",
      stderr: "",
    });
    assert.deepEqual(await repro(p), ["ran train: params changed"]);
    assert.equal(await p.read("model.txt"), "0.2 3\n");
  });
  await t.step("a value the command reads that is no parameter of the stage", async () => {
    await p.write("params.yaml", "train:\n  lr: 0.2\n  epochs: 4\n");
    assert.deepEqual(await status("--explain"), {
      code: 0,
      stdout: "stale train: code changed\n    code: the command\n1 stale, 0 up to date\n",
      stderr: "",
    });
    await repro(p);
  });
  await t.step("the parameter and the command's own text changed", async () => {
    await p.write("params.yaml", "train:\n  lr: 0.3\n  epochs: 4\n");
    await p.write("pivot.yaml", (await p.read("pivot.yaml")).replace("echo", "echo -n"));
    assert.deepEqual(await status("--explain"), {
      code: 0,
      stdout: "stale train: code changed\n    code: the command\n1 stale, 0 up to date\n",
      stderr: "",
    });
  });
});

Deno.test("pivot import-dvc: a lock written before commands' parameters were told apart stays up to date", async () => {
  await using p = await makeProject({
    "dvc.yaml": LR_IN_COMMAND,
    "params.yaml": "train:\n  lr: 0.1\n  epochs: 3\n",
    "model.txt": "0.1 3\n",
  });
  await pivot(p, "import-dvc");
  const pipeline = /^pipeline: (.+)$/m.exec(await p.read("pivot.yaml"))![1]!;
  // Written by pivot 78677bb for this pipeline (only the pipeline name differs).
  await p.write(
    `.pivot/stages/${pipeline}/train.lock`,
    JSON.stringify(
      {
        schema: 1,
        stage: "train",
        pipeline,
        fingerprint: { hash: "5615f15f4758d9e8", manifest: { cmd: "020c5ac289f463ba" } },
        params: { train: { lr: 0.1 } },
        deps: [],
        outs: [{ path: "model.txt", hash: "665ce8aaa812b773", cache: true }],
      },
      null,
      2,
    ) + "\n",
  );
  // Not stale: only the cache of this fresh project lacks the recorded content.
  assert.deepEqual(await runPivotInProcess(p.root, ["status"]), {
    code: 0,
    stdout:
      "train → model.txt: content missing from the cache; 'pivot commit train' (or repro) re-caches it from the workspace\n" +
      "1 with missing outputs, 0 up to date\n",
    stderr: "",
  });
  await p.write("params.yaml", "train:\n  lr: 0.2\n  epochs: 3\n");
  assert.deepEqual(await runPivotInProcess(p.root, ["status"]), {
    code: 0,
    stdout: "stale train: params changed\n1 stale, 0 up to date\n",
    stderr: "",
  });
});
