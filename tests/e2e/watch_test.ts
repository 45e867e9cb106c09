/**
 * `pivot repro --watch` end to end: a real watch process in a temp project,
 * files edited as a user would, and the output polled for the lines each
 * change must bring (no fixed sleeps: changes that must be ignored are made
 * before one that must be seen, so a mistake shows in the next trigger line).
 */
import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject } from "../_helpers/project.ts";
import { WatchProcess } from "../_helpers/watch_process.ts";

/** The quiet period the tests use (ms). */
const DEBOUNCE = "100";

const CHAIN = [
  "pipeline: ml",
  "stages:",
  "  prepare:",
  "    cmd: tr a-z A-Z < ${deps.raw} > ${outs}",
  "    deps: {raw: data/raw.csv}",
  "    outs: txt",
  "  train:",
  "    cmd: wc -c < ${deps.prep} | tr -d ' ' > ${outs}",
  "    deps: {prep: prepare}",
  "    outs: txt",
  "  other:",
  "    cmd: cat ${deps.x} > ${outs}",
  "    deps: {x: data/other.txt}",
  "    outs: txt",
  "",
].join("\n");

Deno.test("repro --watch: an edited input re-runs its stage and its downstream, nothing else", async () => {
  await using p = await makeProject({
    "pivot.yaml": CHAIN,
    "data/raw.csv": "abc\n",
    "data/other.txt": "other\n",
  });
  await using watch = new WatchProcess(p.root, ["--debounce", DEBOUNCE]);
  const first = await watch.iteration({ stdout: 0, stderr: 0 });
  assert.match(first, /^watching for changes \(Ctrl-C to stop\)\n/);
  assert.match(first, /^3 ran, 0 up to date \(T\)\n$/m);
  const mark = watch.mark();
  await p.write("data/raw.csv", "abcdef\n");
  assert.equal(
    await watch.iteration(mark),
    "changed: data/raw.csv → prepare\n" +
      "ran prepare: inputs changed (T)\n" +
      "ran train: inputs changed (T)\n" +
      "2 ran, 0 up to date (T)\n",
  );
  assert.equal(await p.read("data/ml/prepare.txt"), "ABCDEF\n");
  assert.equal(await p.read("data/ml/train.txt"), "7\n");
  const result = await watch.interrupt();
  assert.equal(result.code, 130);
  assert.equal(
    result.stderr,
    "warning: interrupted: watching stops (running stages are stopped, nothing half-done is recorded)\n",
  );
  assert.equal(await p.exists(".pivot/agent.sock"), false);
});

Deno.test("repro --watch: a file inside a directory dependency re-runs its consumer; editor droppings and .pivotignore'd files do not", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  summarize:",
      "    cmd: cat ${deps.notes}/*.txt > ${outs}",
      "    deps: {notes: notes}",
      "    outs: txt",
      "",
    ].join("\n"),
    ".pivotignore": "# scratch files\n*.log\n",
    "notes/a.txt": "a\n",
  });
  await using watch = new WatchProcess(p.root, ["--debounce", DEBOUNCE]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  const mark = watch.mark();
  // vim's swap file and write probe, backups, an emacs lock, a file .pivotignore lists:
  for (const name of [".a.txt.swp", "4913", "a.txt~", ".#a.txt", "debug.log"]) {
    await p.write(`notes/${name}`, "noise\n");
  }
  await p.write("notes/b.txt", "b\n");
  assert.equal(
    await watch.iteration(mark),
    "changed: notes/b.txt → summarize\n" +
      "ran summarize: inputs changed (T)\n" +
      "1 ran, 0 up to date (T)\n",
  );
  assert.equal(await p.read("data/ml/summarize.txt"), "a\nb\n");
  assert.equal((await watch.interrupt()).code, 130);
});

