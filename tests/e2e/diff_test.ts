import assert from "node:assert/strict";
import { commitAll, git } from "../_helpers/git.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { assertFailed, assertUsage, makeProject } from "../_helpers/project.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import {
  EVENTS,
  HISTORY_PIPELINE,
  historyProject,
  pivotOk,
  RAW,
  replace,
  shown,
  step,
} from "./_fixtures/history.ts";

const PREP = "prep → data/ml/prep.csv";

Deno.test("pivot diff --key lists added, removed and modified rows and the schema changes", async () => {
  await using p = await historyProject();
  const [old, now] = [await shown(p, "HEAD~2"), await shown(p, "HEAD")];
  assert.equal(
    await pivotOk(p.root, "diff", "prep", "HEAD~2", "HEAD", "--key", "id"),
    [
      `${PREP} (csv): ${old} and ${now}, rows matched by key id`,
      "rows: 4 → 4",
      "columns: ~ score: number → string, + flag (boolean)",
      "added rows (1):",
      "  row  id  name  score  flag",
      "  4    5   eve   4      false",
      "removed rows (1):",
      "  row  id  name  score",
      "  3    3   cat   2",
      "modified rows (2):",
      "  row    id  column  HEAD~2  HEAD",
      "  2      2   name    bob     BOB",
      "  4 → 3  4   score   3       x",
      "",
    ].join("\n"),
  );
  // Markdown, for a pull request; the workspace is the default new version.
  assert.equal(
    await pivotOk(p.root, "diff", "raw.csv", "HEAD~2", "-k", "id", "--md"),
    [
      `**raw.csv** (csv): ${old} and workspace, rows matched by key \`id\``,
      "- rows: 4 → 4",
      "- columns: ~ `score`: number → string, + `flag` (boolean)",
      "",
      "**Added rows** (1)",
      "",
      "| row | id | name | score | flag  |",
      "|-----|----|------|-------|-------|",
      "| 4   | 5  | eve  | 4     | false |",
      "",
      "**Removed rows** (1)",
      "",
      "| row | id | name | score |",
      "|-----|----|------|-------|",
      "| 3   | 3  | cat  | 2     |",
      "",
      "**Modified rows** (2)",
      "",
      "| row   | id | column | HEAD~2 | workspace |",
      "|-------|----|--------|--------|-----------|",
      "| 2     | 2  | name   | bob    | BOB       |",
      "| 4 → 3 | 4  | score  | 3      | x         |",
      "",
    ].join("\n"),
  );
});

Deno.test("pivot diff by position compares row n with row n, and --max-rows keeps counts whole", async () => {
  await using p = await historyProject();
  const [old, now] = [await shown(p, "HEAD~2"), await shown(p, "HEAD")];
  assert.equal(
    await pivotOk(p.root, "diff", "prep", "HEAD~2", "HEAD"),
    [
      `${PREP} (csv): ${old} and ${now}, rows matched by position`,
      "rows: 4 → 4",
      "columns: ~ score: number → string, + flag (boolean)",
      "modified rows (3):",
      "  row  column  HEAD~2  HEAD",
      "  2    name    bob     BOB",
      "  3    id      3       4",
      "  3    name    cat     dan",
      "  3    score   2       x",
      "  4    id      4       5",
      "  4    name    dan     eve",
      "  4    score   3       4",
      "",
    ].join("\n"),
  );
  assert.equal(
    await pivotOk(p.root, "diff", "prep", "HEAD~2", "HEAD", "-k", "id", "--max-rows", "1"),
    [
      `${PREP} (csv): ${old} and ${now}, rows matched by key id`,
      "rows: 4 → 4",
      "columns: ~ score: number → string, + flag (boolean)",
      "added rows (1):",
      "  row  id  name  score  flag",
      "  4    5   eve   4      false",
      "removed rows (1):",
      "  row  id  name  score",
      "  3    3   cat   2",
      "modified rows (2):",
      "  row  id  column  HEAD~2  HEAD",
      "  2    2   name    bob     BOB",
      "  … and 1 more (--max-rows shows more)",
      "",
    ].join("\n"),
  );
  const counts = JSON.parse(
    await pivotOk(p.root, "diff", "prep", "HEAD~2", "HEAD", "--max-rows", "0", "--json"),
  );
  assert.deepEqual(
    [counts.modified, counts.added, counts.removed],
    [{ count: 3, rows: [] }, { count: 0, rows: [] }, { count: 0, rows: [] }],
  );
});

