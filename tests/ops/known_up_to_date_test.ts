/**
 * Incremental runs after a change: the stamp of the last run that left
 * everything up to date tells which stages a change of a few data paths
 * feeds (`knownUpToDate`), and `repro` assesses only those and their
 * downstream; any change to what the project was loaded from (pipeline
 * file, params, config, a stage's code) assesses every stage. Each case
 * checks both what `knownUpToDate` vouches for and what the run then does
 * (a stage wrongly vouched for would be reported up to date instead of run).
 *
 * Stamps are written only from signatures outside the racy window (20 ms on
 * file systems keeping times to the nanosecond): the tests wait for it
 * after each run.
 *
 * @module
 */
import assert from "node:assert/strict";
import { answerNoopStamp } from "../../src/ops/answer_noop_stamp.ts";
import { knownUpToDate } from "../../src/ops/known_up_to_date.ts";
import { noopStampKey, type StampLook } from "../../src/ops/noop_stamp.ts";
import { selectTargets } from "../../src/ops/select_targets.ts";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { processEnv } from "../../src/util/env_reader.ts";
import { openSession } from "../../src/session/mod.ts";
import { runFastNoopInProcess, runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { timeless } from "../e2e/_fixtures/engine.ts";

/** Longer than the racy window of stamps on file systems keeping times to the nanosecond. */
const SETTLE_MS = FINE_RACY_WINDOW_MS + 30;

/**
 * a, b, c copy their inputs (c also reads the helper module of solo's code);
 * ab reads a and b; top reads ab and c; solo reads d.txt.
 */
const FILES: Record<string, string> = {
  "pivot.yaml": `pipeline: p
stages:
  a:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: a.txt}
    outs: txt
  b:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: b.txt}
    outs: txt
  c:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: c.txt, code: helper.ts}
    outs: txt
  ab:
    cmd: cat \${deps.x} \${deps.y} > \${outs}
    deps: {x: a, y: b}
    outs: txt
    params: {n: 1}
  top:
    cmd: cat \${deps.x} \${deps.y} > \${outs}
    deps: {x: ab, y: c}
    outs: txt
  solo:
    run: ./stages.ts#solo
    deps: {in: d.txt}
    outs: txt
`,
  "stages.ts": `import { tag } from "./helper.ts";
export function solo({ deps }: { deps: { in: string } }) {
  return tag(Deno.readTextFileSync(deps.in));
}
`,
  "helper.ts": "export function tag(text: string): string {\n  return `solo ${text}`;\n}\n",
  "a.txt": "a\n",
  "b.txt": "b\n",
  "c.txt": "c\n",
  "d.txt": "d\n",
};

const STAGES = ["a", "b", "c", "solo", "ab", "top"];

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `pivot repro ...args` in-process; returns its output without
 * durations, the stage lines sorted (they come in the order stages end).
 */
async function repro(p: TempProject, args: readonly string[] = [], cwd = p.root): Promise<string> {
  const result = await runPivotInProcess(cwd, ["repro", ...args]);
  assert.equal(result.code, 0, result.stderr);
  await pause(SETTLE_MS);
  return sorted(timeless(result.stdout));
}

/** `text`'s lines sorted, but for the last (the summary). */
function sorted(text: string): string {
  const all = text.split("\n").slice(0, -1);
  return lines(...all.slice(0, -1).sort(), ...all.slice(-1));
}

/** What `knownUpToDate` vouches for before `pivot repro ...args` in `cwd` (sorted), or `null`. */
async function known(p: TempProject, args: readonly string[] = [], cwd = p.root) {
  const all = args.includes("--all");
  await using session = await openSession({ cwd, all, warn: () => {} });
  const stages = await selectTargets(session.project, [], true);
  const key = noopStampKey({ mode: "repro", all, targets: [], cwd, env: processEnv });
  const found = knownUpToDate(session, await session.projectDb(), key, stages);
  return found === null ? null : [...found.stages].sort();
}

/** The project, run once (leaving the stamp). */
async function ranProject(): Promise<TempProject> {
  const p = await makeProject(FILES);
  await repro(p);
  assert.equal(
    await repro(p),
    sorted(lines(...STAGES.map((name) => `up to date ${name}`), "0 ran, 6 up to date (T)")),
  );
  return p;
}

/** `items` as lines. */
function lines(...items: string[]): string {
  return items.map((item) => `${item}\n`).join("");
}

Deno.test("a changed input re-runs exactly its consumers and their downstream", async () => {
  await using p = await ranProject();
  await p.write("a.txt", "a changed\n");
  assert.deepEqual(await known(p), ["b", "c", "solo"]);
  assert.equal(
    await repro(p),
    sorted(lines(
      "ran a: inputs changed (T)",
      "up to date b",
      "up to date c",
      "up to date solo",
      "ran ab: inputs changed (T)",
      "ran top: inputs changed (T)",
      "3 ran, 3 up to date (T)",
    )),
  );
  assert.equal(await p.read("data/p/top.txt"), "a changed\nb\nc\n");
  // The run left a stamp (the stages it did not assess with their earlier evidence):
  // the no-op is answered from it, and the next change is incremental again.
  assert.equal(runFastNoopInProcess(p.root, ["repro"]).code, 0);
  await p.write("c.txt", "c changed\n");
  assert.deepEqual(await known(p), ["a", "ab", "b", "solo"]);
  // b's output deleted: b's evidence, carried over from the first stamp, notices it.
  await Deno.remove(p.path("data/p/b.txt"));
  assert.deepEqual(await known(p), ["a", "solo"]);
  assert.equal(
    await repro(p),
    sorted(lines(
      "up to date a",
      "restored b: outputs restored from the cache",
      "ran c: inputs changed (T)",
      "up to date solo",
      "up to date ab",
      "ran top: inputs changed (T)",
      "2 ran, 3 up to date, 1 restored (T)",
    )),
  );
  assert.equal(await p.read("data/p/top.txt"), "a changed\nb\nc changed\n");
  // The code solo's fingerprint read (carried over from the stamp of the first run),
  // also an input of c: not c's alone.
  await p.write("helper.ts", FILES["helper.ts"]!.replace("solo ", "SOLO "));
  assert.equal(await known(p), null);
  assert.equal(
    await repro(p),
    sorted(lines(
      "up to date a",
      "up to date b",
      "ran c: inputs changed (T)",
      "ran solo: code changed (T)",
      "up to date ab",
      "up to date top",
      "2 ran, 4 up to date (T)",
    )),
  );
});

Deno.test("two changed inputs re-run the consumers of both", async () => {
  await using p = await ranProject();
  await p.write("b.txt", "b changed\n");
  await p.write("d.txt", "d changed\n");
  assert.deepEqual(await known(p), ["a", "c"]);
  assert.equal(
    await repro(p),
    sorted(lines(
      "up to date a",
      "ran b: inputs changed (T)",
      "up to date c",
      "ran solo: inputs changed (T)",
      "ran ab: inputs changed (T)",
      "ran top: inputs changed (T)",
      "4 ran, 2 up to date (T)",
    )),
  );
  assert.equal(await p.read("data/p/solo.txt"), "solo d changed\n");
});

Deno.test("a deleted output of a stage whose inputs did not change is still noticed", async () => {
  await using p = await ranProject();
  await p.write("a.txt", "a changed\n");
  await Deno.remove(p.path("data/p/c.txt"));
  assert.deepEqual(await known(p), ["b", "solo"]);
  const out = await repro(p);
  assert.match(out, /^restored c\b/m);
  assert.match(out, /^ran top: inputs changed/m);
  assert.match(out, /^3 ran, 2 up to date, 1 restored \(T\)$/m);
  assert.equal(await p.read("data/p/c.txt"), "c\n");
});

Deno.test("an edited lock file has its stage and its downstream assessed", async () => {
  await using p = await ranProject();
  const lock = ".pivot/stages/p/ab.lock";
  await p.write(
    lock,
    (await p.read(lock)).replace(/"hash": ?"[0-9a-f]{16}"/, '"hash":"0000000000000000"'),
  );
  assert.deepEqual(await known(p), ["a", "b", "c", "solo"]);
  // The fingerprint recorded changed: ab is restored from the run cache, top finds its input as
  // it was.
  assert.match(await repro(p), /^restored ab: restored from the run cache \(code changed\)$/m);
});

Deno.test("a change to what the project is loaded from assesses every stage", async (t) => {
  await using p = await ranProject();
  const changes: [string, () => Promise<void>, string][] = [
    [
      "pivot.yaml",
      () => p.write("pivot.yaml", FILES["pivot.yaml"]!.replace("{n: 1}", "{n: 2}")),
      "ran ab: params changed",
    ],
    ["params.yaml", () => p.write("params.yaml", "ab:\n  n: 3\n"), "ran ab: params changed"],
    [
      "a stage's code",
      () => p.write("helper.ts", FILES["helper.ts"]!.replace("solo ", "SOLO ")),
      "ran solo: code changed",
    ],
    [
      "the config",
      () => p.write(".pivot/config.yaml", "core:\n  jobs: 1\n"),
      "",
    ],
  ];
  for (const [what, change, ran] of changes) {
    await t.step(what, async () => {
      // With an input changed too: only the project files' change makes it the full way.
      await p.write("d.txt", `d ${what}\n`);
      assert.deepEqual(await known(p), ["a", "ab", "b", "c", "top"]);
      await change();
      assert.equal(await known(p), null);
      // Settled before the run starts, so that the run leaves a stamp for the next step.
      await pause(SETTLE_MS);
      const out = await repro(p);
      if (ran !== "") assert.match(out, new RegExp(`^${ran}`, "m"));
      assert.match(out, /^ran solo/m);
    });
  }
  assert.equal(await p.read("data/p/solo.txt"), "SOLO d the config\n");
});

Deno.test("with --all, a changed input re-runs its downstream in another pipeline", async () => {
  await using p = await makeProject({
    "prep/pivot.yaml": [
      "stages:",
      "  clean:",
      "    cmd: cat ${deps.in} > ${outs}",
      "    deps: {in: raw.txt}",
      "    outs: txt",
      "  other:",
      "    cmd: cat ${deps.in} > ${outs}",
      "    deps: {in: other.txt}",
      "    outs: txt",
      "",
    ].join("\n"),
    "prep/raw.txt": "raw\n",
    "prep/other.txt": "other\n",
    "eval/pivot.yaml": [
      "stages:",
      "  score:",
      "    cmd: cat ${deps.in} > ${outs}",
      "    deps: {in: prep/clean}",
      "    outs: txt",
      "",
    ].join("\n"),
  });
  await repro(p, ["--all"]);
  await repro(p, ["--all"]);
  await p.write("prep/raw.txt", "raw changed\n");
  const before = await known(p, ["--all"]);
  assert.equal(before?.length, 1);
  assert.match(before![0]!, /other$/);
  const out = await repro(p, ["--all"]);
  assert.match(out, /^ran (prep\/)?clean: inputs changed/m);
  assert.match(out, /^ran (eval\/)?score: inputs changed/m);
  assert.match(out, /^up to date (prep\/)?other$/m);
  assert.match(out, /^2 ran, 1 up to date/m);
  assert.equal(await p.read("eval/data/eval/score.txt"), "raw changed\n");
});

Deno.test("a changed path that is no stage's own read (the cache) sends it the full way", async () => {
  await using p = await ranProject();
  await p.write("a.txt", "a changed\n");
  await Deno.remove(p.path(".pivot/cache"), { recursive: true });
  assert.equal(await known(p), null);
  assert.equal(
    await repro(p),
    sorted(lines(
      "ran a: inputs changed (T)",
      "restored b: content re-cached from the workspace",
      "restored c: content re-cached from the workspace",
      "restored solo: content re-cached from the workspace",
      "ran ab: inputs changed (T)",
      "ran top: inputs changed (T)",
      "3 ran, 0 up to date, 3 restored (T)",
    )),
  );
});

Deno.test("a file changed inside a directory input re-runs the stage reading it", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: p",
      "stages:",
      "  gather:",
      "    cmd: cat ${deps.in}/deep/x.txt > ${outs}",
      "    deps: {in: inputs}",
      "    outs: txt",
      "  other:",
      "    cmd: cat ${deps.in} > ${outs}",
      "    deps: {in: inputs2.txt}",
      "    outs: txt",
      "",
    ].join("\n"),
    "inputs/deep/x.txt": "x\n",
    "inputs2.txt": "y\n",
  });
  await repro(p);
  await repro(p);
  await p.write("inputs/deep/x.txt", "x changed\n");
  assert.deepEqual(await known(p), ["other"]);
  assert.equal(
    await repro(p),
    lines("ran gather: inputs changed (T)", "up to date other", "1 ran, 1 up to date (T)"),
  );
  assert.equal(await p.read("data/p/gather.txt"), "x changed\n");
  // gather's entries carried over by the next incremental run are still evidence.
  await p.write("inputs2.txt", "y changed\n");
  assert.deepEqual(await known(p), ["gather"]);
  assert.match(await repro(p), /^1 ran, 1 up to date \(T\)$/m);
  assert.equal(runFastNoopInProcess(p.root, ["repro"]).code, 0);
  await p.write("inputs/deep/z.txt", "z\n");
  assert.equal(runFastNoopInProcess(p.root, ["repro"]).code, null);
  assert.deepEqual(await known(p), ["other"]);
  assert.equal(
    await repro(p),
    lines("ran gather: inputs changed (T)", "up to date other", "1 ran, 1 up to date (T)"),
  );
});

