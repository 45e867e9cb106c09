import assert from "node:assert/strict";
import * as path from "node:path";
import {
  clearFingerprintCache,
  fingerprintedFiles,
  runFingerprint,
} from "../../src/engine/code_fingerprint.ts";
import { hashBytes, ParseCache, StateDb } from "../../src/storage/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { tempDir } from "../_helpers/files.ts";

/** Joins lines with `\n`. */
function lines(...text: string[]): string {
  return `${text.join("\n")}\n`;
}

/** Writes `files` under `root`, creating directories. */
async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await Deno.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await Deno.writeTextFile(path.join(root, rel), content);
  }
}

/** The fingerprint of `exportPath` in `root/module`, parsed afresh. */
function fingerprint(
  root: string,
  module: string,
  exportPath: readonly string[],
): Promise<Record<string, string>> {
  clearFingerprintCache();
  return runFingerprint(path.join(root, module), exportPath, root);
}

/** Writes `files` to a fresh directory and fingerprints `exportPath` of `module` in it. */
async function fingerprintOf(
  files: Record<string, string>,
  module: string,
  exportPath: readonly string[],
): Promise<Record<string, string>> {
  await using dir = await tempDir();
  await writeFiles(dir.path, files);
  return await fingerprint(dir.path, module, exportPath);
}