Deno.test("pivot diff says when only the order of the rows changed, by position and by key", async () => {
  await using p = await historyProject();
  const between = `${await shown(p, "HEAD~2")} and ${await shown(p, "HEAD~1")}`;
  for (const [args, matched] of [[[], "position"], [["--key", "id"], "key id"]] as const) {
    assert.equal(
      await pivotOk(p.root, "diff", "prep", "HEAD~2", "HEAD~1", ...args),
      [
        `${PREP} (csv): ${between}, rows matched by ${matched}`,
        "rows: 4 → 4",
        "the same rows in another order (4 rows moved)",
        "",
      ].join("\n"),
    );
  }
  const json = JSON.parse(await pivotOk(p.root, "diff", "prep", "HEAD~2", "HEAD~1", "--json"));
  assert.deepEqual(
    [json.equal, json.reordered, json.moved, json.modified.count],
    [false, true, 4, 0],
  );
});

Deno.test("pivot diff prints 'no differences' and exits 0 when the versions are equal", async () => {
  await using p = await historyProject();
  const head = await shown(p, "HEAD");
  assert.equal(
    await pivotOk(p.root, "diff", "prep"),
    `no differences in ${PREP} between ${head} and workspace (the same content)\n`,
  );
  // Other bytes, the same rows (a quoted cell): equal, read row by row.
  await replace(p, "data/ml/prep.csv", RAW.third.replace("1,ann", '"1",ann'));
  assert.equal(
    await pivotOk(p.root, "diff", "prep", "--exit-code"),
    `no differences in ${PREP} between ${head} and workspace\n`,
  );
  await replace(p, "data/ml/prep.csv", RAW.third.replace("ann", "ANN"));
  const changed = await runPivotInProcess(p.root, ["diff", "prep", "--exit-code", "--json"]);
  assert.equal(changed.code, 1);
  assert.equal(JSON.parse(changed.stdout).modified.count, 1);
});

Deno.test("pivot diff --json carries versions, types, every kind of change and duplicate keys", async () => {
  await using p = await historyProject();
  await replace(p, "data/ml/prep.csv", "id,name,score,flag\n1,ann,0.5,true\n2,bob,1,\n2,bo,,\n");
  const json = JSON.parse(await pivotOk(p.root, "diff", "prep", "-k", "id", "--json"));
  assert.deepEqual(json, {
    target: PREP,
    format: "csv",
    old: {
      rev: "HEAD",
      commit: await git(p.root, "rev-parse", "HEAD"),
      path: "data/ml/prep.csv",
      exists: true,
      rows: 4,
      columns: [
        { name: "id", type: "integer" },
        { name: "name", type: "string" },
        { name: "score", type: "string" },
        { name: "flag", type: "boolean" },
      ],
    },
    new: {
      rev: "workspace",
      commit: null,
      path: "data/ml/prep.csv",
      exists: true,
      rows: 3,
      columns: [
        { name: "id", type: "integer" },
        { name: "name", type: "string" },
        { name: "score", type: "number" },
        { name: "flag", type: "boolean" },
      ],
    },
    identical: false,
    key: ["id"],
    equal: false,
    schema: [{ column: "score", change: "type", old: "string", new: "number" }],
    columnOrderChanged: false,
    reordered: false,
    moved: 0,
    added: {
      count: 1,
      rows: [{ row: 3, key: ["2"], values: { id: "2", name: "bo", score: "", flag: "" } }],
    },
    removed: {
      count: 2,
      rows: [
        { row: 3, key: ["4"], values: { id: "4", name: "dan", score: "x", flag: "true" } },
        { row: 4, key: ["5"], values: { id: "5", name: "eve", score: "4", flag: "false" } },
      ],
    },
    modified: {
      count: 1,
      rows: [{
        oldRow: 2,
        newRow: 2,
        key: ["2"],
        changes: [{ column: "name", old: "BOB", new: "bob" }, {
          column: "flag",
          old: "false",
          new: "",
        }],
      }],
    },
    duplicateKeys: {
      old: { count: 0, rows: [] },
      new: { count: 1, rows: [{ key: ["2"], count: 2, rows: [2, 3] }] },
    },
    partitions: 1,
  });
  assert.equal(
    (await pivotOk(p.root, "diff", "prep", "-k", "id")).split("\n").slice(-4).join("\n"),
    ["duplicate keys in workspace (1):", "  id  count  rows", "  2   2      2, 3", ""].join("\n"),
  );
});

