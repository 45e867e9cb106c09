import assert from "node:assert/strict";
import * as path from "node:path";
import { tempDir } from "../_helpers/files.ts";
import { commitAll, git } from "../_helpers/git.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject, runPivot, type TempProject } from "../_helpers/project.ts";
import { liveProcess } from "../_helpers/processes.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { blobOf, CHECKOUT_HINT, lockRel, readLock, timeless } from "./_fixtures/engine.ts";

/** train (reads a tracked-style input, counts its runs) → eval. */
const YAML = `pipeline: ml
stages:
  train:
    cmd: echo train >> counter.txt && echo "lr=\${params.lr}" > \${outs.model}
    deps: {data: inputs/x.csv}
    outs: {model: txt}
    params: {lr: 0.1}
  eval:
    cmd: sed 's/^/eval /' \${deps.m} > \${outs}
    deps: {m: train:model}
    outs: txt
`;
const MODEL = "data/ml/train/model.txt";

function project(): Promise<TempProject> {
  return makeProject({ "pivot.yaml": YAML, "inputs/x.csv": "a\n1\n" });
}

async function repro(p: TempProject, ...args: string[]): Promise<string> {
  const result = await runPivotInProcess(p.root, ["repro", ...args]);
  assert.equal(result.code, 0, result.stderr);
  return timeless(result.stdout);
}

async function setLr(p: TempProject, lr: string): Promise<void> {
  await p.write("pivot.yaml", (await p.read("pivot.yaml")).replace(/lr: [0-9.]+/, `lr: ${lr}`));
}

Deno.test("status lists stale stages with reasons; -q exits 1 only when something is stale", async () => {
  await using p = await project();
  const fresh = await runPivotInProcess(p.root, ["status"]);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.equal(
    fresh.stdout,
    "stale train: no previous run\nstale eval: upstream 'train' is stale\n2 stale, 0 up to date\n",
  );
  // A real process: exit status and output end to end.
  const quietStale = await runPivot(p.root, ["status", "-q"]);
  assert.deepEqual(quietStale, { code: 1, stdout: "", stderr: "" });

  await repro(p);
  const clean = await runPivotInProcess(p.root, ["status"]);
  assert.equal(clean.code, 0, clean.stderr);
  assert.equal(clean.stdout, "2 up to date\n");
  const quietClean = await runPivotInProcess(p.root, ["status", "-q"]);
  assert.deepEqual(quietClean, { code: 0, stdout: "", stderr: "" });

  await setLr(p, "0.2");
  const explained = await runPivotInProcess(p.root, ["status", "--explain"]);
  assert.equal(explained.code, 0, explained.stderr);
  assert.equal(
    explained.stdout,
    "stale train: params changed\n" +
      "    params: lr: 0.1 → 0.2\n" +
      "stale eval: upstream 'train' is stale\n" +
      "2 stale, 0 up to date\n",
  );
  const json = await runPivotInProcess(p.root, ["status", "--json"]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), {
    stages: [
      {
        stage: "train",
        stale: true,
        reason: "params changed",
        details: ["params: lr: 0.1 → 0.2"],
        failing: false,
        outputs: [],
      },
      {
        stage: "eval",
        stale: true,
        reason: "upstream 'train' is stale",
        details: [],
        failing: false,
        outputs: [],
      },
    ],
    tracked: [],
  });

  await Deno.remove(p.path("inputs/x.csv"));
  const missing = await runPivotInProcess(p.root, ["status"]);
  assert.equal(missing.code, 0, missing.stderr);
  assert.equal(
    missing.stdout,
    "cannot run train: missing input: inputs/x.csv\n" +
      "stale eval: upstream 'train' is stale\n" +
      "2 stale, 0 up to date\n",
  );
  // status only looks.
  assert.equal(await p.read("counter.txt"), "train\n");
  assert.deepEqual((await readLock(p.path(lockRel("ml", "train")))).params, { lr: 0.1 });
});

