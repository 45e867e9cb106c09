import assert from "node:assert/strict";
import * as path from "node:path";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import {
  makeProject,
  runPivot,
  type TempProject,
  treeWithoutStateDb,
} from "../_helpers/project.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import {
  blobOf,
  completions,
  jsonEvents,
  lockFiles,
  lockRel,
  present,
  readLock,
  timeless,
} from "./_fixtures/engine.ts";

/**
 * prep → train → report, each appending its name to counter.txt (so runs can
 * be counted). train does not read its input, so a changed raw.csv re-runs
 * prep and train but leaves report up to date.
 */
const ML_YAML = `pipeline: ml
stages:
  prep:
    cmd: echo prep >> counter.txt && echo "copying \${deps.raw}" && cp \${deps.raw} \${outs}
    deps: {raw: raw.csv}
    outs: csv
  train:
    cmd: echo train >> counter.txt && echo "lr=\${params.lr}" > \${outs.model}
    deps: {data: prep}
    outs: {model: txt}
    params: {lr: 0.1}
  report:
    cmd: echo report >> counter.txt && cat \${deps.m} > \${outs}
    deps: {m: train:model}
    outs: txt
`;
const RAW = "a,b\n1,2\n";
const MODEL = "data/ml/train/model.txt";
const REPORT = "data/ml/report.txt";
const FIRST_RUN = "copying raw.csv\n" +
  "ran prep: no previous run (T)\n" +
  "ran train: no previous run (T)\n" +
  "ran report: no previous run (T)\n" +
  "3 ran, 0 up to date (T)\n";

function mlProject(): Promise<TempProject> {
  return makeProject({ "pivot.yaml": ML_YAML, "raw.csv": RAW });
}

/** The ML project after one successful `repro`. */
async function ranMl(): Promise<TempProject> {
  const p = await mlProject();
  const first = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(timeless(first.stdout), FIRST_RUN);
  assert.equal(first.stderr, "");
  return p;
}

async function setLr(p: TempProject, lr: string): Promise<void> {
  const text = await p.read("pivot.yaml");
  const next = text.replace(/lr: [0-9.]+/, `lr: ${lr}`);
  assert.notEqual(next, text);
  await p.write("pivot.yaml", next);
}