Deno.test("run of a stage whose producer is not selected notices the producer's output edited", async () => {
  await using p = await ranProject();
  const runAbTop = async () => {
    const result = await runPivotInProcess(p.root, ["run", "ab", "solo"]);
    assert.equal(result.code, 0, result.stderr);
    await pause(SETTLE_MS);
    return sorted(timeless(result.stdout));
  };
  const knownForRun = async () => {
    await using session = await openSession({ cwd: p.root, warn: () => {} });
    const stages = await selectTargets(session.project, ["ab", "solo"], false);
    const key = noopStampKey({
      mode: "run",
      all: false,
      targets: ["ab", "solo"],
      cwd: p.root,
      env: processEnv,
    });
    const found = knownUpToDate(session, await session.projectDb(), key, stages);
    return found === null ? null : [...found.stages].sort();
  };
  assert.equal(
    await runAbTop(),
    lines("up to date ab", "up to date solo", "0 ran, 2 up to date (T)"),
  );
  // a (not selected) is the producer of what ab reads: an edit of its output is ab's to notice.
  await p.write("data/p/a.txt", "a edited\n");
  assert.deepEqual(await knownForRun(), ["solo"]);
  assert.equal(
    await runAbTop(),
    lines("ran ab: inputs changed (T)", "up to date solo", "1 ran, 1 up to date (T)"),
  );
  assert.equal(await p.read("data/p/ab.txt"), "a edited\nb\n");
});

