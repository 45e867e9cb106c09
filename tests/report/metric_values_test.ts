import assert from "node:assert/strict";
import { diffValues, flattenValues, parseMetricValues } from "../../src/report/mod.ts";
import { PivotError } from "../../src/util/errors.ts";

const CSV = { format: "csv", display: "m.csv" } as const;

Deno.test("parseMetricValues() flattens json and yaml mappings to a.b.c keys", async (t) => {
  const cases: [string, "json" | "yaml", Record<string, unknown>][] = [
    ['{"acc": 0.9, "train": {"loss": 0.1, "by": {"x": 1}}, "empty": {}}', "json", {
      acc: 0.9,
      "train.loss": 0.1,
      "train.by.x": 1,
    }],
    ["acc: 0.9\nlist: [1, 2]\nflag: yes\nnested:\n  deep: true\n", "yaml", {
      acc: 0.9,
      list: [1, 2],
      flag: "yes",
      "nested.deep": true,
    }],
  ];
  for (const [text, format, expected] of cases) {
    await t.step(
      format,
      () => assert.deepEqual(parseMetricValues(text, { format, display: "m" }), expected),
    );
  }
});

Deno.test("parseMetricValues() reads a one-row csv by column, several rows by their first column", () => {
  assert.deepEqual(parseMetricValues("accuracy,loss,ok\n0.9,0.25,true\n", CSV), {
    accuracy: 0.9,
    loss: 0.25,
    ok: true,
  });
  assert.deepEqual(
    parseMetricValues("class,precision,recall\ncat,0.9,0.8\ndog,0.7,\n", CSV),
    {
      "cat.precision": 0.9,
      "cat.recall": 0.8,
      "dog.precision": 0.7,
      "dog.recall": null,
    },
  );
});

Deno.test("parseMetricValues() rejects other shapes, naming the file", async (t) => {
  const cases: [string, "json" | "yaml" | "csv", RegExp][] = [
    ["[1, 2]", "json", /^cannot read m at HEAD as metrics: expected a mapping of names to values$/],
    ["{bad", "json", /^cannot read m at HEAD as json: /],
    [
      "hello\nworld",
      "json",
      /^cannot read m at HEAD as json: Unexpected token 'h', "hello\\nworld" is not valid JSON$/,
    ],
    ["name,v\na,1\na,2\n", "csv", /^cannot read m at HEAD as metrics: two rows are named 'a'$/],
    ["name,v\n,1\nb,2\n", "csv", /row 2 has no name in its first column$/],
  ];
  for (const [text, format, message] of cases) {
    await t.step(text, () =>
      assert.throws(
        () => parseMetricValues(text, { format, display: "m at HEAD" }),
        (error) => error instanceof PivotError && message.test(error.message),
      ));
  }
});

Deno.test("flattenValues() keeps lists as values and drops empty mappings", () => {
  assert.deepEqual(flattenValues({ a: { b: [1, { c: 2 }] }, d: {} }), { "a.b": [1, { c: 2 }] });
});

Deno.test("diffValues() lists added, removed and modified keys with numeric changes", () => {
  assert.deepEqual(
    diffValues(
      { acc: 0.8, loss: 0.4, name: "a", gone: 1, same: [1, { x: 1, y: 2 }] },
      { acc: 0.85, loss: 0.4, name: "b", fresh: true, same: [1, { y: 2, x: 1 }], zero: 1 },
    ),
    [
      { key: "acc", old: 0.8, new: 0.85, status: "modified", change: 0.05, percent: 6.25 },
      { key: "name", old: "a", new: "b", status: "modified", change: null, percent: null },
      { key: "fresh", old: null, new: true, status: "added", change: null, percent: null },
      { key: "zero", old: null, new: 1, status: "added", change: null, percent: null },
      { key: "gone", old: 1, new: null, status: "removed", change: null, percent: null },
    ],
  );
  assert.deepEqual(diffValues({ a: 0 }, { a: 2 }), [
    { key: "a", old: 0, new: 2, status: "modified", change: 2, percent: null },
  ]);
  assert.deepEqual(diffValues(null, null), []);
  assert.equal(diffValues({ a: 1 }, { a: 1 }, { unchanged: true })[0]?.status, "unchanged");
  // Floating-point noise is no change; a tiny real one is.
  assert.deepEqual(diffValues({ a: 0.7 }, { a: 0.7000000000000001 }), [
    { key: "a", old: 0.7, new: 0.7000000000000001, status: "modified", change: 0, percent: 0 },
  ]);
  assert.equal(diffValues({ a: 1e-9 }, { a: 2e-9 })[0]?.change, 1e-9);
});
