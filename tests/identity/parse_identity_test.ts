import assert from "node:assert/strict";
import {
  type ArtifactIdentity,
  baseStageName,
  formatIdentity,
  IDENTITY_GRAMMAR,
  identityProblem,
  isIdentity,
  isValidKey,
  isValidName,
  isValidStageName,
  isValidVariant,
  parseIdentity,
  splitProducer,
} from "../../src/identity/mod.ts";
import { PivotError } from "../../src/util/errors.ts";

/** Asserts that `parseIdentity(text)` throws a PivotError with `message` and the grammar hint. */
function assertRejected(text: string, message: string): void {
  assert.throws(
    () => parseIdentity(text),
    (error: unknown) => {
      assert.ok(error instanceof PivotError, `expected a PivotError, got ${String(error)}`);
      assert.equal(error.message, message);
      assert.equal(
        error.hint,
        "an identity is [<pipeline>/]<stage>[@<variant>][:<key>], e.g. 'train' or 'train:model'",
      );
      return true;
    },
  );
}

Deno.test("parseIdentity() splits producer and key", async (t) => {
  const cases: [string, ArtifactIdentity][] = [
    ["train", { producer: "train", key: null }],
    ["train:model", { producer: "train", key: "model" }],
    ["train@small", { producer: "train@small", key: null }],
    ["train@small:model", { producer: "train@small", key: "model" }],
    ["prep/clean", { producer: "prep/clean", key: null }],
    ["prep/clean:table", { producer: "prep/clean", key: "table" }],
    ["eval/train@large_2:scores", { producer: "eval/train@large_2", key: "scores" }],
    ["T", { producer: "T", key: null }],
    ["a-b_c9", { producer: "a-b_c9", key: null }],
    ["train:_private", { producer: "train", key: "_private" }],
    ["train:model-v2", { producer: "train", key: "model-v2" }],
    ["train@1.5-x_y", { producer: "train@1.5-x_y", key: null }],
    ["train@0", { producer: "train@0", key: null }],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, () => {
      assert.deepEqual(parseIdentity(text), expected);
    });
  }
});