Deno.test("an incremental run leaves the .gitignore entries of every stage, also after one is edited away", async () => {
  await using p = await ranProject();
  const ignores = await p.read("data/p/.gitignore");
  for (const name of ["a", "b", "c", "ab", "top", "solo"]) {
    assert.match(ignores, new RegExp(`^/${name}\\.txt$`, "m"));
  }
  await p.write("a.txt", "a changed\n");
  assert.match(await repro(p), /^3 ran, 3 up to date \(T\)$/m);
  assert.equal(await p.read("data/p/.gitignore"), ignores);
  // The .gitignore is no stage's read: with it edited, the next run assesses every stage.
  await p.write("data/p/.gitignore", ignores.replace("/solo.txt\n", ""));
  await p.write("b.txt", "b changed\n");
  assert.equal(await known(p), null);
  assert.match(await repro(p), /^3 ran, 3 up to date \(T\)$/m);
  assert.match(await p.read("data/p/.gitignore"), /^\/solo\.txt$/m);
});

Deno.test("the full way starts from what the fast path found changed, but looks again at what the project was loaded from", async () => {
  await using p = await ranProject();
  await p.write("a.txt", "a changed\n");
  const cwd = await Deno.realPath(p.root);
  const query = { mode: "repro", all: false, targets: [], cwd, env: processEnv } as const;
  let look: StampLook | undefined;
  assert.equal(answerNoopStamp(query, performance.now(), (found) => (look = found)), null);
  assert.deepEqual(look?.changed, [p.path("a.txt")]);
  assert.equal(look?.key, noopStampKey(query));
  const knownWith = async (given: StampLook) => {
    await using session = await openSession({ cwd, warn: () => {} });
    const stages = await selectTargets(session.project, [], true);
    const found = knownUpToDate(session, await session.projectDb(), look!.key, stages, given);
    return found === null ? null : [...found.stages].sort();
  };
  assert.deepEqual(await knownWith(look!), ["b", "c", "solo"]);
  // The fast path's findings are taken as they are (the stamp is not checked again)...
  assert.deepEqual(await knownWith({ ...look!, changed: [p.path("d.txt")] }), [
    "a",
    "ab",
    "b",
    "c",
    "top",
  ]);
  // ...unless they are another command's.
  assert.deepEqual(await knownWith({ ...look!, key: "another", changed: [p.path("d.txt")] }), [
    "b",
    "c",
    "solo",
  ]);
  // A pipeline file edited after the fast path looked (before the project was loaded).
  await p.write("pivot.yaml", FILES["pivot.yaml"]!.replace("{n: 1}", "{n: 2}"));
  assert.equal(await knownWith(look!), null);
  assert.match(await repro(p), /^ran ab: params changed/m);
});