/** Asserts that `promise` rejects with a PivotError whose message matches `pattern`. */
async function assertPivotRejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PivotError, `expected a PivotError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

const TRAIN_FUNCTION = lines(
  "function train(ctx: unknown) {",
  "  return { ok: true, ctx };",
  "}",
);

Deno.test("runFingerprint() hashes a named export function under fn:<file>#<name>", async () => {
  const manifest = await fingerprintOf(
    {
      "stages.ts": lines("import * as path from 'node:path';", `export ${TRAIN_FUNCTION}`),
    },
    "stages.ts",
    ["train"],
  );
  assert.deepEqual(manifest, { "fn:stages.ts#train": hashBytes(TRAIN_FUNCTION.trimEnd()) });
});

Deno.test("runFingerprint() names a function in a subdirectory by its project-relative path", async () => {
  const manifest = await fingerprintOf(
    {
      "stages/train.ts": `export ${TRAIN_FUNCTION}`,
    },
    "stages/train.ts",
    ["train"],
  );
  assert.deepEqual(Object.keys(manifest), ["fn:stages/train.ts#train"]);
});

Deno.test("runFingerprint() hashes `export const f = () => …` as its declaration", async () => {
  const declaration = "const train = (ctx: { n: number }) => ctx.n * 2;";
  const manifest = await fingerprintOf(
    {
      "stages.ts": lines(`export ${declaration}`),
    },
    "stages.ts",
    ["train"],
  );
  assert.deepEqual(manifest, { "fn:stages.ts#train": hashBytes(declaration) });
});

Deno.test("runFingerprint() follows `export { local as name }` to the local function", async () => {
  const manifest = await fingerprintOf(
    {
      "stages.ts": lines(TRAIN_FUNCTION, "export { train as fit };"),
    },
    "stages.ts",
    ["fit"],
  );
  assert.deepEqual(manifest, { "fn:stages.ts#train": hashBytes(TRAIN_FUNCTION.trimEnd()) });
});

Deno.test("runFingerprint() follows a default-export path whose run is an identifier", async () => {
  const manifest = await fingerprintOf(
    {
      "pipeline.ts": lines(
        TRAIN_FUNCTION,
        "function other() {",
        "  return 2;",
        "}",
        "export default {",
        "  stages: {",
        "    train: { run: train, outs: 'json' },",
        "    other: { run: other },",
        "  },",
        "};",
      ),
    },
    "pipeline.ts",
    ["default", "stages", "train", "run"],
  );
  assert.deepEqual(manifest, { "fn:pipeline.ts#train": hashBytes(TRAIN_FUNCTION.trimEnd()) });
});

Deno.test("runFingerprint() hashes an inline arrow of a default-export path under its path", async () => {
  const arrow = "(ctx: unknown) => ({ ok: true, ctx })";
  const manifest = await fingerprintOf(
    {
      "pipeline.ts": lines(
        "export default {",
        "  stages: {",
        `    train: { run: ${arrow}, outs: 'json' },`,
        "    other: { run: () => 2 },",
        "  },",
        "};",
      ),
    },
    "pipeline.ts",
    ["default", "stages", "train", "run"],
  );
  assert.deepEqual(manifest, { "fn:pipeline.ts#default.stages.train.run": hashBytes(arrow) });
});

Deno.test("runFingerprint() hashes a method-style run of a default-export path", async () => {
  const method = "run(ctx: unknown) {\n      return ctx;\n    }";
  const manifest = await fingerprintOf(
    {
      "pipeline.ts": lines(
        "export default {",
        "  stages: {",
        "    train: {",
        `    ${method},`,
        "    },",
        "  },",
        "};",
      ),
    },
    "pipeline.ts",
    ["default", "stages", "train", "run"],
  );
  assert.deepEqual(manifest, { "fn:pipeline.ts#default.stages.train.run": hashBytes(method) });
});

Deno.test("runFingerprint() sees through `satisfies` and `as` on the default export", async () => {
  const cases: [string, string][] = [
    ["satisfies", "} satisfies Pipeline;"],
    ["as", "} as Pipeline;"],
    ["as const", "} as const;"],
    ["parenthesized satisfies", "}) satisfies Pipeline;"],
  ];
  for (const [label, tail] of cases) {
    const open = label === "parenthesized satisfies" ? "export default ({" : "export default {";
    const manifest = await fingerprintOf(
      {
        "pipeline.ts": lines(
          "import type { Pipeline } from './types.ts';",
          TRAIN_FUNCTION,
          open,
          "  stages: { train: { run: train } },",
          tail,
        ),
        "types.ts": "export type Pipeline = Record<string, unknown>;\n",
      },
      "pipeline.ts",
      ["default", "stages", "train", "run"],
    );
    assert.deepEqual(Object.keys(manifest), ["fn:pipeline.ts#train"], label);
  }
});

Deno.test("runFingerprint() follows `export default pipeline` to a const with satisfies", async () => {
  const manifest = await fingerprintOf(
    {
      "pipeline.ts": lines(
        "type Pipeline = { stages: Record<string, unknown> };",
        TRAIN_FUNCTION,
        "const pipeline = {",
        "  stages: { train: { run: train } },",
        "} satisfies Pipeline;",
        "export default pipeline;",
      ),
    },
    "pipeline.ts",
    ["default", "stages", "train", "run"],
  );
  assert.deepEqual(Object.keys(manifest), ["fn:pipeline.ts#train"]);
});

Deno.test("runFingerprint() includes a helper of the same module and not an unrelated function", async () => {
  const helper = lines("function helper(x: number) {", "  return x + SCALE;", "}").trimEnd();
  const manifest = await fingerprintOf(
    {
      "stages.ts": lines(
        "const SCALE = 10;",
        helper,
        "function unrelated() {",
        "  return 'nothing to do with train';",
        "}",
        "export function train() {",
        "  return helper(1);",
        "}",
      ),
    },
    "stages.ts",
    ["train"],
  );
  assert.deepEqual(Object.keys(manifest).sort(), [
    "const:stages.ts#SCALE",
    "fn:stages.ts#helper",
    "fn:stages.ts#train",
  ]);
  assert.equal(manifest["fn:stages.ts#helper"], hashBytes(helper));
  assert.equal(manifest["const:stages.ts#SCALE"], hashBytes("const SCALE = 10;"));
});

Deno.test("runFingerprint() ignores property names that match a top-level function", async () => {
  const manifest = await fingerprintOf(
    {
      "stages.ts": lines(
        "function helper() {",
        "  return 1;",
        "}",
        "export function train(ctx: { helper: number }) {",
        "  return { helper: ctx.helper };",
        "}",
      ),
    },
    "stages.ts",
    ["train"],
  );
  assert.deepEqual(Object.keys(manifest), ["fn:stages.ts#train"]);
});

Deno.test("runFingerprint() follows a recursive and mutually recursive helper once", async () => {
  const manifest = await fingerprintOf(
    {
      "stages.ts": lines(
        "function even(n: number): boolean {",
        "  return n === 0 ? true : odd(n - 1);",
        "}",
        "function odd(n: number): boolean {",
        "  return n === 0 ? false : even(n - 1);",
        "}",
        "export function train() {",
        "  return even(4) && train.length === 0;",
        "}",
      ),
    },
    "stages.ts",
    ["train"],
  );
  assert.deepEqual(Object.keys(manifest).sort(), [
    "fn:stages.ts#even",
    "fn:stages.ts#odd",
    "fn:stages.ts#train",
  ]);
});

Deno.test("runFingerprint() includes a helper imported from ./util.ts under its file", async () => {
  const helper = lines("function helper() {", "  return 42;", "}").trimEnd();
  const manifest = await fingerprintOf(
    {
      "stages.ts": lines(
        "import { helper as h } from './lib/util.ts';",
        "export function train() {",
        "  return h();",
        "}",
      ),
      "lib/util.ts": lines(
        `export ${helper}`,
        "export function unused() {",
        "  return 0;",
        "}",
      ),
    },
    "stages.ts",
    ["train"],
  );
  assert.deepEqual(Object.keys(manifest).sort(), [
    "fn:lib/util.ts#helper",
    "fn:stages.ts#train",
  ]);
  assert.equal(manifest["fn:lib/util.ts#helper"], hashBytes(helper));
});

Deno.test("runFingerprint() follows a default import and a re-export to the defining file", async () => {
  const manifest = await fingerprintOf(
    {
      "stages.ts": lines(
        "import scale from './scale.ts';",
        "import { shift } from './index.ts';",
        "export function train() {",
        "  return scale(shift(1));",
        "}",
      ),
      "scale.ts": "export default function scale(x: number) {\n  return x * 2;\n}\n",
      "index.ts": "export { shift } from './shift.ts';\n",
      "shift.ts": "export function shift(x: number) {\n  return x + 1;\n}\n",
    },
    "stages.ts",
    ["train"],
  );
  assert.deepEqual(Object.keys(manifest).sort(), [
    "fn:scale.ts#scale",
    "fn:shift.ts#shift",
    "fn:stages.ts#train",
  ]);
});

Deno.test("runFingerprint() records `import * as u` as mod:<file> with the file's hash", async () => {
  const util = "export function helper() {\n  return 1;\n}\n// trailing comment\n";
  const manifest = await fingerprintOf(
    {
      "stages.ts": lines(
        "import * as u from './util.ts';",
        "export function train() {",
        "  return u.helper();",
        "}",
      ),
      "util.ts": util,
    },
    "stages.ts",
    ["train"],
  );
  assert.deepEqual(Object.keys(manifest).sort(), ["fn:stages.ts#train", "mod:util.ts"]);
  assert.equal(manifest["mod:util.ts"], hashBytes(util));
});

Deno.test("runFingerprint() records a package import as pkg:<specifier>", async () => {
  const manifest = await fingerprintOf(
    {
      "stages.ts": lines(
        "import { parse } from 'npm:yaml@2.9.1';",
        "import * as fs from 'node:fs';",
        "import { unusedThing } from 'jsr:@std/path@1';",
        "export function train(text: string) {",
        "  return [parse(text), fs.existsSync('x')];",
        "}",
      ),
    },
    "stages.ts",
    ["train"],
  );
  assert.deepEqual(Object.keys(manifest).sort(), [
    "fn:stages.ts#train",
    "pkg:node:fs",
    "pkg:npm:yaml@2.9.1",
  ]);
  assert.equal(manifest["pkg:npm:yaml@2.9.1"], hashBytes("npm:yaml@2.9.1"));
});

Deno.test("runFingerprint() changes a function's hash when its body changes", async () => {
  await using dir = await tempDir();
  const write = (body: string) =>
    writeFiles(dir.path, {
      "stages.ts": lines(
        "function helper() {",
        `  ${body}`,
        "}",
        "export function train() {",
        "  return helper();",
        "}",
      ),
    });
  await write("return 1;");
  const before = await fingerprint(dir.path, "stages.ts", ["train"]);
  await write("return 2;");
  const after = await fingerprint(dir.path, "stages.ts", ["train"]);
  assert.notEqual(after["fn:stages.ts#helper"], before["fn:stages.ts#helper"]);
  assert.equal(after["fn:stages.ts#train"], before["fn:stages.ts#train"]);
});

Deno.test("runFingerprint() changes when an imported helper's body changes", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, {
    "stages.ts": "import { helper } from './util.ts';\nexport const train = () => helper();\n",
    "util.ts": "export function helper() {\n  return 'a';\n}\n",
  });
  const before = await fingerprint(dir.path, "stages.ts", ["train"]);
  await writeFiles(dir.path, { "util.ts": "export function helper() {\n  return 'b';\n}\n" });
  const after = await fingerprint(dir.path, "stages.ts", ["train"]);
  assert.notEqual(after["fn:util.ts#helper"], before["fn:util.ts#helper"]);
  assert.equal(after["fn:stages.ts#train"], before["fn:stages.ts#train"]);
});

Deno.test("runFingerprint() ignores edits to comments", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, {
    "stages.ts": lines(
      "/** Trains. */",
      "export function train() {",
      "  // first comment",
      "  const x = 1; /* inline */",
      "  return x;",
      "}",
    ),
  });
  const before = await fingerprint(dir.path, "stages.ts", ["train"]);
  await writeFiles(dir.path, {
    "stages.ts": lines(
      "/** Trains the model, now documented at length. */",
      "export function train() {",
      "  // a completely different comment",
      "  const x = 1; /* another",
      "  inline comment over two lines */",
      "  return x;",
      "}",
    ),
  });
  const after = await fingerprint(dir.path, "stages.ts", ["train"]);
  assert.deepEqual(after, before);
  // …while a change of the code itself is seen.
  await writeFiles(dir.path, {
    "stages.ts": lines(
      "export function train() {",
      "  const x = 1;",
      "  return x + 0;",
      "}",
    ),
  });
  const changed = await fingerprint(dir.path, "stages.ts", ["train"]);
  assert.notDeepEqual(changed, before);
});

Deno.test("runFingerprint() ignores an unrelated function in the same module", async () => {
  await using dir = await tempDir();
  const write = (unrelated: string) =>
    writeFiles(dir.path, {
      "stages.ts": lines(
        "export function train() {",
        "  return 1;",
        "}",
        "export function unrelated() {",
        `  ${unrelated}`,
        "}",
      ),
    });
  await write("return 'one';");
  const before = await fingerprint(dir.path, "stages.ts", ["train"]);
  await write("return 'two';");
  const after = await fingerprint(dir.path, "stages.ts", ["train"]);
  assert.deepEqual(after, before);
  assert.deepEqual(Object.keys(after), ["fn:stages.ts#train"]);
});

Deno.test("runFingerprint() caches parsed modules until clearFingerprintCache()", async () => {
  await using dir = await tempDir();
  const file = path.join(dir.path, "stages.ts");
  await Deno.writeTextFile(file, "export function train() {\n  return 1;\n}\n");
  clearFingerprintCache();
  const before = await runFingerprint(file, ["train"], dir.path);
  await Deno.writeTextFile(file, "export function train() {\n  return 2;\n}\n");
  assert.deepEqual(await runFingerprint(file, ["train"], dir.path), before);
  clearFingerprintCache();
  assert.notDeepEqual(await runFingerprint(file, ["train"], dir.path), before);
});

Deno.test("runFingerprint() ignores type-only imports and interfaces", async () => {
  const manifest = await fingerprintOf(
    {
      "stages.ts": lines(
        "import type { Options } from './types.ts';",
        "import { type Shape, helper } from './util.ts';",
        "interface Context {",
        "  readonly n: number;",
        "}",
        "type Result = { value: number };",
        "export function train(ctx: Context, options: Options): Result {",
        "  const shape: Shape = helper() as Shape;",
        "  return { value: ctx.n + options.k + (shape as Shape).size };",
        "}",
      ),
      "types.ts": "export interface Options {\n  k: number;\n}\n",
      "util.ts": lines(
        "export interface Shape {",
        "  size: number;",
        "}",
        "export function helper(): Shape {",
        "  return { size: 1 };",
        "}",
      ),
    },
    "stages.ts",
    ["train"],
  );
  assert.deepEqual(Object.keys(manifest).sort(), ["fn:stages.ts#train", "fn:util.ts#helper"]);
});

Deno.test("runFingerprint() throws a PivotError naming a missing export", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, {
    "stages.ts": "export function train() {}\nfunction hidden() {}\n",
    "pipeline.ts": "export default { stages: { train: { run: () => 1 } } };\n",
  });
  await assertPivotRejects(
    fingerprint(dir.path, "stages.ts", ["nope"]),
    /cannot find 'nope' in .*stages\.ts/,
  );
  // Not exported: not found either.
  await assertPivotRejects(
    fingerprint(dir.path, "stages.ts", ["hidden"]),
    /cannot find 'hidden' in .*stages\.ts/,
  );
  await assertPivotRejects(
    fingerprint(dir.path, "pipeline.ts", ["default", "stages", "test", "run"]),
    /cannot find 'default\.stages\.test\.run' in .*pipeline\.ts/,
  );
});

Deno.test("runFingerprint() throws a PivotError naming a file that does not parse", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, {
    "stages.ts": "import { helper } from './broken.ts';\nexport const train = () => helper();\n",
    "broken.ts": "export function helper( {\n  return 1;\n",
  });
  await assertPivotRejects(
    fingerprint(dir.path, "broken.ts", ["helper"]),
    /^cannot parse .*broken\.ts: /,
  );
  await assertPivotRejects(
    fingerprint(dir.path, "stages.ts", ["train"]),
    /^cannot parse .*broken\.ts: /,
  );
});

Deno.test("runFingerprint() throws a PivotError naming a module that does not exist", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, {
    "stages.ts": "import { helper } from './gone.ts';\nexport const train = () => helper();\n",
  });
  await assertPivotRejects(
    fingerprint(dir.path, "stages.ts", ["train"]),
    /^cannot read .*gone\.ts to fingerprint stage code/,
  );
});

Deno.test({
  name: "runFingerprint() sees a helper change behind an `export *` re-export",
  fn: async () => {
    await using dir = await tempDir();
    await writeFiles(dir.path, {
      "stages.ts": "import { helper } from './index.ts';\nexport const train = () => helper();\n",
      "index.ts": "export * from './util.ts';\n",
      "util.ts": "export function helper() {\n  return 1;\n}\n",
    });
    const before = await fingerprint(dir.path, "stages.ts", ["train"]);
    assert.deepEqual(Object.keys(before).sort(), ["fn:stages.ts#train", "fn:util.ts#helper"]);
    await writeFiles(dir.path, { "util.ts": "export function helper() {\n  return 2;\n}\n" });
    const after = await fingerprint(dir.path, "stages.ts", ["train"]);
    assert.notDeepEqual(after, before);
  },
});

Deno.test({
  name: "runFingerprint() follows a local import written as a file: URL",
  fn: async () => {
    await using dir = await tempDir();
    const util = path.join(dir.path, "util.ts");
    await writeFiles(dir.path, {
      "stages.ts": lines(
        `import { helper } from '${new URL(`file://${util}`).href}';`,
        "export const train = () => helper();",
      ),
      "util.ts": "export function helper() {\n  return 1;\n}\n",
    });
    const manifest = await fingerprint(dir.path, "stages.ts", ["train"]);
    assert.deepEqual(Object.keys(manifest).sort(), ["fn:stages.ts#train", "fn:util.ts#helper"]);
  },
});

Deno.test({
  name: "runFingerprint() includes a helper called inside an angle-bracket type assertion",
  fn: async () => {
    const manifest = await fingerprintOf(
      {
        "stages.ts": lines(
          "function helper(): unknown {",
          "  return 1;",
          "}",
          "export function train() {",
          "  return <number> helper();",
          "}",
        ),
      },
      "stages.ts",
      ["train"],
    );
    assert.deepEqual(Object.keys(manifest).sort(), ["fn:stages.ts#helper", "fn:stages.ts#train"]);
  },
});

Deno.test({
  name: "runFingerprint() sees trailing spaces changed inside a template literal",
  fn: async () => {
    await using dir = await tempDir();
    const write = (text: string) =>
      writeFiles(dir.path, { "stages.ts": `export const train = () => \`${text}\`;\n` });
    await write("a  \nb");
    const before = await fingerprint(dir.path, "stages.ts", ["train"]);
    await write("a\nb");
    const after = await fingerprint(dir.path, "stages.ts", ["train"]);
    assert.notDeepEqual(after, before);
  },
});

