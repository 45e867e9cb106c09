/**
 * Outputs declared at fixed paths (`path:`): scripts that write fixed paths
 * work unchanged, and repro, status, list, checkout, gc and `--all` treat
 * them like outputs pivot places itself.
 */
import assert from "node:assert/strict";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { blobPath } from "../_helpers/storage.ts";
import { hashBytes } from "../../src/storage/mod.ts";

const PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prepare:",
  "    cmd: mkdir data/prepared && cp raw.txt data/prepared/rows.txt",
  "    deps: {raw: raw.txt}",
  "    outs: {format: dir, path: data/prepared}",
  "  train:",
  "    cmd: cat data/prepared/rows.txt > model.pkl && echo 1 > eval/scores.json",
  "    deps: {data: prepare}",
  "    outs:",
  "      model: {format: bin, path: model.pkl}",
  "      scores: {format: json, kind: metric, path: eval/scores.json}",
  "",
].join("\n");

/** Runs pivot in `p` (in this process) and asserts it exited 0; returns its stdout. */
async function pivot(p: TempProject, ...args: string[]): Promise<string> {
  const result = await runPivotInProcess(p.root, args);
  assert.equal(result.code, 0, `pivot ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The `ran …`/`up to date …` lines of a repro, without timings. */
function outcomes(stdout: string): string[] {
  return stdout.split("\n").filter((line) => line !== "").map((line) =>
    line.replace(/ \(\d+\.\ds\)$/, "")
  );
}

Deno.test("pivot repro runs a script that writes fixed paths and records them", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.txt": "a\n" });
  assert.deepEqual(outcomes(await pivot(p, "repro")), [
    "ran prepare: no previous run",
    "ran train: no previous run",
    "2 ran, 0 up to date",
  ]);
  assert.equal(await p.read("model.pkl"), "a\n");
  assert.equal(await p.read("data/prepared/rows.txt"), "a\n");
  // Cached outputs are listed in the .gitignore of their own directory; the metric is for git.
  const header = "# Written by pivot: cached stage outputs (the cache holds them).\n";
  assert.equal(await p.read(".gitignore"), `${header}/model.pkl\n`);
  assert.equal(await p.read("data/.gitignore"), `${header}/prepared/\n`);
  assert.equal(await p.exists("eval/.gitignore"), false);
  const lock = JSON.parse(await p.read(".pivot/stages/ml/train.lock"));
  assert.deepEqual(
    lock.outs.map((out: { key: string; path: string }) => [out.key, out.path]).sort(),
    [["model", "model.pkl"], ["scores", "eval/scores.json"]],
  );
  assert.deepEqual(
    lock.deps.map((dep: { identity?: string; path: string }) => [dep.identity, dep.path]),
    [["prepare", "data/prepared"]],
  );
  assert.equal(await pivot(p, "status"), "2 up to date\n");
  assert.equal(
    (await pivot(p, "list")).split("\n").filter((line) => line.includes(" out ")).join("\n"),
    [
      "  out    prepare → data/prepared/  (dir)",
      "  out    train:model → model.pkl  (bin)",
      "  out    train:scores → eval/scores.json  (json, metric, not cached)",
    ].join("\n"),
  );
  assert.deepEqual(outcomes(await pivot(p, "repro")), [
    "up to date prepare",
    "up to date train",
    "0 ran, 2 up to date",
  ]);
});

Deno.test("pivot checkout restores a declared path by identity and answers the path with it", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.txt": "a\n" });
  await pivot(p, "repro");
  await Deno.remove(p.path("model.pkl"));
  await Deno.remove(p.path("data/prepared"), { recursive: true });
  const byPath = await runPivotInProcess(p.root, ["checkout", "model.pkl"]);
  assert.deepEqual(byPath, {
    code: 2,
    stdout: "",
    stderr: "error: model.pkl is the output train:model; use the identity\n" +
      "hint: give 'train:model' as the target\n",
  });
  assert.equal(
    await pivot(p, "checkout", "train:model", "prepare"),
    "restored train:model → model.pkl\nrestored prepare → data/prepared/\n2 restored\n",
  );
  assert.equal(await p.read("model.pkl"), "a\n");
  assert.equal(await p.read("data/prepared/rows.txt"), "a\n");
  assert.equal(
    (await Deno.stat(p.path("model.pkl"))).ino,
    (await Deno.stat(blobPath(p.path(".pivot/cache"), hashBytes("a\n")))).ino,
  );
});

Deno.test("pivot gc keeps the content of declared paths that the locks reference", async () => {
  await using p = await makeProject({ "pivot.yaml": PIPELINE, "raw.txt": "a\n" });
  await pivot(p, "repro");
  await p.write("raw.txt", "b\n");
  assert.deepEqual(outcomes(await pivot(p, "repro")), [
    "ran prepare: inputs changed",
    "ran train: inputs changed",
    "2 ran, 0 up to date",
  ]);
  const cache = p.path(".pivot/cache");
  const old = blobPath(cache, hashBytes("a\n"));
  assert.equal(await Deno.readTextFile(old), "a\n");
  // The old rows and model (one blob, "a\n") go; the new ones and the metric stay.
  const gc = await pivot(p, "gc", "--grace", "0");
  assert.equal(gc, "removed 1 blob (2 B); kept 2 blobs referenced by 2 lock and .pvt files\n");
  assert.equal(await Deno.readTextFile(blobPath(cache, hashBytes("b\n"))), "b\n");
  await assert.rejects(Deno.stat(old), Deno.errors.NotFound);
  await Deno.remove(p.path("model.pkl"));
  assert.equal(
    await pivot(p, "checkout", "train:model"),
    "restored train:model → model.pkl\n1 restored\n",
  );
  assert.equal(await p.read("model.pkl"), "b\n");
});

Deno.test("pivot repro --all runs declared paths of several pipelines", async () => {
  await using p = await makeProject({
    "pivot.yaml": PIPELINE,
    "raw.txt": "a\n",
    "report/pivot.yaml": [
      "root: ..",
      "stages:",
      "  summary:",
      "    cmd: wc -c < ../model.pkl > ../reports/${name}.txt",
      "    deps: {model: ml/train:model}",
      "    outs: {format: txt, path: '../reports/${name}.txt'}",
      "    matrix: {name: [short]}",
      "",
    ].join("\n"),
  });
  assert.deepEqual(outcomes(await pivot(p, "repro", "--all")), [
    "ran prepare: no previous run",
    "ran train: no previous run",
    "ran summary@short: no previous run",
    "3 ran, 0 up to date",
  ]);
  assert.equal((await p.read("reports/short.txt")).trim(), "2");
  assert.match(await p.read("reports/.gitignore"), /\n\/short\.txt\n$/);
  assert.equal(await p.exists(".pivot/stages/report/summary@short.lock"), true);
  assert.equal(await pivot(p, "status", "--all"), "3 up to date\n");
  assert.equal(await pivot(p, "status"), "2 up to date\n");
});

// Before the fix, a declared path could name any file of the project, and the run overwrote it.
Deno.test("pivot repro refuses a declared path that is one of the project's own files, naming the output and its line", async (t) => {
  const cases: [target: string, format: string, problem: string][] = [
    ["tracked.txt", "txt", "tracked.txt is a tracked file (tracked.txt.pvt)"],
    ["tracked.txt.pvt", "txt", "tracked.txt.pvt is the name of a tracking file (.pvt)"],
    [
      "images/new.png",
      "bin",
      "images/new.png is inside the tracked directory images/ (images.pvt)",
    ],
    ["images", "dir", "images is a tracked directory (images.pvt)"],
    ["pivot.yaml", "txt", "pivot.yaml is a pipeline file name"],
    ["sub/pipeline.ts", "txt", "sub/pipeline.ts is a pipeline file name"],
    ["params.yaml", "txt", "params.yaml is the params file"],
    ["conf/overrides.yaml", "txt", "conf/overrides.yaml is the params file"],
    ["conf", "dir", "conf/ holds the params file conf/overrides.yaml"],
    ["vars.yaml", "txt", "vars.yaml is a vars file of this pipeline"],
    [".gitignore", "txt", ".gitignore is an ignore file (git's)"],
    ["sub/.pivotignore", "txt", "sub/.pivotignore is an ignore file (pivot's)"],
  ];
  await using p = await makeProject({
    "tracked.txt": "tracked\n",
    "images/a.png": "png\n",
    "params.yaml": "s: {n: 1}\n",
    "conf/overrides.yaml": "s: {n: 2}\n",
    ".pivot/config.yaml": "params:\n  overrides: conf/overrides.yaml\n",
    "vars.yaml": "n: 1\n",
    ".gitignore": "/secret\n",
  });
  await pivot(p, "track", "tracked.txt", "images");
  const before = new Map<string, string>();
  for (const file of ["tracked.txt", "tracked.txt.pvt", "params.yaml", "vars.yaml", ".gitignore"]) {
    before.set(file, await p.read(file));
  }
  for (const [target, format, problem] of cases) {
    await t.step(target, async () => {
      const pipeline = [
        "vars: [vars.yaml]",
        "stages:",
        "  s:",
        `    cmd: ${format === "dir" ? "mkdir -p ${outs}" : "echo overwritten > ${outs}"}`,
        `    outs: {format: ${format}, path: '${target}'}`,
        "",
      ].join("\n");
      await p.write("pivot.yaml", pipeline);
      const shown = format === "dir" ? `${target}/` : target;
      const result = await runPivotInProcess(p.root, ["repro"]);
      assert.deepEqual(result, {
        code: 1,
        stdout: "",
        stderr: `error: pivot.yaml:5:31: stages.s.outs.path: output s → ${shown}: ${problem}\n` +
          "hint: declare another path: a stage must not overwrite the project's own files\n",
      });
      for (const [file, text] of before) assert.equal(await p.read(file), text, file);
    });
  }
});
