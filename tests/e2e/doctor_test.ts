/**
 * `pivot doctor`: every check with its fix, the exit status, `--json`,
 * `--remote`, and plain output off a terminal.
 */
import assert from "node:assert/strict";
import { makeProject, pipelineYaml, type TempProject } from "../_helpers/project.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { renderChecks } from "../../src/cli/actions/doctor.ts";
import type { DoctorCheck } from "../../src/ops/mod.ts";
import { writeLock } from "../_helpers/storage.ts";
import { statOrNullSync } from "../../src/util/fs.ts";
import { deadPid } from "../_helpers/processes.ts";
import { lines } from "../pipeline/_load.ts";

/** Runs git in `cwd` quietly. */
async function git(cwd: string, ...args: string[]): Promise<void> {
  const output = await new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@t", ...args],
    cwd,
    env: { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
}

/** The output with the parts that differ per machine replaced. */
function normalized(p: TempProject, text: string): string {
  return text.replaceAll(p.root, "<root>")
    .replace(/Deno \d+\.\d+\.\d+\S*/, "Deno <v>")
    .replace(/git version \S+/, "git version <v>");
}

Deno.test("pivot doctor passes a healthy project, one line per check", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  train:\n    cmd: echo 1 > ${outs}\n    outs: txt\n",
  });
  await git(p.root, "init", "-q");
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  const result = await runPivotInProcess(p.root, ["doctor"]);
  assert.equal(result.stderr, "");
  assert.equal(
    normalized(p, result.stdout),
    [
      "ok   deno: Deno <v>",
      "ok   project: <root>",
      "ok   config: defaults (no .pivot/config.yaml)",
      "ok   state: 1 state database(s) pass quick_check",
      "ok   pipelines: 1 pipeline file(s), 1 stage(s)",
      "ok   cache: .pivot/cache is writable",
      "ok   checkout: the cache is on the workspace's filesystem: outputs are placed as hardlinks",
      "ok   sentinels: no stale .running sentinels",
      "ok   cache content: every lock and .pvt file's content is in the cache",
      "ok   git: git version <v>",
      "ok   git repository: <root>",
      "all 11 checks passed",
      "",
    ].join("\n"),
  );
  assert.equal(result.code, 0);
});

Deno.test("pivot doctor explains every problem it finds and exits 1", async () => {
  await using p = await makeProject({
    "pivot.yaml": pipelineYaml(),
    "sub/pivot.yaml": "stages:\n  a:\n    cmd: x\n    outz: json\n",
    "other/pivot.yaml": "stages: [\n",
    "other/.pivot/state.db": "this is not a database",
  });
  await Deno.mkdir(p.path(".pivot/stages/ml"), { recursive: true });
  await p.write(".pivot/stages/ml/train.running", `${await deadPid()}\n`);
  await writeLock(p.path(".pivot"), "ml", "train", [], [
    { key: "model", path: "data/ml/train/model.json", hash: hashBytes("gone"), cache: true },
  ]);
  const before = await p.read("other/.pivot/state.db");
  const result = await runPivotInProcess(p.root, ["doctor"]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, "");
  const lines = normalized(p, result.stdout).split("\n");
  assert.deepEqual(lines.filter((line) => !line.startsWith("ok ")), [
    "FAIL state other/.pivot/state.db: damaged: file is not a database",
    "      fix: delete it (it holds only caches and history): rm other/.pivot/state.db; pivot also moves a damaged one aside on its next run",
    "FAIL pipeline other/pivot.yaml: other/pivot.yaml:2:1: invalid YAML: flow sequence in block collection must be sufficiently indented and end with a ]",
    "      fix: fix the file",
    "FAIL pipeline sub/pivot.yaml: sub/pivot.yaml:4:5: stages.a.outz: unknown key 'outz' (did you mean 'outs'?)",
    "      fix: allowed keys here: cmd, run, deps, outs, params, matrix, mutex, desc",
    "WARN sentinels: 1 .running sentinel(s) left by a process that is gone: .pivot/stages/ml/train.running",
    "      fix: the next run takes them over; or remove them: rm .pivot/stages/ml/train.running",
    "FAIL cache content: 1 recorded output(s) or tracked path(s) missing from the cache: train:model → data/ml/train/model.json",
    "      fix: 'pivot repro' re-caches an output whose workspace copy still matches and re-runs the others; re-track a path with 'pivot track --force'",
    "WARN git repository: not in a git repository",
    "      fix: run 'git init' and commit the pipeline, lock and .pvt files",
    "4 of 12 checks failed",
    "",
  ]);
  // Doctor only looks: the damaged database and the sentinel are where they were.
  assert.equal(await p.read("other/.pivot/state.db"), before);
  assert.equal(await p.exists(".pivot/stages/ml/train.running"), true);
});