Deno.test("status lists tracked files that changed, and -q counts them as stale", async () => {
  await using p = await makeProject({
    "pivot.yaml": YAML,
    "inputs/x.csv": "a\n1\n",
    "inputs/other.csv": "b\n2\n",
  });
  const track = await runPivotInProcess(p.root, ["track", "inputs/x.csv", "inputs/other.csv"]);
  assert.equal(track.code, 0, track.stderr);
  await repro(p);
  const clean = await runPivotInProcess(p.root, ["status"]);
  assert.equal(clean.code, 0, clean.stderr);
  assert.equal(clean.stdout, "2 up to date\n");

  // Tracked files are read-only links into the cache: replace, do not edit in place.
  await Deno.remove(p.path("inputs/other.csv"));
  await p.write("inputs/other.csv", "b\n3\n");
  const changed = await runPivotInProcess(p.root, ["status"]);
  assert.equal(changed.code, 0, changed.stderr);
  assert.equal(
    changed.stdout,
    "2 up to date\ntracked inputs/other.csv: modified; `pivot track --force inputs/other.csv` " +
      "records the workspace's content, `pivot checkout --force inputs/other.csv` restores what " +
      "its .pvt file records (discarding it)\n",
  );
  const quiet = await runPivotInProcess(p.root, ["status", "-q"]);
  assert.deepEqual(quiet, { code: 1, stdout: "", stderr: "" });

  await Deno.remove(p.path("inputs/x.csv"));
  const json = await runPivotInProcess(p.root, ["status", "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.deepEqual(
    parsed.tracked.toSorted((a: { path: string }, b: { path: string }) => a.path < b.path ? -1 : 1),
    [
      { path: "inputs/other.csv", status: "modified", cached: true, workspaceCached: false },
      { path: "inputs/x.csv", status: "missing", cached: true },
    ],
  );
  // As repro refuses it: a tracked input, missing.
  assert.equal(
    parsed.stages[0].reason,
    "tracked input does not match its .pvt file: inputs/x.csv (missing)",
  );
  assert.equal(parsed.stages[0].failing, true);
});

Deno.test("verify fails when stale or when a cached output's content is missing from the cache", async () => {
  await using p = await project();
  // A real process: exit status and output end to end.
  const fresh = await runPivot(p.root, ["verify"]);
  assert.equal(fresh.code, 1);
  assert.equal(
    fresh.stdout,
    "FAILED train: no previous run\n" +
      "FAILED eval: upstream 'train' is stale\n" +
      "verification failed: 2 of 2 stages\n",
  );

  await repro(p);
  const ok = await runPivotInProcess(p.root, ["verify"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "ok     train\nok     eval\nverification passed: 2 stages up to date\n");

  // Lose the model's blob: the workspace copy is still there, the cache is not.
  const hash = hashBytes("lr=0.1\n");
  assert.equal((await readLock(p.path(lockRel("ml", "train")))).outs[0]!.hash, hash);
  await Deno.remove(blobOf(p.root, hash));
  const lost = await runPivotInProcess(p.root, ["verify"]);
  assert.equal(lost.code, 1);
  assert.equal(
    lost.stdout,
    "FAILED train: content missing from the cache: train:model\n" +
      "    train:model → data/ml/train/model.txt: content missing from the cache; " +
      "'pivot commit train' (or repro) re-caches it from the workspace\n" +
      "ok     eval\n" +
      "verification failed: 1 of 2 stages\n",
  );
  const lostJson = await runPivotInProcess(p.root, ["verify", "--json"]);
  assert.equal(lostJson.code, 1);
  assert.deepEqual(JSON.parse(lostJson.stdout), {
    passed: false,
    stages: [
      {
        stage: "train",
        passed: false,
        reason: "content missing from the cache: train:model",
        missing: ["train:model"],
        outputs: [{
          identity: "train:model",
          path: "data/ml/train/model.txt",
          status: "uncached",
          fix: "pivot commit train",
        }],
      },
      { stage: "eval", passed: true, reason: "", missing: [], outputs: [] },
    ],
    tracked: [],
  });

  // Without the workspace copy either, repro has to run the stage again.
  await Deno.remove(p.path(MODEL));
  assert.equal(
    await repro(p, "--explain"),
    "ran train: outputs missing from cache (T)\n" +
      "    train:model → data/ml/train/model.txt\n" +
      "up to date eval\n" +
      "1 ran, 1 up to date (T)\n",
  );
  assert.equal(await p.read("counter.txt"), "train\ntrain\n");
  const again = await runPivotInProcess(p.root, ["verify", "--json"]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).passed, true);
});

// At a199f5d a changed cached output counted as up to date ("outputs to restore"): status and
// verify passed, and repro silently put the cached version back.
Deno.test("status and verify report a cached output that was changed in the workspace", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  train:\n    cmd: echo w > ${outs.model}\n" +
      "    outs: {model: txt}\n",
  });
  await repro(p);
  await Deno.remove(p.path(MODEL));
  await p.write(MODEL, "edited by hand\n");
  const status = await runPivotInProcess(p.root, ["status"]);
  assert.match(status.stdout, /^stale train: .*modified/m);
  const verify = await runPivotInProcess(p.root, ["verify"]);
  assert.equal(verify.code, 1, verify.stdout);
});

