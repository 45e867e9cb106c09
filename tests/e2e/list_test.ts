import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { MAIN, makeProject, runPivot, type TempProject } from "../_helpers/project.ts";

/** The three-pipeline project: eval (own root), prep (root: ..), reports (pipeline.ts). */
function threePipelines(): Promise<TempProject> {
  return makeProject({
    "prep/raw.csv": "id,score\n1,0.5\n",
    "prep/pivot.yaml": [
      "root: ..",
      "stages:",
      "  clean:",
      "    cmd: cp ${deps.raw} ${outs}",
      "    deps: {raw: raw.csv}",
      "    outs: csv",
      "  train:",
      "    cmd: cp ${deps.data} ${outs.model} && echo '{}' > ${outs.scores}",
      "    deps: {data: clean}",
      "    outs:",
      "      model: json",
      "      scores: {format: json, kind: metric}",
      "",
    ].join("\n"),
    "eval/pivot.yaml": [
      "stages:",
      "  train:",
      "    cmd: wc -l ${deps.data} > ${outs}",
      "    deps: {data: prep/clean}",
      "    outs: txt",
      "",
    ].join("\n"),
    "reports/pipeline.ts": [
      'import type { PipelineDefinition } from "pivot";',
      "export default {",
      "  stages: {",
      "    summary: {",
      '      deps: { model: "prep/train:model", evals: "eval/train" },',
      '      outs: "json",',
      "      run: ({ deps }) => ({ lines: deps.evals }),",
      "    },",
      "  },",
      "} satisfies PipelineDefinition;",
      "",
    ].join("\n"),
  });
}

Deno.test("pivot list --all merges the pipelines, prefixing on collision", async () => {
  await using p = await threePipelines();
  const result = await runPivotInProcess(p.root, ["list", "--all", "--json"]);
  assert.equal(result.code, 0, result.stderr);
  const stages = JSON.parse(result.stdout) as {
    name: string;
    pipeline: string;
    stateDir: string;
    outs: { identity: string; path: string }[];
  }[];
  assert.deepEqual(stages.map((s) => s.name).sort(), [
    "prep/clean",
    "prep/train",
    "summary",
    "train",
  ]);
  const byName = new Map(stages.map((s) => [s.name, s]));
  assert.deepEqual(byName.get("train")!.outs, [
    {
      identity: "train",
      path: "eval/data/eval/train.txt",
      format: "txt",
      kind: "data",
      cache: true,
    },
  ]);
  assert.equal(byName.get("train")!.stateDir, "eval/.pivot");
  assert.deepEqual(byName.get("prep/train")!.outs.map((o) => `${o.identity} → ${o.path}`), [
    "prep/train:model → data/prep/train/model.json",
    "prep/train:scores → data/prep/train/scores.json",
  ]);
  assert.equal(byName.get("prep/clean")!.stateDir, ".pivot");
  assert.equal(byName.get("summary")!.pipeline, "reports");
  assert.equal(byName.get("summary")!.stateDir, "reports/.pivot");
  assert.deepEqual(byName.get("summary")!.outs.map((o) => o.path), [
    "reports/data/reports/summary.json",
  ]);
});