Deno.test("pivot diff reads jsonl rows as objects: nested values, missing keys as null, by key or position", async () => {
  await using p = await historyProject();
  const between = `${await shown(p, "HEAD~2")} and ${await shown(p, "HEAD")}`;
  const rows = [
    "added rows (1):",
    "  row  id  kind    at    note",
    "  4    4   resume  null  back",
    "modified rows (1):",
  ];
  assert.equal(
    await pivotOk(p.root, "diff", "events", "HEAD~2", "HEAD", "-k", "id"),
    [
      `events → data/ml/events.jsonl (jsonl): ${between}, rows matched by key id`,
      "rows: 3 → 4 (+1)",
      "columns: + note (string)",
      ...rows,
      "  row  id  column  HEAD~2           HEAD",
      '  2    2   at      {"h":17,"m":30}  {"h":18,"m":0}',
      "",
    ].join("\n"),
  );
  // The committed file itself (a path), by position.
  assert.equal(
    await pivotOk(p.root, "diff", "events.jsonl", "HEAD~2", "HEAD"),
    [
      `events.jsonl (jsonl): ${between}, rows matched by position`,
      "rows: 3 → 4 (+1)",
      "columns: + note (string)",
      ...rows,
      "  row  column  HEAD~2           HEAD",
      '  2    at      {"h":17,"m":30}  {"h":18,"m":0}',
      "",
    ].join("\n"),
  );
  // Types of json values: integer + number → number, mixed kinds → mixed, only nulls → null.
  await replace(
    p,
    "data/ml/events.jsonl",
    EVENTS.second + '{"id": 5.5, "kind": 7, "at": null, "note": null}\n',
  );
  const json = JSON.parse(await pivotOk(p.root, "diff", "events", "--json"));
  assert.deepEqual(json.new.columns, [
    { name: "id", type: "number" },
    { name: "kind", type: "mixed" },
    { name: "at", type: "object" },
    { name: "note", type: "string" },
  ]);
  await replace(p, "data/ml/events.jsonl", '{"id": 1, "gone": null}\n');
  assert.deepEqual(
    JSON.parse(await pivotOk(p.root, "diff", "events", "--json")).new.columns,
    [{ name: "id", type: "integer" }, { name: "gone", type: "null" }],
  );
});