Deno.test("a stage vouched for by the stamp whose output a run's stage changed is not left vouched for", async () => {
  // `a` also writes into b's output when its input says so: b is not re-assessed (its
  // inputs did not change), but the run's stamp must not take b's output as it is now.
  await using p = await makeProject({
    "pivot.yaml": `pipeline: p
stages:
  a:
    cmd: cat \${deps.in} > \${outs} && if grep -q tamper \${deps.in}; then echo x >> data/p/b.txt; fi
    deps: {in: a.txt}
    outs: txt
  b:
    cmd: cat \${deps.in} > \${outs}
    deps: {in: b.txt}
    outs: txt
  ab:
    cmd: cat \${deps.x} \${deps.y} > \${outs}
    deps: {x: a, y: b}
    outs: txt
`,
    "a.txt": "a\n",
    "b.txt": "b\n",
  });
  await repro(p);
  assert.equal(
    await repro(p),
    lines("up to date a", "up to date ab", "up to date b", "0 ran, 3 up to date (T)"),
  );
  await p.write("a.txt", "tamper\n");
  assert.deepEqual(await known(p), ["b"]);
  assert.equal(
    await repro(p),
    lines(
      "ran a: inputs changed (T)",
      "ran ab: inputs changed (T)",
      "up to date b",
      "2 ran, 1 up to date (T)",
    ),
  );
  assert.equal(await p.read("data/p/b.txt"), "b\nx\n");
  assert.equal(
    await repro(p),
    lines(
      "ran ab: inputs changed (T)",
      // `a` appended through the hardlink, so the cached copy changed with it.
      "ran b: output b → data/p/b.txt was edited in place through its link to the cache, so the cached copy changed too (T)",
      "up to date a",
      "2 ran, 1 up to date (T)",
    ),
  );
  assert.equal(await p.read("data/p/ab.txt"), "tamper\nb\n");
});