Deno.test("commit records a manually produced output without running the stage", async () => {
  await using p = await makeProject({
    "pivot.yaml": `pipeline: ml
stages:
  train:
    cmd: echo train >> counter.txt; exit 1
    outs: {model: json}
  eval:
    cmd: cat \${deps.m} > \${outs}
    deps: {m: train:model}
    outs: txt
`,
  });
  const nothing = await runPivotInProcess(p.root, ["commit", "train"]);
  assert.equal(nothing.code, 1);
  assert.equal(nothing.stdout, "0 committed, 1 failed\n");
  assert.match(
    nothing.stderr,
    /^error: 1 stage could not be committed:\n {2}train: .*train:model.*\nhint: /,
  );
  assert.equal(await p.exists(lockRel("ml", "train")), false);

  await p.write("data/ml/train/model.json", '{"w": 1}\n');
  const committed = await runPivotInProcess(p.root, ["commit", "train"]);
  assert.equal(committed.code, 0, committed.stderr);
  assert.equal(committed.stdout, "committed train (no previous run)\n1 committed\n");
  const lock = await readLock(p.path(lockRel("ml", "train")));
  assert.deepEqual(lock.outs, [{
    key: "model",
    path: "data/ml/train/model.json",
    hash: hashBytes('{"w": 1}\n'),
    cache: true,
  }]);
  assert.equal(
    (await Deno.stat(p.path("data/ml/train/model.json"))).ino,
    (await Deno.stat(blobOf(p.root, hashBytes('{"w": 1}\n')))).ino,
  );

  assert.equal(
    await repro(p),
    "up to date train\nran eval: no previous run (T)\n1 ran, 1 up to date (T)\n",
  );
  assert.equal(await p.exists("counter.txt"), false, "train never ran");
  assert.equal(await p.read("data/ml/eval.txt"), '{"w": 1}\n');
  const idle = await runPivotInProcess(p.root, ["commit"]);
  assert.equal(idle.code, 0, idle.stderr);
  assert.equal(idle.stdout, "nothing to commit: every stage is up to date\n");
});