/** A parse cache over a fresh `state.db` in `root/.pivot`, and the database. */
async function openCache(root: string): Promise<{ db: StateDb; cache: ParseCache }> {
  const db = await StateDb.open(path.join(root, ".pivot"), () => assert.fail("unexpected warning"));
  return { db, cache: new ParseCache(db) };
}

const CACHED_PROJECT = {
  "stages.ts": lines(
    "import { helper } from './util.ts';",
    "export function train() {",
    "  return helper();",
    "}",
  ),
  "util.ts": lines("export function helper() {", "  return 1;", "}"),
};

Deno.test("runFingerprint() with a cache reuses a manifest while its files keep their text", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, CACHED_PROJECT);
  const module = path.join(dir.path, "stages.ts");
  const { db, cache } = await openCache(dir.path);
  try {
    clearFingerprintCache();
    const first = await runFingerprint(module, ["train"], dir.path, cache);
    assert.deepEqual(first, await fingerprint(dir.path, "stages.ts", ["train"]));
    cache.flush();
    // Planted under the same key with the same file hashes: a hit returns it as is.
    const key = `fingerprint1:${hashBytes(JSON.stringify([module, ["train"], dir.path]))}`;
    const stored = JSON.parse(db.getParsed(key)!);
    assert.deepEqual(stored.files.map(([file]: [string]) => file).sort(), [
      module,
      path.join(dir.path, "util.ts"),
    ]);
    db.putParsed([{ key, json: JSON.stringify({ ...stored, manifest: { planted: "1" } }) }], 1e9);
    clearFingerprintCache();
    assert.deepEqual(await runFingerprint(module, ["train"], dir.path, cache), { planted: "1" });
    // The files of a hit count as read (the no-op stamp records them).
    assert.deepEqual(fingerprintedFiles().sort(), [module, path.join(dir.path, "util.ts")]);
    // A helper edited in another module: the remembered manifest no longer holds.
    await Deno.writeTextFile(
      path.join(dir.path, "util.ts"),
      lines("export function helper() {", "  return 2;", "}"),
    );
    clearFingerprintCache();
    const edited = await runFingerprint(module, ["train"], dir.path, cache);
    assert.deepEqual(edited, await fingerprint(dir.path, "stages.ts", ["train"]));
    assert.notDeepEqual(edited, first);
  } finally {
    db.close();
  }
});

Deno.test("runFingerprint() ignores a malformed cache entry and takes the fingerprint again", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, CACHED_PROJECT);
  const module = path.join(dir.path, "stages.ts");
  const { db, cache } = await openCache(dir.path);
  try {
    const key = `fingerprint1:${hashBytes(JSON.stringify([module, ["train"], dir.path]))}`;
    for (
      const bad of [
        { files: "x", manifest: {} },
        { files: [], manifest: {} },
        { files: [[module, 1]], manifest: {} },
        { files: [[module, "h"]], manifest: { a: 1 } },
        42,
      ]
    ) {
      db.putParsed([{ key, json: JSON.stringify(bad) }], 1e9);
      clearFingerprintCache();
      assert.deepEqual(
        await runFingerprint(module, ["train"], dir.path, cache),
        await fingerprint(dir.path, "stages.ts", ["train"]),
      );
    }
  } finally {
    db.close();
  }
});