Deno.test("pivot diff --key spreads rows over partition files (forced small) with the same result", async () => {
  await using p = await historyProject();
  const header = "id,group,value,label\n";
  const row = (i: number, value: number) => `${i},${i % 7},${value},label ${i % 13}\n`;
  let before = header;
  let after = header;
  // 10,000 rows (about 240 KB) in partitions of 8,000 bytes: 30 of them. What is checked (the
  // same result whole and partitioned) does not grow with the rows.
  for (let i = 1; i <= 10_000; i++) {
    before += row(i, i * 3);
    if (i % 997 === 0) continue; // removed
    after += row(i, i % 1000 === 0 ? -1 : i * 3); // modified
  }
  after += row(2, 6) + row(20_001, 1); // a duplicate key, an added row
  await step(p, { raw: before }, "big");
  await step(p, { raw: after });
  const whole = JSON.parse(await pivotOk(p.root, "diff", "prep", "-k", "id", "--json"));
  const parts = JSON.parse(
    await pivotOk(p.root, "diff", "prep", "-k", "id", "--json", "--partition-size", "8000"),
  );
  assert.equal(whole.partitions, 1);
  assert.ok(parts.partitions >= 25, `${parts.partitions} partitions`);
  assert.deepEqual({ ...parts, partitions: 1 }, whole);
  assert.deepEqual(
    [whole.old.rows, whole.new.rows, whole.added.count, whole.removed.count, whole.modified.count],
    [10_000, 9_992, 2, 10, 10],
  );
  assert.deepEqual(whole.modified.rows[0], {
    oldRow: 1000,
    newRow: 999,
    key: ["1000"],
    changes: [{ column: "value", old: "3000", new: "-1" }],
  });
  assert.deepEqual(whole.duplicateKeys.new, {
    count: 1,
    rows: [{ key: ["2"], count: 2, rows: [2, 9991] }],
  });
  assert.deepEqual(whole.added.rows.map((entry: { row: number }) => entry.row), [9991, 9992]);
  assert.deepEqual(
    await Array.fromAsync(Deno.readDir(p.path(".pivot/tmp"))),
    [],
    "the partition files are removed",
  );
});

Deno.test("pivot diff names what is wrong: a target, a format, a key, several outputs, a missing version", async () => {
  await using p = await historyProject();
  assertUsage(
    await runPivotInProcess(p.root, ["diff", "parts"]),
    "error: cannot diff parts → data/ml/parts/: it is a dir output\n" +
      "hint: diff compares tabular data: csv, tsv, json (a list of objects) and jsonl\n",
  );
  assertUsage(
    await runPivotInProcess(p.root, ["diff", "pivot.yaml"]),
    "error: cannot diff pivot.yaml: it is not a .csv, .tsv, .json or .jsonl file\n" +
      "hint: diff compares tabular data: csv, tsv, json (a list of objects) and jsonl\n",
  );
  assertFailed(
    await runPivotInProcess(p.root, ["diff", "prep", "HEAD~2", "HEAD", "-k", "id,nope"]),
    "error: the key column 'nope' is not in data/ml/prep.csv at HEAD~2 (its columns: id, name, score)\n" +
      "hint: --key takes comma-separated names of columns both versions have\n",
  );
  assertUsage(
    await runPivotInProcess(p.root, ["diff", "nothing.csv"]),
    "error: unknown target 'nothing.csv' at HEAD: not a stage, and no file of that path is tracked or committed there\n" +
      "hint: targets are stage outputs (identities such as 'train:model') or paths; 'git ls-tree -r --name-only HEAD' lists the committed files\n",
  );
  await p.write(
    "pivot.yaml",
    HISTORY_PIPELINE + "  split:\n    cmd: 'true'\n    outs: {a: csv, b: jsonl}\n",
  );
  assertUsage(
    await runPivotInProcess(p.root, ["diff", "split"]),
    "error: 'split' names 2 outputs (split:a, split:b); diff compares one\n" +
      "hint: name one of them, such as 'split:a'\n",
  );
  await replace(p, "data/ml/prep.csv", "id,name\n1,a\n1,b,c\n");
  assertFailed(
    await runPivotInProcess(p.root, ["diff", "prep"]),
    "error: cannot read data/ml/prep.csv as csv: Invalid Record Length: expect 2, got 3 on line 3\n" +
      "hint: a csv file for a data diff must be valid csv\n",
  );
  // The output missing from the workspace: compared with nothing, the old version summarised.
  await Deno.remove(p.path("data/ml/prep.csv"));
  assert.equal(
    await pivotOk(p.root, "diff", "prep"),
    [
      `${PREP} (csv): ${await shown(p, "HEAD")} and workspace, rows matched by position`,
      "only in HEAD: data/ml/prep.csv does not exist in workspace",
      "HEAD: 4 rows; columns id (integer), name (string), score (string), flag (boolean)",
      "",
    ].join("\n"),
  );
  const usage = await runPivotInProcess(p.root, ["diff", "prep", "--max-rows", "-1"]);
  assert.equal(usage.code, 2);
});