Deno.test("history lists runs newest first; show prints a run's stages; both have --json", async () => {
  await using p = await makeProject({
    "pivot.yaml": `pipeline: ml
stages:
  good:
    cmd: echo good > \${outs}
    outs: txt
  bad:
    cmd: echo "bad line 1"; echo "bad line 2" >&2; exit 2
    outs: txt
`,
  });
  const empty = await runPivotInProcess(p.root, ["history"]);
  assert.deepEqual(empty, { code: 0, stdout: "no runs recorded yet\n", stderr: "" });
  // A real process: exit status and output end to end.
  const noShow = await runPivot(p.root, ["show"]);
  assert.deepEqual(noShow, {
    code: 1,
    stdout: "",
    stderr:
      "error: no runs recorded yet\nhint: 'pivot repro' records a run; 'pivot show' then shows it\n",
  });

  const failing = await runPivotInProcess(p.root, ["repro", "-k"]);
  assert.equal(failing.code, 1);
  const targeted = await runPivotInProcess(p.root, ["repro", "good"]);
  assert.equal(targeted.code, 0, targeted.stderr);

  const history = await runPivotInProcess(p.root, ["history"]);
  assert.equal(history.code, 0, history.stderr);
  const lines = history.stdout.trimEnd().split("\n");
  assert.equal(lines.length, 3, history.stdout);
  assert.match(
    lines[0]!,
    /^run id +command +ran +up-to-date +restored +failed +blocked +duration$/,
  );
  assert.match(lines[1]!, /^\d{8}_\d{6}_[0-9a-f]{8} +repro +0 +1 +0 +0 +0 +\d/);
  assert.match(lines[2]!, /^\d{8}_\d{6}_[0-9a-f]{8} +repro +1 +0 +0 +1 +0 +\d/);

  const json = await runPivotInProcess(p.root, ["history", "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const runs = JSON.parse(json.stdout);
  assert.equal(runs.length, 2);
  assert.equal(runs[0].command, "repro");
  assert.deepEqual(runs[0].targets, ["good"]);
  assert.equal(runs[0].stages.good.status, "skipped");
  assert.equal(runs[1].stages.good.status, "ran");
  assert.equal(runs[1].stages.bad.status, "failed");
  assert.equal(runs[1].stages.bad.reason, "command exited with status 2");
  // stdout and stderr are read separately, so their lines may interleave either way.
  assert.deepEqual(runs[1].stages.bad.log_tail.toSorted(), ["bad line 1", "bad line 2"]);
  assert.equal(lines[1]!.split(" ")[0], runs[0].run_id);

  const latest = await runPivotInProcess(p.root, ["show", "--json"]);
  assert.equal(latest.code, 0, latest.stderr);
  assert.deepEqual(JSON.parse(latest.stdout), runs[0]);
  const older = await runPivotInProcess(p.root, ["show", runs[1].run_id.slice(0, 20)]);
  assert.equal(older.code, 0, older.stderr);
  const shown = older.stdout.split("\n");
  assert.equal(shown[0], `run      ${runs[1].run_id} (repro)`);
  assert.match(shown[1]!, /^started {2}\d{4}-\d\d-\d\dT/);
  assert.match(shown[2]!, /^ended {4}\d{4}-\d\d-\d\dT/);
  assert.equal(shown[3], "targets  good, bad");
  assert.equal(shown[4], "");
  assert.match(older.stdout, /^✓ good {2}ran: no previous run {2}\d+ms$/m);
  assert.match(older.stdout, /^✗ bad {2}failed: command exited with status 2 {2}\d+ms$/m);
  assert.match(older.stdout, /^ {4}bad line 1$/m);
  assert.match(older.stdout, /^ {4}bad line 2$/m);
});

// At a199f5d history sorted by run id (time to the second, then a random suffix), so runs of
// one second came out in random order. Random: without the fix this fails most of the time.
Deno.test("history lists runs of the same second newest first, and show shows the latest", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  a:\n    cmd: echo a > ${outs}\n    outs: txt\n",
  });
  for (let i = 0; i < 4; i++) {
    assert.equal((await runPivotInProcess(p.root, ["repro", "-q"])).code, 0);
  }
  const runs = JSON.parse((await runPivotInProcess(p.root, ["history", "--json"])).stdout);
  const started = runs.map((run: { started_at: string }) => run.started_at);
  assert.deepEqual(started, started.toSorted().toReversed());
  const latest = JSON.parse((await runPivotInProcess(p.root, ["show", "--json"])).stdout);
  assert.equal(latest.started_at, started.toSorted().at(-1));
});

