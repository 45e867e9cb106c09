import assert from "node:assert/strict";
import { tempDir } from "../_helpers/files.ts";
import {
  diffTables,
  type DiffTablesOptions,
  type TableFormat,
  type TableSource,
} from "../../src/report/mod.ts";
import { PivotError } from "../../src/util/errors.ts";

function source(text: string, display = "data"): TableSource {
  const bytes = new TextEncoder().encode(text);
  return {
    display,
    size: bytes.length,
    open: () => Promise.resolve(ReadableStream.from([bytes])),
  };
}

async function diff(
  old: string | null,
  now: string | null,
  format: TableFormat,
  options: Omit<DiffTablesOptions, "format" | "tempDir"> = {},
) {
  await using dir = await tempDir();
  return await diffTables(
    old === null ? null : source(old, "old"),
    now === null ? null : source(now, "new"),
    { format, tempDir: dir.path, ...options },
  );
}

Deno.test("diffTables() infers csv column types from every cell", async (t) => {
  const cases: [string, string, string][] = [
    ["integers with signs", "1\n-2\n+3\n", "integer"],
    ["integers and decimals", "1\n2.5\n-1e3\n.5\n", "number"],
    ["booleans in any case", "true\nFALSE\nTrue\n", "boolean"],
    ["numbers and text", "1\nabc\n", "string"],
    ["numbers and booleans", "1\ntrue\n", "string"],
    ["blank cells left out", "1\n\n  \n2\n", "integer"],
    ["only blank cells", "\n \n", "empty"],
    ["a number with a trailing dot", "1.\n", "number"],
    ["a version number", "1.2.3\n", "string"],
  ];
  for (const [name, cells, type] of cases) {
    await t.step(name, async () => {
      const text = `v,x\n${cells.split("\n").slice(0, -1).map((cell) => `${cell},x`).join("\n")}\n`;
      const result = await diff(null, text, "csv");
      assert.deepEqual(result.new?.columns[0], { name: "v", type });
    });
  }
  const none = await diff(null, "a,b\n", "csv");
  assert.deepEqual(none.new, {
    rows: 0,
    columns: [{ name: "a", type: "empty" }, { name: "b", type: "empty" }],
  });
});

Deno.test("diffTables() matches rows by several key columns and pairs duplicates in order", async () => {
  const result = await diff(
    "a,b,v\n1,x,1\n1,y,2\n1,x,3\n2,x,4\n",
    "a,b,v\n1,y,2\n1,x,1\n1,x,30\n1,x,5\n",
    "csv",
    { key: ["a", "b"] },
  );
  assert.deepEqual(result.key, ["a", "b"]);
  assert.deepEqual(result.modified, {
    count: 1,
    rows: [{
      oldRow: 3,
      newRow: 3,
      key: ["1", "x"],
      changes: [{ column: "v", old: "3", new: "30" }],
    }],
  });
  assert.deepEqual(result.added, {
    count: 1,
    rows: [{ row: 4, key: ["1", "x"], values: { a: "1", b: "x", v: "5" } }],
  });
  assert.deepEqual(result.removed, {
    count: 1,
    rows: [{ row: 4, key: ["2", "x"], values: { a: "2", b: "x", v: "4" } }],
  });
  assert.deepEqual(result.duplicateKeys, {
    old: { count: 1, rows: [{ key: ["1", "x"], count: 2, rows: [1, 3] }] },
    new: { count: 1, rows: [{ key: ["1", "x"], count: 3, rows: [2, 3, 4] }] },
  });
});

Deno.test("diffTables() compares rows on the columns both versions have, in any column order", async () => {
  const result = await diff(
    "id,a,b\n1,x,y\n2,x,y\n",
    "b,id,c\ny,1,z\nY,2,z\n",
    "tsv".length ? "csv" : "csv",
    {
      key: ["id"],
    },
  );
  assert.deepEqual(result.schema, [
    { column: "a", change: "removed", old: "string", new: null },
    { column: "c", change: "added", old: null, new: "string" },
  ]);
  assert.equal(result.columnOrderChanged, true);
  assert.deepEqual(result.modified.rows, [{
    oldRow: 2,
    newRow: 2,
    key: ["2"],
    changes: [{ column: "b", old: "y", new: "Y" }],
  }]);
  assert.equal(result.modified.count, 1);
  assert.equal(result.equal, false);
  const byPosition = await diff("id,a\n1,x\n", "a,id\nx,1\n", "csv");
  assert.deepEqual(
    [byPosition.modified.count, byPosition.columnOrderChanged, byPosition.equal],
    [0, true, false],
  );
});

Deno.test("diffTables() reads tsv, json lists and mappings holding one list", async () => {
  const tsv = await diff("id\tv\n1\ta b\n", "id\tv\n1\ta  b\n", "tsv", { key: ["id"] });
  assert.deepEqual(tsv.modified.rows[0]?.changes, [{ column: "v", old: "a b", new: "a  b" }]);
  const json = await diff(
    '[{"id": 1, "v": [1, 2]}, {"id": 2, "v": {"b": 1, "a": 2}}]',
    '{"rows": [{"id": 2, "v": {"a": 2, "b": 1}}, {"id": 1, "v": [2, 1]}], "n": 2}',
    "json",
    { key: ["id"] },
  );
  assert.deepEqual(json.modified.rows, [{
    oldRow: 1,
    newRow: 2,
    key: [1],
    changes: [{ column: "v", old: [1, 2], new: [2, 1] }],
  }]);
  assert.deepEqual(json.new?.columns, [{ name: "id", type: "integer" }, {
    name: "v",
    type: "mixed",
  }]);
  await assert.rejects(
    diff("[1, 2]", "[]", "json"),
    (error) =>
      error instanceof PivotError &&
      error.message === "cannot read old as json: expected a list of objects (one per row)",
  );
  await assert.rejects(
    diff('{"id": 1}\n[2]\n', "", "jsonl"),
    (error) =>
      error instanceof PivotError &&
      error.message === "cannot read old as jsonl: line 2: expected an object",
  );
});

Deno.test("diffTables() keeps the first maxRows rows by row number, across partitions", async () => {
  const rows = (change: (i: number) => string) =>
    "id,v\n" + Array.from({ length: 2000 }, (_, i) => `${i},${change(i)}\n`).join("");
  const old = rows(() => "a");
  const now = rows((i) => (i % 3 === 0 ? "b" : "a"));
  for (const partitionBytes of [1 << 20, 500]) {
    const result = await diff(old, now, "csv", { key: ["id"], maxRows: 3, partitionBytes });
    assert.equal(result.modified.count, 667);
    assert.deepEqual(result.modified.rows.map((row) => row.newRow), [1, 4, 7]);
    assert.equal(result.partitions > 1, partitionBytes === 500);
  }
});

Deno.test("diffTables() summarises a version that exists alone, and needs the key in both", async () => {
  const alone = await diff(null, "id,v\n1,2\n", "csv", { key: ["id"] });
  assert.deepEqual([alone.old, alone.new?.rows, alone.equal], [null, 1, false]);
  await assert.rejects(
    diff("id,v\n1,2\n", "v\n2\n", "csv", { key: ["id"] }),
    (error) =>
      error instanceof PivotError &&
      error.message === "the key column 'id' is not in new (its columns: v)",
  );
  await assert.rejects(
    diff("id,id\n1,2\n", "id\n1\n", "csv"),
    (error) =>
      error instanceof PivotError &&
      error.message === "cannot read old as csv: the column 'id' appears twice in the header",
  );
});