Deno.test("parseIdentity() rejects malformed identities with the grammar", async (t) => {
  const cases: [string, string][] = [
    ["", "invalid identity '': empty"],
    [
      "train:1model",
      "invalid identity 'train:1model': key '1model' must start with a letter or '_' and contain only letters, digits, '_' or '-'",
    ],
    [
      "train:",
      "invalid identity 'train:': key '' must start with a letter or '_' and contain only letters, digits, '_' or '-'",
    ],
    [
      "train:a:b",
      "invalid identity 'train:a:b': key 'a:b' must start with a letter or '_' and contain only letters, digits, '_' or '-'",
    ],
    [
      "train:model.json",
      "invalid identity 'train:model.json': key 'model.json' must start with a letter or '_' and contain only letters, digits, '_' or '-'",
    ],
    [
      "1train",
      "invalid identity '1train': stage '1train' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    [
      "_train",
      "invalid identity '_train': stage '_train' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    [
      ":model",
      "invalid identity ':model': stage '' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    [
      "tr ain",
      "invalid identity 'tr ain': stage 'tr ain' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    [
      "data/raw.csv",
      "invalid identity 'data/raw.csv': stage 'raw.csv' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    [
      "a/b/c",
      "invalid identity 'a/b/c': stage 'b/c' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    [
      "9prep/clean",
      "invalid identity '9prep/clean': pipeline '9prep' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    [
      "/clean",
      "invalid identity '/clean': pipeline '' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    [
      "./train",
      "invalid identity './train': pipeline '.' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    [
      "train@",
      "invalid identity 'train@': variant '' may contain only letters, digits, '_', '.' or '-'",
    ],
    [
      "train@a@b",
      "invalid identity 'train@a@b': variant 'a@b' may contain only letters, digits, '_', '.' or '-'",
    ],
    [
      "train@sm all",
      "invalid identity 'train@sm all': variant 'sm all' may contain only letters, digits, '_', '.' or '-'",
    ],
    [
      "@small",
      "invalid identity '@small': stage '' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
  ];
  for (const [text, message] of cases) {
    await t.step(JSON.stringify(text), () => assertRejected(text, message));
  }
});

Deno.test("parseIdentity() rejects a key starting with a digit", () => {
  assertRejected(
    "train:2nd",
    "invalid identity 'train:2nd': key '2nd' must start with a letter or '_' and contain only letters, digits, '_' or '-'",
  );
});

Deno.test("parseIdentity() names the error PivotError and shows the grammar in the hint", () => {
  assert.equal(IDENTITY_GRAMMAR, "[<pipeline>/]<stage>[@<variant>][:<key>]");
  assert.throws(() => parseIdentity("x y"), (error: unknown) => {
    assert.ok(error instanceof PivotError);
    assert.equal(error.name, "PivotError");
    assert.ok(error.hint?.includes(IDENTITY_GRAMMAR), `hint was ${error.hint}`);
    return true;
  });
});

Deno.test("identityProblem() returns null for a valid identity and the reason otherwise", async (t) => {
  const cases: [string, string | null][] = [
    ["train", null],
    ["prep/clean@v1:table", null],
    ["", "empty"],
    [
      "train:9",
      "key '9' must start with a letter or '_' and contain only letters, digits, '_' or '-'",
    ],
    [
      "9/train",
      "pipeline '9' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    [
      "tr.ain",
      "stage 'tr.ain' must start with a letter and contain only letters, digits, '_' or '-'",
    ],
    ["train@a b", "variant 'a b' may contain only letters, digits, '_', '.' or '-'"],
  ];
  for (const [text, expected] of cases) {
    await t.step(JSON.stringify(text), () => assert.equal(identityProblem(text), expected));
  }
});

Deno.test("identityProblem() reports the key before the producer", () => {
  assert.equal(
    identityProblem("9x:9y"),
    "key '9y' must start with a letter or '_' and contain only letters, digits, '_' or '-'",
  );
});

Deno.test("isIdentity() agrees with identityProblem()", async (t) => {
  const cases: [string, boolean][] = [
    ["train", true],
    ["train:model", true],
    ["prep/clean", true],
    ["train@small_1", true],
    ["data/raw.csv", false],
    ["raw.csv", false],
    ["../x", false],
    ["", false],
  ];
  for (const [text, expected] of cases) {
    await t.step(JSON.stringify(text), () => assert.equal(isIdentity(text), expected));
  }
});

Deno.test("formatIdentity() writes the text form", async (t) => {
  const cases: [ArtifactIdentity, string][] = [
    [{ producer: "train", key: null }, "train"],
    [{ producer: "train", key: "model" }, "train:model"],
    [{ producer: "prep/clean@v1", key: "table" }, "prep/clean@v1:table"],
  ];
  for (const [identity, expected] of cases) {
    await t.step(expected, () => assert.equal(formatIdentity(identity), expected));
  }
});

Deno.test("formatIdentity() round-trips parseIdentity()", async (t) => {
  for (const text of ["train", "train:model", "prep/clean", "ml/train@small:model", "x@1.0"]) {
    await t.step(text, () => assert.equal(formatIdentity(parseIdentity(text)), text));
  }
});

Deno.test("splitProducer() separates the pipeline prefix from the stage", async (t) => {
  const cases: [string, { pipeline: string | null; stage: string }][] = [
    ["train", { pipeline: null, stage: "train" }],
    ["train@small", { pipeline: null, stage: "train@small" }],
    ["prep/clean", { pipeline: "prep", stage: "clean" }],
    ["eval/train@v1", { pipeline: "eval", stage: "train@v1" }],
  ];
  for (const [producer, expected] of cases) {
    await t.step(producer, () => assert.deepEqual(splitProducer(producer), expected));
  }
});

Deno.test("isValidName() accepts a letter followed by letters, digits, '_' or '-'", async (t) => {
  const cases: [string, boolean][] = [
    ["a", true],
    ["Train", true],
    ["train_2-b", true],
    ["", false],
    ["2train", false],
    ["_train", false],
    ["-train", false],
    ["tr.ain", false],
    ["tr ain", false],
    ["tr@ain", false],
    ["tr/ain", false],
    ["trän", false],
  ];
  for (const [name, expected] of cases) {
    await t.step(JSON.stringify(name), () => assert.equal(isValidName(name), expected));
  }
});

Deno.test("isValidVariant() accepts letters, digits, '_', '.' and '-'", async (t) => {
  const cases: [string, boolean][] = [
    ["small", true],
    ["1", true],
    ["0.5", true],
    ["small_1-a.b", true],
    ["-", true],
    ["", false],
    ["a b", false],
    ["a@b", false],
    ["a/b", false],
    ["a:b", false],
  ];
  for (const [variant, expected] of cases) {
    await t.step(JSON.stringify(variant), () => assert.equal(isValidVariant(variant), expected));
  }
});

Deno.test("isValidKey() accepts a letter or '_' followed by letters, digits, '_' or '-'", async (t) => {
  const cases: [string, boolean][] = [
    ["model", true],
    ["_x", true],
    ["m-2_b", true],
    ["", false],
    ["2m", false],
    ["-m", false],
    ["m.json", false],
    ["m:n", false],
  ];
  for (const [key, expected] of cases) {
    await t.step(JSON.stringify(key), () => assert.equal(isValidKey(key), expected));
  }
});

Deno.test("isValidStageName() accepts a name with an optional variant", async (t) => {
  const cases: [string, boolean][] = [
    ["train", true],
    ["train@small", true],
    ["train@small_1.5", true],
    ["train@", false],
    ["@small", false],
    ["1train@small", false],
    ["train@a@b", false],
    ["prep/clean", false],
    ["train:model", false],
  ];
  for (const [name, expected] of cases) {
    await t.step(name, () => assert.equal(isValidStageName(name), expected));
  }
});

Deno.test("baseStageName() returns the part before the first '@'", async (t) => {
  const cases: [string, string][] = [
    ["train", "train"],
    ["train@small", "train"],
    ["train@a@b", "train"],
    ["@x", ""],
  ];
  for (const [name, expected] of cases) {
    await t.step(name, () => assert.equal(baseStageName(name), expected));
  }
});