Deno.test("pivot diff fetches a revision's content from the remote when the cache lacks it", async () => {
  await using p = await historyProject();
  await using remote = await makeRemoteDir();
  // The remote holds every blob (a directory remote has the cache's layout).
  await Deno.mkdir(remote.dir, { recursive: true });
  await new Deno.Command("cp", { args: ["-r", p.path(".pivot/cache/files"), remote.dir] })
    .output();
  await pivotOk(p.root, "remote", "add", "store", remote.dir, "--default");
  const old = hashBytes(RAW.first);
  const key = `files/${old.slice(0, 2)}/${old.slice(2)}`;
  const blob = p.path(`.pivot/cache/${key}`);
  const expected = await pivotOk(p.root, "diff", "prep", "HEAD~2", "HEAD", "-k", "id");
  await Deno.remove(blob);
  assert.equal(await pivotOk(p.root, "diff", "prep", "HEAD~2", "HEAD", "-k", "id"), expected);
  assert.equal(await Deno.readTextFile(blob), RAW.first, "fetched into the cache, verified");
  // Neither in the cache nor on the remote: an error naming it, with a way out.
  await Deno.remove(blob);
  await Deno.remove(`${remote.dir}/${key}`);
  assertFailed(
    await runPivotInProcess(p.root, ["diff", "raw.csv", "HEAD~2"]),
    `error: cannot read raw.csv (raw.csv, content ${old}) as of HEAD~2: it is not in the cache, not committed to git, and not on remote 'store'\n` +
      "hint: check out HEAD~2 and run 'pivot fetch -r NAME' with a remote that holds it, or 'pivot repro' to rebuild it\n",
  );
});

/** A temporary directory to serve as a directory remote. */
async function makeRemoteDir(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "pivot_remote_" }));
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("pivot diff of a stage of a pipeline only --all loads says to add --all", async (t) => {
  await using p = await makeProject({
    "ml/pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  prepare:",
      "    cmd: echo [] > ${outs.data}",
      "    outs: {data: json}",
      "",
    ].join("\n"),
  });
  await git(p.root, "init", "-q");
  await commitAll(p.root, "ml pipeline");
  for (const target of ["ml/prepare", "ml/prepare:data"]) {
    await t.step(`diff ${target} at the project root`, async () => {
      assertUsage(
        await runPivotInProcess(p.root, ["diff", target]),
        `error: unknown target '${target}' at HEAD: not a stage of the pipelines loaded here, and no file of that path is tracked or committed there\n` +
          `hint: '${target}' names a stage of ml/pivot.yaml: use --all for every pipeline of the project, or run in the directory of one: ml/pivot.yaml\n`,
      );
    });
  }
  await t.step("a target no pipeline has keeps the usual hint", async () => {
    assertUsage(
      await runPivotInProcess(p.root, ["diff", "ml/nope"]),
      "error: unknown target 'ml/nope' at HEAD: not a stage, and no file of that path is tracked or committed there\n" +
        "hint: targets are stage outputs (identities such as 'train:model') or paths; 'git ls-tree -r --name-only HEAD' lists the committed files\n",
    );
  });
  await t.step("with --all the target resolves", async () => {
    assertFailed(
      await runPivotInProcess(p.root, ["diff", "--all", "ml/prepare"]),
      "error: prepare:data → ml/data/ml/prepare/data.json exists neither in HEAD nor in workspace\n" +
        "hint: run 'pivot repro prepare' to produce it\n",
    );
  });
});