Deno.test("pivot doctor warns about lock files of stages no pipeline declares any more", async () => {
  await using p = await makeProject({
    "pivot.yaml": lines(
      "pipeline: ml",
      "stages:",
      "  train:",
      "    cmd: echo ${lr} > ${outs}",
      "    matrix: { lr: [0.1, 0.5] }",
      "    outs: txt",
      "  evaluate:",
      "    cmd: cat ${deps.m} > ${outs}",
      "    deps: { m: train@0.5 }",
      "    outs: txt",
    ),
  });
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  await p.write(
    "pivot.yaml",
    lines(
      "pipeline: ml",
      "stages:",
      "  train:",
      "    cmd: echo ${lr} > ${outs}",
      "    matrix: { lr: [0.5, 0.9] }",
      "    outs: txt",
    ),
  );
  const result = await runPivotInProcess(p.root, ["doctor"]);
  assert.equal(result.code, 0);
  const shown = normalized(p, result.stdout).split("\n");
  assert.deepEqual(
    shown.filter((line) => line.startsWith("WARN lock") || line.includes("(rm ")),
    [
      "WARN lock files: 2 lock file(s) of stages no pipeline declares: .pivot/stages/ml/evaluate.lock, .pivot/stages/ml/train@0.1.lock",
      "      fix: if those stages are gone for good, remove the files in the project root (rm .pivot/stages/ml/evaluate.lock .pivot/stages/ml/train@0.1.lock) and the outputs they name, commit that, then 'pivot gc' frees their cached content",
    ],
  );
  assert.equal(await p.exists(".pivot/stages/ml/train@0.1.lock"), true);
});

Deno.test("pivot doctor fails a cache directory that is a file", async () => {
  await using p = await makeProject({
    "pivot.yaml": pipelineYaml(),
    ".pivot/config.yaml": "cache:\n  dir: not-a-dir\n",
    "not-a-dir": "a file\n",
  });
  const result = await runPivotInProcess(p.root, ["doctor"]);
  assert.equal(result.code, 1);
  assert.deepEqual(
    result.stdout.split("\n").filter((line) => /^FAIL/.test(line) || line.includes("cache.dir")),
    [
      "FAIL cache: not-a-dir is not a directory",
      "      fix: move that file away, or point cache.dir (or PIVOT_CACHE_DIR) at a directory",
    ],
  );
});

// Before the fix, doctor said "ok checkout: … outputs are placed as hardlinks" beside a cache
// that is a file, and a bucket that is a file made it stop with a raw "Not a directory" error.
Deno.test("pivot doctor checks no checkout mode for a cache that is a file, and names a bucket that is a file", async () => {
  await using p = await makeProject({
    "pivot.yaml": pipelineYaml(),
    ".pivot/config.yaml": "cache:\n  dir: not-a-dir\n",
    "not-a-dir": "a file\n",
  });
  const cacheFile = await runPivotInProcess(p.root, ["doctor"]);
  assert.equal(cacheFile.code, 1);
  assert.deepEqual(cacheFile.stdout.split("\n").filter((line) => line.includes("checkout")), []);

  await Deno.remove(p.path("not-a-dir"));
  await p.write("not-a-dir/files/ab", "a file where a bucket goes\n");
  const bucket = await runPivotInProcess(p.root, ["doctor"]);
  assert.equal(bucket.code, 1, bucket.stderr);
  assert.equal(bucket.stderr, "");
  assert.deepEqual(
    bucket.stdout.split("\n").filter((line) => /^FAIL/.test(line) || line.includes("rm ")),
    [
      "FAIL cache: not-a-dir/files/ab is a file where the cache keeps directories of blobs",
      "      fix: remove or rename it: rm not-a-dir/files/ab",
    ],
  );
});