Deno.test("init --example, then repro twice: the second does nothing; metrics are plain files", async () => {
  await using p = await makeProject({}, { init: false });
  const init = await runPivotInProcess(p.root, ["init", "--example"]);
  assert.equal(init.code, 0, init.stderr);
  const first = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(
    timeless(first.stdout),
    "ran clean: no previous run (T)\n" +
      "3 of 4 passed\n" +
      "ran summarize: no previous run (T)\n" +
      "2 ran, 0 up to date (T)\n",
  );
  assert.equal(first.stderr, "");
  const second = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(
    timeless(second.stdout),
    "up to date clean\nup to date summarize\n0 ran, 2 up to date (T)\n",
  );

  const metrics = "data/example/summarize/metrics.json";
  assert.deepEqual(JSON.parse(await p.read(metrics)), { count: 4, mean: 65.25, pass_rate: 0.75 });
  const metricsStat = await Deno.lstat(p.path(metrics));
  assert.ok(metricsStat.isFile);
  assert.equal(metricsStat.nlink, 1);
  assert.notEqual(metricsStat.mode! & 0o200, 0, "metrics are writable");

  const summary = "data/example/summarize/summary.json";
  assert.deepEqual(JSON.parse(await p.read(summary)), {
    passed: ["ada", "cyd", "dee"],
    threshold: 50,
  });
  const lock = await readLock(p.path(lockRel("example", "summarize")));
  const entry = lock.outs.find((o) => o.key === "summary")!;
  assert.equal(entry.cache, true);
  assert.equal(lock.outs.find((o) => o.key === "metrics")!.cache, false);
  const summaryStat = await Deno.lstat(p.path(summary));
  assert.ok(summaryStat.isFile);
  assert.equal(summaryStat.mode! & 0o222, 0, "cached outputs are read-only");
  assert.equal(summaryStat.ino, (await Deno.stat(blobOf(p.root, entry.hash))).ino);
});

// Before, status said "nothing to report" and verify "verification passed: 0 stages" there (exit 0):
// a CI gate run in the wrong directory passed over the project's pipelines.
Deno.test("status, verify, push, pull and checkout where no pipeline is found, in a project with pipelines elsewhere, fail as repro does", async () => {
  await using p = await makeProject({
    "prep/pivot.yaml":
      "pipeline: prep\nstages:\n  clean:\n    cmd: echo x > ${outs}\n    outs: txt\n",
    "prep/raw/keep.txt": "",
    "raw.csv": "a\n",
  });
  const expected = (where: string, files: string) => ({
    code: 1,
    stdout: "",
    stderr: `error: no pipeline file ${where} (looked for pivot.yaml, pivot.yml, pipeline.ts)\n` +
      `hint: use --all for every pipeline of the project, or run in the directory of one: ${files}\n`,
  });
  for (const command of [["status"], ["verify"], ["push"], ["pull"], ["checkout"], ["repro"]]) {
    assert.deepEqual(
      await runPivotInProcess(p.path("prep/raw"), command),
      expected("in prep/raw or at the project root", "../pivot.yaml"),
      command.join(" "),
    );
    assert.deepEqual(
      await runPivotInProcess(p.root, command),
      expected("at the project root", "prep/pivot.yaml"),
      command.join(" "),
    );
  }
  // Tracking data needs no pipeline; --all sees every one.
  assert.equal((await runPivotInProcess(p.root, ["track", "raw.csv"])).code, 0);
  assert.deepEqual(await runPivotInProcess(p.root, ["status", "--all"]), {
    code: 0,
    stdout: "stale clean: no previous run\n1 stale, 0 up to date\n",
    stderr: "",
  });
});

