import assert from "node:assert/strict";
import {
  expressions,
  foldAcross,
  formatOfExtension,
  keyFromPath,
  uniqueKey,
} from "../../src/ops/_dvc_text.ts";

Deno.test("foldAcross() finds the one template behind per-variant texts", async (t) => {
  const item = () => "${item}";
  const cases: [string, string[], Record<string, string>[], string | null][] = [
    ["identical texts", ["a.txt", "a.txt"], [{ item: "x" }, { item: "y" }], "a.txt"],
    [
      "a value in a path",
      ["raw/alpha.txt", "raw/beta.txt"],
      [{ item: "alpha" }, { item: "beta" }],
      "raw/${item}.txt",
    ],
    [
      "a value that also appears as a literal",
      ["tr a-z < a.txt", "tr a-z < b.txt"],
      [{ item: "a" }, { item: "b" }],
      "tr a-z < ${item}.txt",
    ],
    [
      "a value inside a reference is left alone",
      ["echo ${train.lr} train", "echo ${train.lr} test"],
      [{ item: "train" }, { item: "test" }],
      "echo ${train.lr} ${item}",
    ],
    ["texts that differ otherwise", ["a-1", "b-2"], [{ item: "a" }, { item: "c" }], null],
    ["a text longer than the others", ["x/a", "x/b/extra"], [{ item: "a" }, { item: "b" }], null],
  ];
  for (const [label, texts, values, expected] of cases) {
    await t.step(label, () => assert.equal(foldAcross(texts, values, item), expected));
  }
  await t.step("several dimensions", () => {
    assert.equal(
      foldAcross(
        ["r/small.txt", "r/small.md", "r/large.txt", "r/large.md"],
        [
          { model: "small", fmt: "txt" },
          { model: "small", fmt: "md" },
          { model: "large", fmt: "txt" },
          { model: "large", fmt: "md" },
        ],
        (dim) => `\${item.${dim}}`,
      ),
      "r/${item.model}.${item.fmt}",
    );
  });
});

Deno.test("keyFromPath() names an output or dependency after its path", async (t) => {
  const cases: [string, boolean, string][] = [
    ["model.pkl", true, "model"],
    ["eval/plots/roc.json", true, "roc"],
    ["data/prepared/", true, "prepared"],
    ["src/prepare.py", false, "prepare_py"],
    ["models/${item}.pkl", true, "item"],
    ["2021.csv", true, "_2021"],
    ["...", true, "out"],
  ];
  for (const [text, dropExtension, expected] of cases) {
    await t.step(text, () => assert.equal(keyFromPath(text, dropExtension), expected));
  }
});

Deno.test("uniqueKey() tries the parent directory, then a number", () => {
  const taken = new Set<string>();
  assert.equal(uniqueKey("roc", taken, "train"), "roc");
  assert.equal(uniqueKey("roc", taken, "test"), "test_roc");
  assert.equal(uniqueKey("roc", taken, "test"), "roc_2");
  assert.deepEqual([...taken], ["roc", "test_roc", "roc_2"]);
});

Deno.test("formatOfExtension() maps extensions to formats, bin for the rest", () => {
  assert.deepEqual(
    ["a.csv", "a.JSON", "a.yml", "a.yaml", "a.png", "a.pkl", "a.tar.gz", "noext", "x.dir"].map(
      formatOfExtension,
    ),
    ["csv", "json", "yaml", "yaml", "png", "bin", "bin", "bin", "bin"],
  );
});

Deno.test("expressions() lists ${…} references, not escaped ones", () => {
  assert.deepEqual(expressions("a ${ x.y } \\${z} ${w}").map((e) => e.name), ["x.y", "w"]);
});
