import assert from "node:assert/strict";
import { modeOf, tempDir } from "../_helpers/files.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { assertFailed, assertUsage } from "../_helpers/project.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { EVENTS, historyProject, pivotOk, RAW, step } from "./_fixtures/history.ts";

const PREP = "prep → data/ml/prep.csv";

Deno.test("pivot get --rev writes an output and a tracked file as they were, never over other content without --force", async () => {
  await using p = await historyProject();
  assertFailed(
    await runPivotInProcess(p.root, ["get", "prep", "raw.csv", "--rev", "HEAD~2"]),
    "error: not overwriting data/ml/prep.csv, raw.csv: they exist and differ from HEAD~2\n" +
      "hint: pass --force to replace them, or -o PATH to write elsewhere\n",
  );
  assert.equal(await p.read("data/ml/prep.csv"), RAW.third, "nothing was written");
  assert.equal(
    await pivotOk(p.root, "get", "prep", "raw.csv", "--rev", "HEAD~2", "--force"),
    `wrote ${PREP} as of HEAD~2 (from the cache)\nwrote raw.csv as of HEAD~2 (from the cache)\n`,
  );
  assert.equal(await p.read("data/ml/prep.csv"), RAW.first);
  assert.equal(await p.read("raw.csv"), RAW.first);
  // A plain copy: writable, not linked to the cache.
  assert.equal(modeOf(p.path("raw.csv")), 0o644);
  assert.equal(Deno.statSync(p.path("raw.csv")).nlink, 1);
  // The same content already there: left alone, no --force needed.
  assert.equal(
    await pivotOk(p.root, "get", "raw.csv", "--rev", "HEAD~2"),
    "unchanged raw.csv as of HEAD~2 (already that version)\n",
  );
  // Back to HEAD's versions (the default revision): the workspace is as committed again.
  await pivotOk(p.root, "get", "raw.csv", "prep", "--force");
  assert.equal(await p.read("raw.csv"), RAW.third);
  assert.equal(await pivotOk(p.root, "status"), "3 up to date\n");
});

Deno.test("pivot get -o writes one target to a file, several into a directory", async () => {
  await using p = await historyProject();
  assert.equal(
    await pivotOk(p.root, "get", "raw.csv", "--rev", "HEAD~1", "-o", "old/raw-v2.csv"),
    "wrote old/raw-v2.csv: raw.csv as of HEAD~1 (from the cache)\n",
  );
  assert.equal(await p.read("old/raw-v2.csv"), RAW.second);
  assertUsage(
    await runPivotInProcess(p.root, ["get", "prep", "events", "--rev", "HEAD~2", "-o", "nowhere"]),
    `error: -o ${
      p.path("nowhere")
    } must be an existing directory: 2 outputs are written (${PREP}, events → data/ml/events.jsonl)\n` +
      "hint: create the directory first, or get one output at a time\n",
  );
  await Deno.mkdir(p.path("v1"));
  assertUsage(
    await runPivotInProcess(p.root, [
      "get",
      "events",
      "events.jsonl",
      "--rev",
      "HEAD~2",
      "-o",
      "v1",
    ]),
    `error: events → data/ml/events.jsonl and events.jsonl would both be written to ${
      p.path("v1/events.jsonl")
    }\n` +
      "hint: get them one at a time, each with its own -o\n",
  );
  assert.equal(
    await pivotOk(p.root, "get", "prep", "events", "--rev", "HEAD~2", "-o", "v1"),
    [
      `wrote v1/prep.csv: ${PREP} as of HEAD~2 (from the cache)`,
      "wrote v1/events.jsonl: events → data/ml/events.jsonl as of HEAD~2 (from the cache)",
      "",
    ].join("\n"),
  );
  assert.equal(await p.read("v1/prep.csv"), RAW.first);
  assert.equal(await p.read("v1/events.jsonl"), EVENTS.first);
  // A file committed to git comes from git; outside the project is allowed when named.
  await using outside = await tempDir();
  assert.deepEqual(
    await pivotOk(p.root, "get", "events.jsonl", "--rev", "HEAD~2", "-o", outside.path, "--json")
      .then((text) => JSON.parse(text).items),
    [{
      target: "events.jsonl",
      path: `${outside.path}/events.jsonl`,
      source: "git",
      status: "written",
    }],
  );
  assert.equal(await Deno.readTextFile(`${outside.path}/events.jsonl`), EVENTS.first);
});

Deno.test("pivot get restores a directory output from its manifest", async () => {
  await using p = await historyProject();
  assert.equal(
    await pivotOk(p.root, "get", "parts", "--rev", "HEAD~2", "--force"),
    "wrote parts → data/ml/parts/ as of HEAD~2 (from the cache)\n",
  );
  assert.equal(await p.read("data/ml/parts/head.csv"), "id,name,score\n1,ann,0.5\n");
  assert.equal((await p.read("data/ml/parts/count.txt")).trim(), "5");
  assert.equal(modeOf(p.path("data/ml/parts/head.csv")), 0o644);
  assert.equal(
    await pivotOk(p.root, "get", "parts", "--rev", "HEAD~2"),
    "unchanged parts → data/ml/parts/ as of HEAD~2 (already that version)\n",
  );
});

Deno.test("pivot get fetches content the cache lacks from the remote, and refuses what it cannot do", async () => {
  await using p = await historyProject();
  await using remote = await tempDir();
  await pivotOk(p.root, "remote", "add", "store", remote.path, "--default");
  await pivotOk(p.root, "-q", "push");
  await step(p, { raw: "id\n9\n" });
  const hash = hashBytes(RAW.third);
  await Deno.remove(p.path(`.pivot/cache/files/${hash.slice(0, 2)}/${hash.slice(2)}`));
  assert.equal(
    await pivotOk(p.root, "get", "raw.csv", "-o", "head.csv"),
    "wrote head.csv: raw.csv as of HEAD (from the remote)\n",
  );
  assert.equal(await p.read("head.csv"), RAW.third);

  // A symlink leading out of the project: refused before anything is written.
  await using elsewhere = await tempDir();
  await Deno.symlink(elsewhere.path, p.path("out"));
  assertFailed(
    await runPivotInProcess(p.root, ["get", "raw.csv", "-o", "out/raw.csv"]),
    `error: cannot write out/raw.csv: out is a symlink to ${elsewhere.path}, outside the project\n` +
      "hint: pivot writes and deletes only inside the project; replace the symlink out with a real directory or file, or point it inside\n",
  );
  assert.deepEqual(await Array.fromAsync(Deno.readDir(elsewhere.path)), []);
  assertUsage(
    await runPivotInProcess(p.root, ["get", "nothing.csv", "--rev", "HEAD~1"]),
    "error: unknown target 'nothing.csv' at HEAD~1: not a stage, and no file of that path is tracked or committed there\n" +
      "hint: targets are stage outputs (identities such as 'train:model') or paths; 'git ls-tree -r --name-only HEAD~1' lists the committed files\n",
  );
  assertUsage(
    await runPivotInProcess(p.root, ["get", "data/ml/prep.csv"]),
    "error: data/ml/prep.csv is the output prep; use the identity\nhint: give 'prep' as the target\n",
  );
  const unknown = await runPivotInProcess(p.root, ["get", "prep", "--rev", "HEAD~9"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^error: unknown revision 'HEAD~9'\n/);
});