Deno.test("repro --watch: paths through a symlinked directory match the real ones", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  via_link:",
      "    cmd: cat ${deps.raw} > ${outs}",
      "    deps: {raw: linked/raw.csv}",
      "    outs: txt",
      "  via_real:",
      "    cmd: cat ${deps.raw} > ${outs}",
      "    deps: {raw: shared/other.csv}",
      "    outs: txt",
      "",
    ].join("\n"),
    "shared/raw.csv": "1\n",
    "shared/other.csv": "2\n",
  });
  await Deno.symlink("shared", p.path("linked"));
  await using watch = new WatchProcess(p.root, ["--debounce", DEBOUNCE]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  // The system names a directory by one of its paths only: one of these two needs real paths.
  let mark = watch.mark();
  await p.write("shared/raw.csv", "10\n");
  assert.match(
    await watch.iteration(mark),
    /^changed: (shared|linked)\/raw\.csv → via_link\nran via_link: inputs changed \(T\)\n/,
  );
  mark = watch.mark();
  await p.write("linked/other.csv", "20\n");
  assert.match(
    await watch.iteration(mark),
    /^changed: (shared|linked)\/other\.csv → via_real\nran via_real: inputs changed \(T\)\n/,
  );
  assert.equal(await p.read("data/ml/via_link.txt"), "10\n");
  assert.equal(await p.read("data/ml/via_real.txt"), "20\n");
  assert.equal((await watch.interrupt()).code, 130);
});

Deno.test("repro --watch: an edited helper of a run stage re-runs it with the new code", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  greet:",
      "    run: ./stages.ts#greet",
      "    deps: {name: name.txt}",
      "    outs: txt",
      "",
    ].join("\n"),
    "stages.ts": [
      'import { shout } from "./helpers.ts";',
      "export function greet({ deps }: { deps: { name: string } }) {",
      "  return shout(Deno.readTextFileSync(deps.name).trim()) + '\\n';",
      "}",
      "",
    ].join("\n"),
    "helpers.ts": "export function shout(text: string) {\n  return text.toUpperCase();\n}\n",
    "name.txt": "alice\n",
  });
  await using watch = new WatchProcess(p.root, ["--debounce", DEBOUNCE]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  assert.equal(await p.read("data/ml/greet.txt"), "ALICE\n");
  for (const [suffix, expected] of [["!", "ALICE!\n"], ["?", "ALICE?\n"]] as const) {
    const mark = watch.mark();
    await p.write(
      "helpers.ts",
      `export function shout(text: string) {\n  return text.toUpperCase() + "${suffix}";\n}\n`,
    );
    assert.equal(
      await watch.iteration(mark),
      "changed: helpers.ts → reloading the pipeline\n" +
        "pipeline reloaded: 1 stage (modified: greet)\n" +
        "ran greet: code changed (T)\n" +
        "1 ran, 0 up to date (T)\n",
    );
    assert.equal(await p.read("data/ml/greet.txt"), expected);
  }
  assert.equal((await watch.interrupt()).code, 130);
});

Deno.test("repro --watch: an edited params.yaml re-runs the stages whose params changed", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  prep:",
      "    cmd: echo prep > ${outs}",
      "    outs: txt",
      "  train:",
      "    cmd: echo ${params.lr} > ${outs}",
      "    deps: {data: prep}",
      "    outs: txt",
      "    params: {lr: 0.1}",
      "",
    ].join("\n"),
    "params.yaml": "train:\n  lr: 0.2\n",
  });
  await using watch = new WatchProcess(p.root, ["--debounce", DEBOUNCE]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  const mark = watch.mark();
  await p.write("params.yaml", "train:\n  lr: 0.5\n");
  assert.equal(
    await watch.iteration(mark),
    "changed: params.yaml → reloading the pipeline\n" +
      "pipeline reloaded: 2 stages (modified: train)\n" +
      "up to date prep\n" +
      "ran train: params changed (T)\n" +
      "1 ran, 1 up to date (T)\n",
  );
  assert.equal(await p.read("data/ml/train.txt"), "0.5\n");
  assert.equal((await watch.interrupt()).code, 130);
});