Deno.test("repro runs each stage once, records locks, and a second repro does nothing", async () => {
  await using p = await ranMl();
  assert.equal(await p.read("counter.txt"), "prep\ntrain\nreport\n");
  assert.equal(await p.read(REPORT), "lr=0.1\n");
  assert.equal(await p.read("data/ml/prep.csv"), RAW);

  const lock = await readLock(p.path(lockRel("ml", "train")));
  assert.equal(lock.stage, "train");
  assert.equal(lock.pipeline, "ml");
  assert.deepEqual(lock.params, { lr: 0.1 });
  assert.deepEqual(lock.deps, [{
    name: "data",
    identity: "prep",
    path: "data/ml/prep.csv",
    hash: hashBytes(RAW),
  }]);
  assert.deepEqual(lock.outs, [{
    key: "model",
    path: MODEL,
    hash: hashBytes("lr=0.1\n"),
    cache: true,
  }]);
  assert.deepEqual([...lockFiles(p.path(".pivot/stages")).keys()], [
    "ml/prep.lock",
    "ml/report.lock",
    "ml/train.lock",
  ]);
  const locksBefore = lockFiles(p.path(".pivot"));

  const second = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(
    timeless(second.stdout),
    "up to date prep\nup to date train\nup to date report\n0 ran, 3 up to date (T)\n",
  );
  assert.equal(second.stderr, "");
  assert.equal(await p.read("counter.txt"), "prep\ntrain\nreport\n");
  assert.deepEqual(lockFiles(p.path(".pivot")), locksBefore);

  // --force re-runs the selected stages (the target and its upstream) anyway.
  const forced = await runPivotInProcess(p.root, ["repro", "--force", "train"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(
    timeless(forced.stdout),
    "copying raw.csv\nran prep: forced (T)\nran train: forced (T)\n2 ran, 0 up to date (T)\n",
  );
  assert.equal(await p.read("counter.txt"), "prep\ntrain\nreport\nprep\ntrain\n");
});

Deno.test("a params change re-runs the stage and its downstream; going back restores from the run cache", async () => {
  await using p = await ranMl();
  await setLr(p, "0.2");
  const changed = await runPivotInProcess(p.root, ["repro", "--explain"]);
  assert.equal(changed.code, 0, changed.stderr);
  assert.equal(
    timeless(changed.stdout),
    "up to date prep\n" +
      "ran train: params changed (T)\n" +
      "    params: lr: 0.1 → 0.2\n" +
      "ran report: inputs changed (T)\n" +
      `    input: train:model → ${MODEL} changed\n` +
      "2 ran, 1 up to date (T)\n",
  );
  assert.equal(await p.read("counter.txt"), "prep\ntrain\nreport\ntrain\nreport\n");
  assert.equal(await p.read(REPORT), "lr=0.2\n");
  assert.deepEqual((await readLock(p.path(lockRel("ml", "train")))).params, { lr: 0.2 });

  await setLr(p, "0.1");
  const back = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(back.code, 0, back.stderr);
  assert.equal(
    timeless(back.stdout),
    "up to date prep\n" +
      "restored train: restored from the run cache (params changed)\n" +
      "restored report: restored from the run cache (inputs changed)\n" +
      "0 ran, 1 up to date, 2 restored (T)\n",
  );
  // Nothing ran: the commands did not append to the counter.
  assert.equal(await p.read("counter.txt"), "prep\ntrain\nreport\ntrain\nreport\n");
  assert.equal(await p.read(MODEL), "lr=0.1\n");
  assert.equal(await p.read(REPORT), "lr=0.1\n");
  const lock = await readLock(p.path(lockRel("ml", "train")));
  assert.deepEqual(lock.params, { lr: 0.1 });
  assert.equal(lock.outs[0]!.hash, hashBytes("lr=0.1\n"));

  const again = await runPivotInProcess(p.root, ["repro", "--json"]);
  assert.equal(again.code, 0, again.stderr);
  const statuses = [...completions(jsonEvents(again.stdout)).values()].map((e) => e.status);
  assert.deepEqual(statuses, ["skipped", "skipped", "skipped"]);
});

Deno.test("a deleted output is restored from the cache without running; a changed input re-runs", async () => {
  await using p = await ranMl();
  await Deno.remove(p.path(MODEL));
  const restored = await runPivotInProcess(p.root, ["repro", "--json"]);
  assert.equal(restored.code, 0, restored.stderr);
  const events = jsonEvents(restored.stdout);
  const done = completions(events);
  assert.equal(done.get("prep")!.status, "skipped");
  assert.equal(done.get("train")!.status, "restored");
  assert.equal(done.get("train")!.reason, "outputs restored from the cache");
  assert.equal(done.get("report")!.status, "skipped");
  assert.deepEqual(
    { ...events.at(-1)!, duration_ms: 0 },
    {
      type: "summary",
      ran: 0,
      skipped: 2,
      restored: 1,
      failed: 0,
      blocked: 0,
      duration_ms: 0,
      interrupted: false,
    },
  );
  assert.equal(await p.read("counter.txt"), "prep\ntrain\nreport\n");
  assert.equal(await p.read(MODEL), "lr=0.1\n");
  const model = await Deno.stat(p.path(MODEL));
  assert.equal(model.mode! & 0o222, 0, "a cached output is read-only");
  assert.equal(model.ino, (await Deno.stat(blobOf(p.root, hashBytes("lr=0.1\n")))).ino);

  await Deno.remove(p.path("raw.csv"));
  await p.write("raw.csv", "a,b\n1,2\n3,4\n");
  const rerun = await runPivotInProcess(p.root, ["repro", "--explain"]);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal(
    timeless(rerun.stdout),
    "copying raw.csv\n" +
      "ran prep: inputs changed (T)\n" +
      "    input: raw.csv changed\n" +
      "ran train: inputs changed (T)\n" +
      "    input: prep → data/ml/prep.csv changed\n" +
      // train wrote the same model, so report stays up to date.
      "up to date report\n" +
      "2 ran, 1 up to date (T)\n",
  );
  assert.equal(await p.read("counter.txt"), "prep\ntrain\nreport\nprep\ntrain\n");
  assert.equal(await p.read("data/ml/prep.csv"), "a,b\n1,2\n3,4\n");
});

/** a → b → c, and d on its own; a and b have a param. */
const TARGETS_YAML = `pipeline: ml
stages:
  a:
    cmd: echo a >> counter.txt && echo \${params.p} > \${outs}
    outs: txt
    params: {p: 1}
  b:
    cmd: echo b >> counter.txt && cat \${deps.x} > \${outs} && echo \${params.p} >> \${outs}
    deps: {x: a}
    outs: txt
    params: {p: 1}
  c:
    cmd: echo c >> counter.txt && cat \${deps.x} > \${outs}
    deps: {x: b}
    outs: txt
  d:
    cmd: echo d >> counter.txt && echo d > \${outs}
    outs: txt
`;

Deno.test("repro TARGET runs the target and its upstream; run STAGE runs exactly that stage", async () => {
  await using p = await makeProject({ "pivot.yaml": TARGETS_YAML });
  const target = await runPivotInProcess(p.root, ["repro", "b"]);
  assert.equal(target.code, 0, target.stderr);
  assert.equal(
    timeless(target.stdout),
    "ran a: no previous run (T)\nran b: no previous run (T)\n2 ran, 0 up to date (T)\n",
  );
  assert.equal(await p.read("counter.txt"), "a\nb\n");
  assert.equal(await p.exists(lockRel("ml", "c")), false);
  assert.equal(await p.exists(lockRel("ml", "d")), false);
  assert.equal(await p.exists("data/ml/d.txt"), false);

  const edited = (await p.read("pivot.yaml")).replaceAll("params: {p: 1}", "params: {p: 2}");
  await p.write("pivot.yaml", edited);
  const exactly = await runPivotInProcess(p.root, ["run", "b"]);
  assert.equal(exactly.code, 0, exactly.stderr);
  assert.equal(timeless(exactly.stdout), "ran b: params changed (T)\n1 ran, 0 up to date (T)\n");
  assert.equal(await p.read("counter.txt"), "a\nb\nb\n");
  // a was not run although its params changed too: b read the old a.
  assert.equal(await p.read("data/ml/a.txt"), "1\n");
  assert.equal(await p.read("data/ml/b.txt"), "1\n2\n");
  assert.deepEqual((await readLock(p.path(lockRel("ml", "a")))).params, { p: 1 });

  const downstream = await runPivotInProcess(p.root, ["run", "c"]);
  assert.equal(downstream.code, 0, downstream.stderr);
  assert.equal(
    timeless(downstream.stdout),
    "ran c: no previous run (T)\n1 ran, 0 up to date (T)\n",
  );
  assert.equal(await p.read("counter.txt"), "a\nb\nb\nc\n");
});

Deno.test("repro --dry-run lists what would run and why, and changes nothing", async () => {
  await using fresh = await mlProject();
  const before = treeWithoutStateDb(fresh.root);
  const dry = await runPivotInProcess(fresh.root, ["repro", "--dry-run"]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(
    dry.stdout,
    "would run prep: no previous run\n" +
      "would run train: upstream 'prep' is stale\n" +
      "would run report: upstream 'train' is stale\n" +
      "3 would run, 0 up to date\n",
  );
  assert.equal(dry.stderr, "");
  assert.deepEqual(treeWithoutStateDb(fresh.root), before);

  await using p = await ranMl();
  await setLr(p, "0.2");
  const locks = lockFiles(p.path(".pivot"));
  const explained = await runPivotInProcess(p.root, ["repro", "-n", "--explain"]);
  assert.equal(explained.code, 0, explained.stderr);
  assert.equal(
    explained.stdout,
    "would run train: params changed\n" +
      "    params: lr: 0.1 → 0.2\n" +
      "would run report: upstream 'train' is stale\n" +
      "2 would run, 1 up to date\n",
  );
  assert.equal(await p.read("counter.txt"), "prep\ntrain\nreport\n");
  assert.equal(await p.read(MODEL), "lr=0.1\n");
  assert.deepEqual(lockFiles(p.path(".pivot")), locks);
});

Deno.test("repro --no-commit runs the stages but writes no lock and no cache", async () => {
  await using p = await mlProject();
  const uncommitted = await runPivotInProcess(p.root, ["repro", "--no-commit"]);
  assert.equal(uncommitted.code, 0, uncommitted.stderr);
  assert.equal(timeless(uncommitted.stdout), FIRST_RUN);
  assert.equal(await p.read(REPORT), "lr=0.1\n");
  assert.deepEqual(lockFiles(p.path(".pivot")), new Map());
  assert.equal(await p.exists(".pivot/cache"), false);
  const model = await Deno.stat(p.path(MODEL));
  assert.equal(model.nlink, 1, "an uncommitted output is not linked to a cache");

  const committed = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(committed.code, 0, committed.stderr);
  assert.equal(timeless(committed.stdout), FIRST_RUN);
  assert.equal(await p.read("counter.txt"), "prep\ntrain\nreport\nprep\ntrain\nreport\n");
  assert.equal(await p.exists(lockRel("ml", "report")), true);
});

Deno.test("repro --json prints one JSON event per line: start, log, complete, summary", async () => {
  await using p = await mlProject();
  const result = await runPivotInProcess(p.root, ["repro", "--json"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  const events = jsonEvents(result.stdout);
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.stage ?? ""}`.trim()),
    [
      "stage_start prep",
      "stage_log prep",
      "stage_complete prep",
      "stage_start train",
      "stage_complete train",
      "stage_start report",
      "stage_complete report",
      "summary",
    ],
  );
  assert.deepEqual(events[0], { type: "stage_start", stage: "prep", index: 1, total: 3 });
  assert.deepEqual(events[1], {
    type: "stage_log",
    stage: "prep",
    line: "copying raw.csv",
    stream: "stdout",
  });
  const complete = events[2]!;
  assert.equal(typeof complete.duration_ms, "number");
  assert.deepEqual({ ...complete, duration_ms: 0 }, {
    type: "stage_complete",
    stage: "prep",
    index: 1,
    total: 3,
    status: "ran",
    reason: "no previous run",
    details: [],
    duration_ms: 0,
  });
  const summary = events.at(-1)!;
  assert.equal(summary.ran, 3);
  assert.equal(summary.skipped, 0);
  assert.equal(summary.failed, 0);
  assert.equal(summary.interrupted, false);
});

Deno.test("cmd stages run in the pipeline's directory with ${…} filled in and PIVOT_* set", async () => {
  const pipeline = [
    "pipeline: sub",
    "stages:",
    "  show:",
    "    cmd: >-",
    "      printf '<%s>\\n' ${deps.xs} ${deps.sp} ${params.a.b} ${params.n} ${stage} ${outs.words}",
    "      > ${outs.words};",
    `      printf '%s\\n' "$(pwd)" "$PIVOT_STAGE" "$PIVOT_DEP_XS" "$PIVOT_DEP_SP"`,
    `      "$PIVOT_OUT_WORDS" "$PIVOT_OUT_ENV" > \${outs.env};`,
    `      cp "$PIVOT_PARAMS" \${outs.params}`,
    "    deps: {xs: [../shared/a.txt, ../shared/b.txt], sp: ../shared/my file.txt}",
    "    outs: {words: txt, env: txt, params: json}",
    "    params: {a: {b: two  words}, n: 3}",
    "  quote:",
    `    cmd: printf '[%s]\\n' \${params.m} "\${params.m}" '\${params.m}' "pre-\${params.m}-post" \${params.list} > \${outs}`,
    "    outs: txt",
    `    params: {m: "a\\"b $c \`d\` 'e' \\\\f", list: [1, 2]}`,
    "  single:",
    `    cmd: printf '%s|%s\\n' \${outs} "$PIVOT_OUT" > \${outs}`,
    "    outs: txt",
    "",
  ].join("\n");
  await using p = await makeProject({
    "pipes/pivot.yaml": pipeline,
    "shared/a.txt": "a\n",
    "shared/b.txt": "b\n",
    "shared/my file.txt": "spaced\n",
  });
  // Run from the project root: the stages still run in pipes/.
  const result = await runPivotInProcess(p.root, ["repro", "--all"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    await p.read("pipes/data/sub/show/words.txt"),
    [
      "<../shared/a.txt>",
      "<../shared/b.txt>",
      "<../shared/my file.txt>",
      "<two  words>",
      "<3>",
      "<show>",
      "<data/sub/show/words.txt>",
      "",
    ].join("\n"),
  );
  const pipes = p.path("pipes");
  assert.equal(
    await p.read("pipes/data/sub/show/env.txt"),
    [
      pipes,
      "show",
      [p.path("shared/a.txt"), p.path("shared/b.txt")].join(path.delimiter),
      p.path("shared/my file.txt"),
      path.join(pipes, "data/sub/show/words.txt"),
      path.join(pipes, "data/sub/show/env.txt"),
      "",
    ].join("\n"),
  );
  assert.deepEqual(JSON.parse(await p.read("pipes/data/sub/show/params.json")), {
    a: { b: "two  words" },
    n: 3,
  });
  assert.equal(
    await p.read("pipes/data/sub/single.txt"),
    `data/sub/single.txt|${path.join(pipes, "data/sub/single.txt")}\n`,
  );
  // Each value is one literal word, whatever quotes it sits in.
  const m = "a\"b $c `d` 'e' \\f";
  assert.equal(
    await p.read("pipes/data/sub/quote.txt"),
    `[${m}]\n[${m}]\n[${m}]\n[pre-${m}-post]\n[[1,2]]\n`,
  );
  assert.equal(await p.exists(lockRel("sub", "show", "pipes")), true);
});

Deno.test("a stage that does not write a declared output fails and records nothing", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  lazy:\n    cmd: echo forgot\n    outs: {model: json}\n",
  });
  // A real process: exit status and output end to end.
  const result = await runPivot(p.root, ["repro"]);
  assert.equal(result.code, 1);
  assert.equal(timeless(result.stdout), "forgot\n0 ran, 0 up to date, 1 failed (T)\n");
  assert.match(
    result.stderr,
    /^FAILED lazy: stage did not produce output lazy:model → data\/ml\/lazy\/model\.json \(\d+\.\ds\)\n$/,
  );
  assert.equal(await p.exists(lockRel("ml", "lazy")), false);
  assert.equal(await p.exists(".pivot/cache"), false);
});

/** A root pipeline using two stages of sub-pipeline prep (a cmd and a run stage). */
function subPipelineFiles(): Record<string, string> {
  return {
    "pivot.yaml": [
      "pipeline: top",
      "stages:",
      "  use:",
      "    cmd: cat ${deps.c} ${deps.f} > ${outs}",
      "    deps: {c: prep/clean, f: 'prep/feat:rows'}",
      "    outs: txt",
      "",
    ].join("\n"),
    "prep/pivot.yaml": [
      "pipeline: prep",
      "stages:",
      "  clean:",
      "    cmd: tr a-z A-Z < ${deps.raw} > ${outs}",
      "    deps: {raw: raw.txt}",
      "    outs: txt",
      "  feat:",
      "    run: ./feat.ts#feat",
      "    deps: {text: clean}",
      "    outs: {rows: json}",
      "",
    ].join("\n"),
    "prep/feat.ts":
      "export function feat({ deps }: { deps: { text: string } }) {\n  return { rows: deps.text.trim().split(' ') };\n}\n",
    "prep/raw.txt": "hello world\n",
  };
}

Deno.test("repro --all from the root and repro in the sub-pipeline record the same locks", async () => {
  await using whole = await makeProject(subPipelineFiles());
  const all = await runPivotInProcess(whole.root, ["repro", "--all"]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(
    timeless(all.stdout),
    "ran clean: no previous run (T)\n" +
      "ran feat: no previous run (T)\n" +
      "ran use: no previous run (T)\n" +
      "3 ran, 0 up to date (T)\n",
  );

  await using split = await makeProject(subPipelineFiles());
  const sub = await runPivotInProcess(split.path("prep"), ["repro"]);
  assert.equal(sub.code, 0, sub.stderr);
  assert.equal(
    timeless(sub.stdout),
    "ran clean: no previous run (T)\nran feat: no previous run (T)\n2 ran, 0 up to date (T)\n",
  );
  const root = await runPivotInProcess(split.root, ["repro", "--all"]);
  assert.equal(root.code, 0, root.stderr);
  assert.equal(
    timeless(root.stdout),
    "up to date clean\nup to date feat\nran use: no previous run (T)\n1 ran, 2 up to date (T)\n",
  );

  // The sub-pipeline's locks live in its own state dir.
  const wholeLocks = lockFiles(whole.root);
  assert.deepEqual([...wholeLocks.keys()], [
    ".pivot/stages/top/use.lock",
    "prep/.pivot/stages/prep/clean.lock",
    "prep/.pivot/stages/prep/feat.lock",
  ]);
  assert.deepEqual(lockFiles(split.root), wholeLocks);
  assert.equal(
    await split.read("data/top/use.txt"),
    'HELLO WORLD\n[\n  "HELLO",\n  "WORLD"\n]\n',
  );

  const subAgain = await runPivotInProcess(whole.path("prep"), ["repro"]);
  assert.equal(subAgain.code, 0, subAgain.stderr);
  assert.equal(
    timeless(subAgain.stdout),
    "up to date clean\nup to date feat\n0 ran, 2 up to date (T)\n",
  );
  assert.deepEqual(lockFiles(whole.root), wholeLocks);
  assert.equal(await present(whole.path(".pivot/stages/prep")), false);
});

// At a199f5d the lock recorded the identity the DAG happened to use (`clean` with --all,
// `prep/clean` without), so the same run wrote different locks.
Deno.test("a lock names a cross-pipeline input the same way with and without --all", async () => {
  await using p = await makeProject(subPipelineFiles());
  const all = await runPivotInProcess(p.root, ["repro", "--all"]);
  assert.equal(all.code, 0, all.stderr);
  const before = await p.read(lockRel("top", "use"));
  const forced = await runPivotInProcess(p.root, ["repro", "--force", "use"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(await p.read(lockRel("top", "use")), before);
});

Deno.test("repro records each output under the hash of its content, and caches that content", async () => {
  const count = 20;
  const stages = Array.from({ length: count }, (_, i) =>
    [
      `  s${i}:`,
      `    cmd: printf '${"x".repeat(i)}%s\\n' ${i} > \${outs}`,
      "    outs: txt",
    ].join("\n"));
  await using p = await makeProject({
    "pivot.yaml": `pipeline: ml\nstages:\n${stages.join("\n")}\n`,
  });
  const result = await runPivotInProcess(p.root, ["repro", "-q", "-j", "2"]);
  assert.equal(result.code, 0, result.stderr);
  for (let i = 0; i < count; i++) {
    const content = await p.read(`data/ml/s${i}.txt`);
    assert.equal(content, `${"x".repeat(i)}${i}\n`);
    const [out] = (await readLock(p.path(lockRel("ml", `s${i}`)))).outs;
    assert.equal(out!.hash, hashBytes(content), `s${i}`);
    assert.equal(await Deno.readTextFile(blobOf(p.root, out!.hash)), content, `s${i}`);
  }
});