// Before the fix, doctor said "all checks passed" beside a bucket symlinked out of the cache, which
// every command that writes into that bucket refuses.
Deno.test("pivot doctor names a cache bucket that is a symlink out of the cache, and how to fix it", async () => {
  await using p = await makeProject({ "pivot.yaml": pipelineYaml() });
  await using outside = await makeProject({});
  await p.write(".pivot/cache/files/ab/cdef0123456789", "a blob\n");
  Deno.symlinkSync(outside.root, p.path(".pivot/cache/files/cd"));
  const result = await runPivotInProcess(p.root, ["doctor"]);
  assert.equal(result.code, 1, result.stdout);
  assert.deepEqual(
    result.stdout.split("\n").filter((line) => /^FAIL/.test(line) || line.includes("rm ")),
    [
      "FAIL cache: .pivot/cache/files/cd is a symlink out of the cache: pivot refuses to write through it",
      "      fix: remove it (rm .pivot/cache/files/cd): pivot makes the directories again, and 'pivot checkout' or 'pivot pull' bring back what they held",
    ],
  );
  // A bucket symlinked to a directory inside the cache is written through, and is no failure.
  Deno.removeSync(p.path(".pivot/cache/files/cd"));
  Deno.symlinkSync(p.path(".pivot/cache/files/ab"), p.path(".pivot/cache/files/cd"));
  const inside = await runPivotInProcess(p.root, ["doctor"]);
  assert.deepEqual(inside.stdout.split("\n").filter((line) => /^FAIL/.test(line)), []);
});

Deno.test("pivot doctor --json lists the checks; --remote says no remotes are configured", async () => {
  await using p = await makeProject({ "pivot.yaml": pipelineYaml() });
  const result = await runPivotInProcess(p.root, ["doctor", "--json", "--remote"]);
  assert.equal(result.code, 0, result.stdout);
  const checks = JSON.parse(result.stdout) as DoctorCheck[];
  assert.deepEqual(checks.map((check) => [check.name, check.status]), [
    ["deno", "ok"],
    ["project", "ok"],
    ["config", "ok"],
    ["state", "ok"],
    ["pipelines", "ok"],
    ["cache", "ok"],
    ["checkout", "ok"],
    ["sentinels", "ok"],
    ["cache content", "ok"],
    ["remotes", "ok"],
    ["git", "ok"],
    ["git repository", "warning"],
  ]);
  assert.deepEqual(checks.find((check) => check.name === "remotes"), {
    name: "remotes",
    ok: true,
    status: "ok",
    detail: "no remotes configured",
    fix: null,
  });
  assert.equal(
    checks.find((check) => check.name === "cache")?.detail,
    ".pivot/cache is writable (it will be created)",
  );
});

Deno.test("pivot doctor --remote checks the form of each configured remote", async () => {
  await using p = await makeProject({
    "pivot.yaml": pipelineYaml(),
    ".pivot/config.yaml":
      "remotes:\n  store: {url: 's3://bucket/prefix'}\n  shared: {url: /mnt/shared}\n  odd: {url: 'ftp://x'}\n",
  });
  const result = await runPivotInProcess(p.root, ["doctor", "--remote"]);
  assert.equal(result.code, 1);
  assert.deepEqual(
    result.stdout.split("\n").filter((line) => /remote/.test(line)),
    [
      "ok   remote store: s3://bucket/prefix (not contacted)",
      "ok   remote shared: /mnt/shared (not contacted)",
      "FAIL remote odd: 'ftp://x' is not an s3:// URL or a directory",
    ],
  );
});

Deno.test("pivot doctor outside a project fails the project check only", async () => {
  await using outside = await makeProject({}, { init: false });
  const result = await runPivotInProcess(outside.root, ["doctor"]);
  assert.equal(result.code, 1);
  assert.deepEqual(normalized(outside, result.stdout).split("\n").slice(0, 3), [
    "ok   deno: Deno <v>",
    "FAIL project: not a pivot project (no .pivot directory above <root>); run 'pivot init'",
    "      fix: run 'pivot init' in the project's top directory",
  ]);
});