Deno.test("repro --watch --all: a pipeline added in a new directory runs, a removed one is dropped", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: main\nstages:\n  a:\n    cmd: echo a > ${outs}\n    outs: txt\n",
  });
  await using watch = new WatchProcess(p.root, ["--all", "--debounce", DEBOUNCE]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  let mark = watch.mark();
  await p.write(
    "sub/pivot.yaml",
    "pipeline: sub\nstages:\n  b:\n    cmd: echo b > ${outs}\n    outs: txt\n",
  );
  const added = (await watch.iteration(mark)).split("\n");
  assert.deepEqual(added.slice(0, 2), [
    "changed: sub/pivot.yaml → reloading the pipeline",
    "pipeline reloaded: 2 stages (added: b)",
  ]);
  assert.deepEqual(added.slice(2, 4).sort(), ["ran b: no previous run (T)", "up to date a"]);
  assert.deepEqual(added.slice(4), ["1 ran, 1 up to date (T)", ""]);
  assert.equal(await p.read("sub/data/sub/b.txt"), "b\n");
  mark = watch.mark();
  // Removed in one step (moved out of the project): a recursive delete is many, and the
  // watcher may rightly reload between them (the test process descheduled for longer than
  // the quiet period) and run b again into the half-deleted directory.
  const removed = await Deno.makeTempDir({ dir: `${p.root}/..` });
  await Deno.rename(p.path("sub"), `${removed}/sub`);
  await Deno.remove(removed, { recursive: true });
  assert.match(
    await watch.iteration(mark),
    /^changed: sub(\/pivot\.yaml)? → reloading the pipeline\npipeline reloaded: 1 stage \(removed: b\)\nup to date a\n0 ran, 1 up to date \(T\)\n$/,
  );
  assert.equal((await watch.interrupt()).code, 130);
});

Deno.test("repro --watch: a broken pipeline file is reported, the last good one keeps running changes, the fix is picked up", async () => {
  const good = (command: string) =>
    `pipeline: ml\nstages:\n  prepare:\n    cmd: ${command}\n    deps: {raw: raw.txt}\n    outs: txt\n`;
  await using p = await makeProject({
    "pivot.yaml": good("cat ${deps.raw} > ${outs}"),
    "raw.txt": "1\n",
  });
  await using watch = new WatchProcess(p.root, ["--debounce", DEBOUNCE]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  let mark = watch.mark();
  await p.write("pivot.yaml", "pipeline: ml\nstages:\n  prepare: [unclosed\n");
  await watch.waitFor(/^warning: the pipeline was not reloaded.*\n/m, {
    from: mark,
    stream: "stderr",
  });
  assert.equal(
    watch.stdout.slice(mark.stdout),
    "changed: pivot.yaml → reloading the pipeline\n",
  );
  assert.match(
    watch.stderr.slice(mark.stderr),
    /^error: pivot\.yaml:\d+:\d+: invalid YAML: .+\nwarning: the pipeline was not reloaded: the last good one \(1 stage\) stays in use until the error is fixed\n$/,
  );
  mark = watch.mark();
  await p.write("raw.txt", "2\n");
  assert.equal(
    await watch.iteration(mark),
    "changed: raw.txt → prepare\nran prepare: inputs changed (T)\n1 ran, 0 up to date (T)\n",
  );
  assert.equal(await p.read("data/ml/prepare.txt"), "2\n");
  mark = watch.mark();
  await p.write("pivot.yaml", good("sort ${deps.raw} > ${outs}"));
  assert.equal(
    await watch.iteration(mark),
    "changed: pivot.yaml → reloading the pipeline\n" +
      "pipeline reloaded: 1 stage (modified: prepare)\n" +
      "ran prepare: code changed (T)\n" +
      "1 ran, 0 up to date (T)\n",
  );
  assert.equal((await watch.interrupt()).code, 130);
});

Deno.test("repro --watch: a failing stage does not end the loop", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  check:",
      "    cmd: grep -q ok ${deps.in} && cp ${deps.in} ${outs}",
      "    deps: {in: in.txt}",
      "    outs: txt",
      "",
    ].join("\n"),
    "in.txt": "bad\n",
  });
  await using watch = new WatchProcess(p.root, ["--debounce", DEBOUNCE]);
  const first = await watch.iteration({ stdout: 0, stderr: 0 });
  assert.match(first, /^0 ran, 0 up to date, 1 failed \(T\)\n$/m);
  assert.match(watch.stderr, /^FAILED check: /m);
  const mark = watch.mark();
  await p.write("in.txt", "ok\n");
  assert.equal(
    await watch.iteration(mark),
    "changed: in.txt → check\nran check: no previous run (T)\n1 ran, 0 up to date (T)\n",
  );
  assert.equal((await watch.interrupt()).code, 130);
});