Deno.test("a stage vouched for by the stamp whose plain input a run's stage changed is not left vouched for", async () => {
  // `a` also writes into shared.txt, which c (not assessed again) and d (assessed) read: the
  // run's stamp must not take shared.txt as it is now while c's lock records it as it was.
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: p",
      "stages:",
      "  a:",
      "    cmd: cat ${deps.in} > ${outs} && if grep -q tamper ${deps.in}; then echo x >> shared.txt; fi",
      "    deps: {in: a.txt}",
      "    outs: txt",
      "  c:",
      "    cmd: cat ${deps.in} > ${outs}",
      "    deps: {in: shared.txt}",
      "    outs: txt",
      "  d:",
      "    cmd: cat ${deps.x} ${deps.y} > ${outs}",
      "    deps: {x: a, y: shared.txt}",
      "    outs: txt",
      "",
    ].join("\n"),
    "a.txt": "a\n",
    "shared.txt": "s\n",
  });
  await repro(p, ["-j", "1"]);
  assert.equal(
    await repro(p),
    lines("up to date a", "up to date c", "up to date d", "0 ran, 3 up to date (T)"),
  );
  await p.write("a.txt", "tamper\n");
  assert.deepEqual(await known(p), ["c"]);
  assert.equal(
    await repro(p),
    lines(
      "ran a: inputs changed (T)",
      "ran d: inputs changed (T)",
      "up to date c",
      "2 ran, 1 up to date (T)",
    ),
  );
  assert.equal(await p.read("shared.txt"), "s\nx\n");
  // The next run sees shared.txt changed: c runs; a and d stay vouched for or up to date.
  assert.equal(
    await repro(p),
    lines("ran c: inputs changed (T)", "up to date a", "up to date d", "1 ran, 2 up to date (T)"),
  );
  assert.equal(await p.read("data/p/c.txt"), "s\nx\n");
  assert.equal(
    await repro(p),
    lines("up to date a", "up to date c", "up to date d", "0 ran, 3 up to date (T)"),
  );
});