Deno.test("pivot list --all shows identity → path in text form", async () => {
  await using p = await threePipelines();
  const result = await runPivotInProcess(p.root, ["list", "--all"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^train {2}\(cmd, pipeline eval, eval\/pivot\.yaml\)$/m);
  assert.match(result.stdout, /^ {2}dep {4}data: prep\/clean → data\/prep\/clean\.csv$/m);
  assert.match(
    result.stdout,
    /^ {2}out {4}prep\/train:model → data\/prep\/train\/model\.json {2}\(json\)$/m,
  );
  assert.match(
    result.stdout,
    /^ {2}out {4}prep\/train:scores → data\/prep\/train\/scores\.json {2}\(json, metric, not cached\)$/m,
  );
  assert.equal(result.stderr, "");
});

Deno.test("pivot list in a pipeline directory pulls in the producer of its input", async () => {
  await using p = await threePipelines();
  const result = await runPivotInProcess(p.path("eval"), ["list", "--json"]);
  assert.equal(result.code, 0, result.stderr);
  const stages = JSON.parse(result.stdout) as { name: string; stateDir: string; deps: unknown[] }[];
  assert.deepEqual(stages.map((s) => s.name), ["prep/clean", "train"]);
  assert.equal(stages[0]!.stateDir, ".pivot");
  assert.deepEqual(stages[1]!.deps, [{
    name: "data",
    kind: "identity",
    text: "prep/clean",
    identity: "prep/clean",
    paths: ["data/prep/clean.csv"],
  }]);
});

Deno.test("pivot list at the root without a root pipeline says what it looked for", async () => {
  await using p = await threePipelines();
  // A real process: exit status and output end to end.
  const result = await runPivot(p.root, ["list"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^error: no pipeline file at the project root \(looked for pivot\.yaml, pivot\.yml, pipeline\.ts\)\nhint: .*--all/,
  );
});

/** Pipelines that are broken in one way each, and what the error must say. */
const BROKEN: { name: string; files: Record<string, string>; error: RegExp }[] = [
  {
    name: "YAML syntax",
    files: { "pivot.yaml": "pipeline: p\nstages:\n  a:\n    cmd: [echo\n" },
    error: /^error: pivot\.yaml:\d+:\d+: invalid YAML: /,
  },
  {
    name: "unknown key",
    files: { "pivot.yaml": "pipeline: p\nstages:\n  a:\n    cmd: echo\n    dpes: {}\n" },
    error:
      /^error: pivot\.yaml:5:5: stages\.a\.dpes: unknown key 'dpes' \(did you mean 'deps'\?\)\nhint: allowed keys here: cmd, run, deps/,
  },
  {
    name: "unknown format",
    files: { "pivot.yaml": "pipeline: p\nstages:\n  a:\n    cmd: echo\n    outs: {model: jsn}\n" },
    error:
      /^error: pivot\.yaml:5:19: stages\.a\.outs\.model: unknown format 'jsn' \(did you mean 'json'\?\)/,
  },
  {
    name: "bad identity",
    files: {
      "pivot.yaml":
        "pipeline: p\nstages:\n  a:\n    cmd: echo\n    outs: csv\n  b:\n    cmd: echo\n    deps: {x: 'a:1model'}\n",
    },
    error:
      /^error: pivot\.yaml:8:15: stages\.b\.deps\.x: stage 'b' depends on 'a:1model', which is not a valid identity: key '1model' must start/,
  },
  {
    name: "cycle",
    files: {
      "pivot.yaml":
        "pipeline: p\nstages:\n  a:\n    cmd: echo\n    deps: {x: b}\n    outs: csv\n  b:\n    cmd: echo\n    deps: {x: a}\n    outs: csv\n",
    },
    error:
      /^error: cycle: a -> b -> a \(a: pivot\.yaml:3, b: pivot\.yaml:7\)\nhint: a stage cannot depend/,
  },
  {
    name: "duplicate pipeline name",
    files: {
      "one/pivot.yaml": "pipeline: twin\nstages: {}\n",
      "two/pivot.yaml": "pipeline: twin\nstages: {}\n",
    },
    error: /^error: two pipelines are named 'twin': one\/pivot\.yaml and two\/pivot\.yaml\nhint: /,
  },
];

Deno.test("pivot list reports each kind of broken pipeline file in one paragraph", async (t) => {
  for (const { name, files, error } of BROKEN) {
    await t.step(name, async () => {
      await using p = await makeProject(files);
      const result = await runPivotInProcess(
        p.root,
        name === "duplicate pipeline name" ? ["list", "--all"] : ["list"],
      );
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, error);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
      assert.equal(result.stdout, "");
      assert.deepEqual([...Deno.readDirSync(p.path(".pivot"))], [], "nothing written");
    });
  }
});

Deno.test("pivot list warns about inputs that are neither present nor tracked", async () => {
  await using p = await makeProject({
    "pivot.yaml":
      "pipeline: p\nstages:\n  a:\n    cmd: echo\n    deps: {raw: raw.csv, tracked: big.bin}\n    outs: csv\n",
    "big.bin.pvt": "path: big.bin\n",
  });
  const result = await runPivotInProcess(p.root, ["list"]);
  assert.equal(result.code, 0);
  assert.equal(
    result.stderr,
    "warning: inputs that no stage produces and that are not present or tracked: raw.csv (needed by a)\n",
  );
  const quiet = await runPivotInProcess(p.root, ["-q", "list"]);
  assert.equal(quiet.stderr, "");
  assert.equal(quiet.stdout, "");
});

Deno.test("pivot list piped into head exits quietly", async () => {
  const lines = ["pipeline: many", "stages:"];
  for (let i = 0; i < 2000; i++) lines.push(`  stage_${i}:`, "    cmd: echo", "    outs: txt");
  await using p = await makeProject({ "pivot.yaml": `${lines.join("\n")}\n` });
  const script =
    `"${Deno.execPath()}" run -A --quiet "${MAIN}" list | head -1; echo "status=\${PIPESTATUS[0]}" >&2`;
  const output = await new Deno.Command("bash", {
    args: ["-c", script],
    cwd: p.root,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const decoder = new TextDecoder();
  assert.equal(decoder.decode(output.stdout), "stage_0  (cmd, pipeline many, pivot.yaml)\n");
  assert.equal(decoder.decode(output.stderr), "status=0\n");
});