for (
  const [signal, code, word] of [
    ["SIGINT", 130, "interrupted"],
    ["SIGTERM", 143, "terminated"],
    ["SIGHUP", 129, "hung up"],
  ] as const
) {
  Deno.test(`repro --watch: ${signal} during a run stops it, records nothing and exits ${code}`, async () => {
    await using p = await makeProject({
      "pivot.yaml": "pipeline: ml\nstages:\n  slow:\n" +
        "    cmd: echo go > started.txt; sleep 30 & wait; echo done > ${outs}\n    outs: txt\n",
    });
    await using watch = new WatchProcess(p.root, ["--debounce", DEBOUNCE]);
    await watch.until("the stage started", () => p.exists("started.txt"));
    const started = Date.now();
    const result = await watch.interrupt(signal);
    assert.ok(Date.now() - started < 10_000, "it stopped without waiting for the stage");
    assert.equal(result.code, code);
    assert.match(result.stderr, new RegExp(`^warning: ${word}: watching stops`, "m"));
    assert.match(result.stderr, /^FAILED slow: interrupted/m);
    assert.match(result.stdout, /^0 ran, 0 up to date, 1 failed, interrupted \(\d+\.\ds\)\n$/m);
    assert.equal(await p.exists(".pivot/stages/ml/slow.lock"), false);
    assert.equal(await p.exists(".pivot/stages/ml/slow.running"), false);
    assert.equal(await p.exists("data/ml/slow.txt"), false);
  });
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`repro --watch: ${signal} while a pipeline.ts is loading stops the load and exits ${code} at once`, async () => {
    await using p = await makeProject({
      // Far longer than the wait below: the load is stopped by the signal, not the timeout.
      ".pivot/config.yaml": "core:\n  load_timeout: 20\n",
      "pipeline.ts": 'await Deno.writeTextFile("loading.txt", "");\n' +
        "await new Promise(() => {});\nexport default { stages: {} };\n",
    });
    await using watch = new WatchProcess(p.root, ["--debounce", DEBOUNCE]);
    await watch.until("the pipeline is loading", () => p.exists("loading.txt"));
    const started = Date.now();
    const result = await watch.interrupt(signal);
    assert.ok(Date.now() - started < 10_000, "it stopped without waiting for the load timeout");
    assert.equal(result.code, code);
    assert.doesNotMatch(result.stderr, /did not finish loading/);
    assert.doesNotMatch(result.stderr, /^error:/m);
  });
}

