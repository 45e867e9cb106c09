import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { metadataYaml } from "../../src/storage/_yaml_out.ts";

/** Strings a plain scalar could get wrong: numbers, booleans, indicators, escapes. */
const TRICKY = [
  "",
  " ",
  "a b",
  " lead",
  "trail ",
  "true",
  "False",
  "NULL",
  "~",
  "1",
  "-1",
  "1.5",
  "1e3",
  ".5",
  ".inf",
  "-.inf",
  ".NaN",
  "0x1F",
  "0o17",
  "2024-01-01",
  "-a",
  "- a",
  "a:",
  "a: b",
  "a:b",
  "#x",
  "a #b",
  "a#b",
  "'q'",
  '"q"',
  "x\ny",
  "tab\t",
  "cr\r",
  "\u0000",
  "\u0085",
  "\u0080",
  "\u009f",
  "\u2028",
  "\ufeff",
  "é",
  "日本",
  "😀",
  "\ud800",
  "@x",
  "`x",
  "!x",
  "&x",
  "*x",
  "|",
  ">",
  "%x",
  "{a}",
  "[a]",
  "a,b",
  "? x",
  "yes",
  "no",
  "on",
  "y",
  "_",
  "/abs/p",
  "a/b.c",
  "...",
  "---",
  "a\\b",
  "fn:pipeline.ts#cat",
  "data/x.csv",
];

Deno.test("metadataYaml() output parses back to the same data, whatever the strings", () => {
  const data = {
    schema: 1,
    list: TRICKY,
    map: Object.fromEntries(TRICKY.map((text, i) => [text, i % 2 === 0 ? text : i])),
    nested: [[1, [2, []], {}], { a: { b: [{ c: null, d: false, e: 0.1, f: -3, g: 1e21 }] } }],
    numbers: [0, -0.5, 5e-7, 123456789012, Infinity, -Infinity],
  };
  assert.deepEqual(parse(metadataYaml(data)), data);
  assert.ok(Number.isNaN(parse(metadataYaml({ x: NaN })).x));
});

Deno.test("metadataYaml() lays plain data out as the yaml package does (lineWidth 0, indentSeq)", () => {
  const data = {
    schema: 1,
    stage: "train@small",
    params: { lr: 0.5, y: "b", layers: [64, 32], empty: {}, none: [] },
    deps: [{ name: "in", path: "data/x.csv", flags: { a: true } }, { name: "all", path: "a/b" }],
    grid: [["a", "b"], []],
    note: "a-long-word/".repeat(20),
  };
  assert.equal(metadataYaml(data), stringify(data, { lineWidth: 0, indentSeq: true }));
});

Deno.test("metadataYaml() double-quotes hash values and the values of the named maps only", () => {
  const text = metadataYaml(
    {
      hash: "1234567890123456",
      fingerprint: { hash: "abc", manifest: { "fn:a.ts#f": "0000000000000001" } },
      manifest: [{ relpath: "a", hash: "00ff", size: 1 }],
      other: { k: "v" },
    },
    ["manifest"],
  );
  assert.equal(
    text,
    [
      'hash: "1234567890123456"',
      "fingerprint:",
      '  hash: "abc"',
      "  manifest:",
      '    fn:a.ts#f: "0000000000000001"',
      "manifest:",
      "  - relpath: a",
      '    hash: "00ff"',
      "    size: 1",
      "other:",
      "  k: v",
      "",
    ].join("\n"),
  );
  assert.equal(parse(text).hash, "1234567890123456");
});

Deno.test("metadataYaml() leaves out undefined values and rejects what YAML data cannot hold", () => {
  assert.equal(metadataYaml({ a: 1, b: undefined }), "a: 1\n");
  assert.throws(() => metadataYaml({ f: () => 1 }), /cannot write a function/);
});