// Before, a stage another pivot process was running showed as stale with no word of it.
Deno.test("status says which stale stage another pivot process is running now", async () => {
  await using p = await project();
  await repro(p);
  await setLr(p, "0.2");
  await using other = liveProcess();
  await p.write(".pivot/stages/ml/train.running", `${other.pid}\n`);
  assert.deepEqual(await runPivotInProcess(p.root, ["status"]), {
    code: 0,
    stdout:
      `stale train: params changed (running now in another pivot process, PID ${other.pid})\n` +
      "stale eval: upstream 'train' is stale\n2 stale, 0 up to date\n",
    stderr: "",
  });
  await Deno.remove(p.path(".pivot/stages/ml/train.running"));
});

// Before, "0 up to date" (while repro says there is no pipeline file).
Deno.test("status of a project with no stages and no tracked data says so, with what to do", async () => {
  await using p = await makeProject();
  const hint =
    "hint: write a pivot.yaml (or run 'pivot init --example --force'), or track data with 'pivot track PATH'\n";
  assert.deepEqual(await runPivotInProcess(p.root, ["status"]), {
    code: 0,
    stdout: `nothing to report: no stages and no tracked data here\n${hint}`,
    stderr: "",
  });
  assert.deepEqual(await runPivotInProcess(p.root, ["status", "-q"]), {
    code: 0,
    stdout: "",
    stderr: "",
  });
});

// Before the fix, status and verify required a pipeline file ("error: no pipeline file at the
// project root"), although a project of tracked data only has none.
Deno.test("status and verify check the tracked files of a project without a pipeline file", async () => {
  await using p = await makeProject({ "raw/data.csv": "a\n1\n" });
  const run = (...args: string[]) => runPivotInProcess(p.root, args);
  assert.equal((await run("track", "raw/data.csv")).code, 0);
  assert.deepEqual(await run("status"), { code: 0, stdout: "0 up to date\n", stderr: "" });
  assert.deepEqual(await run("verify"), {
    code: 0,
    stdout: "verification passed: 0 stages up to date\n",
    stderr: "",
  });
  await p.write("raw/data.csv", "a\n2\n");
  const status = await run("status");
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^0 up to date\ntracked raw\/data\.csv: modified/);
  assert.equal((await run("-q", "status")).code, 1);
  const verify = await run("verify");
  assert.equal(verify.code, 1);
  assert.match(verify.stdout, /^FAILED tracked raw\/data\.csv: modified/);

  // A pipeline file that is there but broken is still an error.
  await p.write("pivot.yaml", "stages: [\n");
  const broken = await run("status");
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /^error: pivot\.yaml:/);
});

Deno.test("pivot status in a fresh clone hints 'pivot pull' when a remote is configured, else repro", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  prep:\n    cmd: echo prep > ${outs}\n    outs: txt\n",
    "inputs/x.csv": "a\n1\n",
  });
  await using remote = await tempDir();
  await git(p.root, "init", "-q");
  assert.equal((await runPivotInProcess(p.root, ["track", "inputs/x.csv"])).code, 0);
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  assert.equal((await runPivotInProcess(p.root, ["remote", "add", "origin", remote.path])).code, 0);
  await commitAll(p.root, "ran");
  await using clone = await tempDir();
  await git(clone.path, "clone", "-q", p.root, "work");
  const work = path.join(clone.path, "work");
  const stale = "stale prep: outputs missing from cache\n1 stale, 0 up to date\n";
  const tracked =
    "tracked inputs/x.csv: missing, and the cache does not hold its recorded content\n";
  assert.deepEqual(await runPivotInProcess(work, ["status"]), {
    code: 0,
    stdout: stale + tracked +
      "hint: content missing from the local cache may be on the remote: pivot pull\n",
    stderr: "",
  });
  assert.equal((await runPivotInProcess(work, ["remote", "remove", "origin"])).code, 0);
  assert.deepEqual(await runPivotInProcess(work, ["status"]), {
    code: 0,
    stdout: stale + tracked +
      "hint: no remote is configured to pull from ('pivot remote add'): put the tracked data back, then run 'pivot repro'\n",
    stderr: "",
  });
  await Deno.remove(path.join(work, "inputs/x.csv.pvt"));
  assert.deepEqual(await runPivotInProcess(work, ["status"]), {
    code: 0,
    stdout: stale +
      "hint: no remote is configured to pull from: 'pivot repro' produces the missing outputs again\n",
    stderr: "",
  });
});