Deno.test("repro --watch --json: watch_trigger and pipeline_reloaded events among the run's", async () => {
  await using p = await makeProject({
    "pivot.yaml": CHAIN,
    "data/raw.csv": "a\n",
    "data/other.txt": "o\n",
  });
  await using watch = new WatchProcess(p.root, ["--json", "--debounce", DEBOUNCE, "train"]);
  const summary = /^\{"type":"summary".*\n/m;
  const events = (text: string) => text.trim().split("\n").map((line) => JSON.parse(line));
  const first = events(await watch.waitFor(summary));
  assert.deepEqual(first[0], {
    type: "watch_trigger",
    source: "initial",
    paths: [],
    stages: [],
    reload: true,
  });
  // The targets' selection: other is not watched.
  assert.deepEqual(
    first.filter((e) => e.type === "stage_complete").map((e) => e.stage),
    ["prepare", "train"],
  );
  let mark = watch.mark();
  await p.write("data/other.txt", "ignored: not a dependency of train\n");
  await p.write("data/raw.csv", "ab\n");
  const change = events(await watch.waitFor(summary, { from: mark }));
  assert.deepEqual(change[0], {
    type: "watch_trigger",
    source: "change",
    paths: ["data/raw.csv"],
    stages: ["prepare"],
    reload: false,
  });
  mark = watch.mark();
  await p.write("pivot.yaml", CHAIN.replace("tr a-z A-Z", "tr a-z A-Z "));
  const reload = events(await watch.waitFor(summary, { from: mark }));
  assert.deepEqual(reload.slice(0, 2), [
    { type: "watch_trigger", source: "change", paths: ["pivot.yaml"], stages: [], reload: true },
    {
      type: "pipeline_reloaded",
      stages: ["prepare", "train", "other"],
      stages_added: [],
      stages_removed: [],
      stages_modified: ["prepare"],
      error: null,
      hint: null,
    },
  ]);
  assert.deepEqual(
    reload.filter((e) => e.type === "stage_complete").map((e) => [e.stage, e.status, e.reason]),
    [["prepare", "ran", "code changed"], ["train", "skipped", "up to date"]],
  );
  assert.equal((await watch.interrupt()).code, 130);
});

Deno.test("repro --watch: a tracked input that no longer matches its .pvt is reported, and track --force runs its consumer", async () => {
  await using p = await makeProject({
    "pivot.yaml":
      "pipeline: ml\nstages:\n  prepare:\n    cmd: cat ${deps.raw} > ${outs}\n    deps: {raw: raw.csv}\n    outs: txt\n",
    "raw.csv": "1\n",
  });
  assert.equal((await runPivotInProcess(p.root, ["track", "raw.csv"])).code, 0);
  await using watch = new WatchProcess(p.root, ["--debounce", DEBOUNCE]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  let mark = watch.mark();
  // The tracked copy is a read-only link into the cache: an editor writes a new file.
  await Deno.remove(p.path("raw.csv"));
  await p.write("raw.csv", "2\n");
  await watch.waitFor(/^hint: .*\n/m, { from: mark, stream: "stderr" });
  assert.equal(watch.stdout.slice(mark.stdout), "changed: raw.csv → prepare\n");
  assert.equal(
    watch.stderr.slice(mark.stderr),
    "error: tracked input does not match its .pvt file, so nothing was run:\n" +
      "  raw.csv (read by prepare): modified\n" +
      "hint: `pivot track --force raw.csv` records the workspace's content, or `pivot checkout --force raw.csv` restores what the .pvt file records (discarding the workspace's content, which no cache holds)\n",
  );
  mark = watch.mark();
  assert.equal((await runPivotInProcess(p.root, ["track", "--force", "raw.csv"])).code, 0);
  // track writes the file and its .pvt: one batch, or two when the machine is slow.
  const fixed = await watch.iteration(mark);
  assert.match(fixed, /^changed: (raw\.csv, )?raw\.csv\.pvt → prepare\n/m);
  assert.match(fixed, /\nran prepare: inputs changed \(T\)\n1 ran, 0 up to date \(T\)\n$/);
  assert.equal(await p.read("data/ml/prepare.txt"), "2\n");
  assert.equal((await watch.interrupt()).code, 130);
});