Deno.test("pivot doctor tells which checkout mode a cache on another filesystem gets", async (t) => {
  const shm = "/dev/shm";
  const other = statOrNullSync(shm);
  await using p = await makeProject({ "pivot.yaml": pipelineYaml() });
  if (other === null || other.dev === Deno.statSync(p.root).dev) {
    await t.step({ name: "no second filesystem here", ignore: true, fn: () => {} });
    return;
  }
  const cache = Deno.makeTempDirSync({ dir: shm, prefix: "pivot_cache_" });
  try {
    await p.write(".pivot/config.yaml", `cache:\n  dir: ${cache}\n`);
    const result = await runPivotInProcess(p.root, ["doctor"]);
    assert.deepEqual(
      result.stdout.split("\n").filter((line) =>
        line.includes("checkout") || line.includes("hardlinked")
      ),
      [
        "WARN checkout: the cache is on another filesystem than the workspace: outputs are placed as symlinks",
        "      fix: put the cache on the workspace's filesystem (cache.dir) so outputs can be hardlinked",
      ],
    );
  } finally {
    Deno.removeSync(cache, { recursive: true });
  }
});

Deno.test("renderChecks() marks checks with ✓, ! and ✗ on a terminal, ok/WARN/FAIL elsewhere", () => {
  const checks: DoctorCheck[] = [
    { name: "a", ok: true, status: "ok", detail: "fine", fix: null },
    { name: "b", ok: true, status: "warning", detail: "meh", fix: "do x" },
    { name: "c", ok: false, status: "error", detail: "bad", fix: "do y" },
  ];
  assert.equal(
    renderChecks(checks, false),
    "ok   a: fine\nWARN b: meh\n      fix: do x\nFAIL c: bad\n      fix: do y\n1 of 3 checks failed\n",
  );
  assert.equal(
    renderChecks(checks, true),
    "\x1b[32m✓\x1b[0m a: fine\n\x1b[33m!\x1b[0m b: meh\n  fix: do x\n\x1b[31m✗\x1b[0m c: bad\n  fix: do y\n1 of 3 checks failed\n",
  );
});

// Before, a clone under another directory name lost its runs silently (the pipeline is named
// after its directory), and doctor said to remove the team's lock files.
Deno.test("lock files recorded under another pipeline name: commands warn, doctor says to set 'pipeline:'", async () => {
  const stages = "stages:\n  a:\n    cmd: echo a > ${outs}\n    outs: txt\n";
  await using p = await makeProject({ "pivot.yaml": `pipeline: team\n${stages}` });
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  // Named after its directory now, as in a clone of a project made in a directory 'team'.
  const name = p.root.split("/").at(-1)!;
  await p.write("pivot.yaml", stages);
  const warning =
    `warning: no run of pipeline '${name}' (pivot.yaml) is recorded, but .pivot/stages/ holds ` +
    "the lock files of pipeline 'team': if they are this pipeline's (a clone under another " +
    "directory name: a pipeline without 'pipeline:' is named after its directory), set " +
    "'pipeline: team' in pivot.yaml\n";
  const status = await runPivotInProcess(p.root, ["status"]);
  assert.equal(status.stderr, warning);
  const doctor = normalized(p, (await runPivotInProcess(p.root, ["doctor"])).stdout).split("\n");
  assert.deepEqual(
    doctor.filter((line) => line.startsWith("WARN lock") || line.includes("fix: set")),
    [
      `WARN lock files: ${warning.slice("warning: ".length, -1)}`,
      "      fix: set 'pipeline: team' in pivot.yaml if it is that pipeline, else remove .pivot/stages/team/",
    ],
  );
  await p.write("pivot.yaml", `pipeline: team\n${stages}`);
  assert.deepEqual(await runPivotInProcess(p.root, ["status"]), {
    code: 0,
    stdout: "1 up to date\n",
    stderr: "",
  });
});