Deno.test("pivot status after a git checkout of an older commit hints 'pivot checkout', which puts the outputs back", async () => {
  await using p = await project();
  await git(p.root, "init", "-q");
  await repro(p);
  const first = await commitAll(p.root, "lr 0.1");
  await setLr(p, "0.2");
  await repro(p);
  await commitAll(p.root, "lr 0.2");
  await git(p.root, "checkout", "-q", first);
  assert.deepEqual(await runPivotInProcess(p.root, ["status"]), {
    code: 0,
    stdout: `stale train: output train:model → ${MODEL} was modified\n` +
      "stale eval: upstream 'train' is stale\n" +
      "2 stale, 0 up to date\n" +
      CHECKOUT_HINT,
    stderr: "",
  });
  assert.equal((await runPivotInProcess(p.root, ["checkout"])).code, 0);
  assert.equal(await p.read(MODEL), "lr=0.1\n");
  assert.deepEqual(await runPivotInProcess(p.root, ["status"]), {
    code: 0,
    stdout: "2 up to date\n",
    stderr: "",
  });
});

for (const mode of ["hardlink", "symlink"]) {
  Deno.test(`an output edited in place through its ${mode} to the cache is reported as such; repro runs its stage and sets the damaged blob aside`, async () => {
    await using p = await project();
    assert.equal(
      (await runPivotInProcess(p.root, ["config", "set", "cache.checkout_mode", mode])).code,
      0,
    );
    await repro(p);
    const blob = blobOf(p.root, (await readLock(p.path(lockRel("ml", "train")))).outs[0]!.hash);
    assert.equal((await Deno.lstat(p.path(MODEL))).isSymlink, mode === "symlink");
    // As root may without it: the output is (or leads to) the read-only blob.
    await Deno.chmod(p.path(MODEL), 0o644);
    await Deno.writeTextFile(p.path(MODEL), "edited\n", { append: true });
    const reason = `output train:model → ${MODEL} was edited in place through its link to the ` +
      "cache, so the cached copy changed too";
    // No hint to check out: the cache no longer holds the recorded content.
    assert.deepEqual(await runPivotInProcess(p.root, ["status"]), {
      code: 0,
      stdout:
        `stale train: ${reason}\nstale eval: upstream 'train' is stale\n2 stale, 0 up to date\n`,
      stderr: "",
    });
    assert.equal(
      await repro(p),
      `ran train: ${reason} (T)\nup to date eval\n1 ran, 1 up to date (T)\n`,
    );
    assert.equal(await p.read(MODEL), "lr=0.1\n");
    assert.equal(await p.read("counter.txt"), "train\ntrain\n");
    assert.equal(await Deno.readTextFile(`${blob}.corrupt`), "lr=0.1\nedited\n");
  });
}

Deno.test("an output modified while the cache lacks its recorded content gets no hint to check it out", async () => {
  await using p = await project();
  await repro(p);
  const blob = blobOf(p.root, (await readLock(p.path(lockRel("ml", "train")))).outs[0]!.hash);
  await Deno.remove(blob);
  await Deno.remove(p.path(MODEL));
  await p.write(MODEL, "edited\n");
  assert.deepEqual(await runPivotInProcess(p.root, ["status"]), {
    code: 0,
    stdout: `stale train: output train:model → ${MODEL} was modified, and the cache does not ` +
      "hold its recorded content\nstale eval: upstream 'train' is stale\n2 stale, 0 up to date\n",
    stderr: "",
  });
});
