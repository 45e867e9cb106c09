import assert from "node:assert/strict";
import * as path from "node:path";
import { CodeFingerprints } from "../../src/engine/code_fingerprint.ts";
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
  return new CodeFingerprints().runFingerprint(path.join(root, module), exportPath, root);
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

/**
 * The hash a fingerprint gives the top-level declaration `code` of `name`
 * (`kind`: `fn`, `class`, `const`), taken from a module holding only it.
 */
async function declarationHash(code: string, name: string, kind = "fn"): Promise<string> {
  const manifest = await fingerprintOf(
    { "alone.ts": lines(code, `export { ${name} as probe };`) },
    "alone.ts",
    ["probe"],
  );
  const hash = manifest[`${kind}:alone.ts#${name}`];
  assert.match(hash ?? "", /^[0-9a-f]{16}$/);
  return hash!;
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
  assert.deepEqual(manifest, {
    "fn:stages.ts#train": await declarationHash(TRAIN_FUNCTION, "train"),
  });
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
  assert.deepEqual(manifest, { "fn:stages.ts#train": await declarationHash(declaration, "train") });
});

Deno.test("runFingerprint() follows `export { local as name }` to the local function", async () => {
  const manifest = await fingerprintOf(
    {
      "stages.ts": lines(TRAIN_FUNCTION, "export { train as fit };"),
    },
    "stages.ts",
    ["fit"],
  );
  assert.deepEqual(manifest, {
    "fn:stages.ts#train": await declarationHash(TRAIN_FUNCTION, "train"),
  });
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
  assert.deepEqual(manifest, {
    "fn:pipeline.ts#train": await declarationHash(TRAIN_FUNCTION, "train"),
  });
});

Deno.test("runFingerprint() hashes an inline arrow of a default-export path under its path", async () => {
  const pipeline = (arrow: string, other: string) =>
    fingerprintOf(
      {
        "pipeline.ts": lines(
          "export default {",
          "  stages: {",
          `    train: { run: ${arrow}, outs: 'json' },`,
          `    other: { run: ${other} },`,
          "  },",
          "};",
        ),
      },
      "pipeline.ts",
      ["default", "stages", "train", "run"],
    );
  const manifest = await pipeline("(ctx: unknown) => ({ ok: true, ctx })", "() => 2");
  assert.deepEqual(Object.keys(manifest), ["fn:pipeline.ts#default.stages.train.run"]);
  // The arrow's own code: not the other stage's, not its formatting.
  assert.deepEqual(await pipeline("(ctx: unknown)=>({ok: true, ctx,})", "() => 3"), manifest);
  assert.notDeepEqual(
    await pipeline("(ctx: unknown) => ({ ok: false, ctx })", "() => 2"),
    manifest,
  );
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
  assert.deepEqual(Object.keys(manifest), ["fn:pipeline.ts#default.stages.train.run"]);
  assert.notEqual(
    manifest["fn:pipeline.ts#default.stages.train.run"],
    await declarationHash("function run(ctx: unknown) {\n  return ctx;\n}", "run"),
    "the method, not a function of the same body",
  );
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
  assert.equal(manifest["fn:stages.ts#helper"], await declarationHash(helper, "helper"));
  assert.equal(
    manifest["const:stages.ts#SCALE"],
    await declarationHash("const SCALE = 10;", "SCALE", "const"),
  );
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
  assert.equal(manifest["fn:lib/util.ts#helper"], await declarationHash(helper, "helper"));
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

Deno.test("runFingerprint() records `import * as u` as mod:<file> with the whole module's hash", async () => {
  const withUtil = (util: string) =>
    fingerprintOf(
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
  const manifest = await withUtil(
    "export function helper() {\n  return 1;\n}\n// trailing comment\n",
  );
  assert.deepEqual(Object.keys(manifest).sort(), ["fn:stages.ts#train", "mod:util.ts"]);
  // Formatting and comments anywhere in the module do not count; any code does.
  assert.deepEqual(
    await withUtil("// leading\n\nexport function helper ( ) { return 1 }\n"),
    manifest,
  );
  const other = await withUtil(
    "export function helper() {\n  return 1;\n}\nexport const unused = 2;\n",
  );
  assert.notEqual(other["mod:util.ts"], manifest["mod:util.ts"]);
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

Deno.test("CodeFingerprints parses a module once for its lifetime; a new one reads it again", async () => {
  await using dir = await tempDir();
  const file = path.join(dir.path, "stages.ts");
  await Deno.writeTextFile(file, "export function train() {\n  return 1;\n}\n");
  const session = new CodeFingerprints();
  const before = await session.runFingerprint(file, ["train"], dir.path);
  await Deno.writeTextFile(file, "export function train() {\n  return 2;\n}\n");
  assert.deepEqual(await session.runFingerprint(file, ["train"], dir.path), before);
  assert.notDeepEqual(
    await new CodeFingerprints().runFingerprint(file, ["train"], dir.path),
    before,
  );
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
    let fingerprints = new CodeFingerprints();
    const first = await fingerprints.runFingerprint(module, ["train"], dir.path, cache);
    assert.deepEqual(first, await fingerprint(dir.path, "stages.ts", ["train"]));
    cache.flush();
    // Planted under the same key with the same file hashes: a hit returns it as is.
    const key = `fingerprint2:${hashBytes(JSON.stringify([module, ["train"], dir.path]))}`;
    const stored = JSON.parse(db.getParsed(key)!);
    assert.deepEqual(stored.files.map(([file]: [string]) => file).sort(), [
      module,
      path.join(dir.path, "util.ts"),
    ]);
    db.putParsed([{ key, json: JSON.stringify({ ...stored, manifest: { planted: "1" } }) }], 1e9);
    fingerprints = new CodeFingerprints();
    assert.deepEqual(await fingerprints.runFingerprint(module, ["train"], dir.path, cache), {
      planted: "1",
    });
    // The files of a hit count as read (the no-op stamp records them).
    assert.deepEqual(fingerprints.files().sort(), [module, path.join(dir.path, "util.ts")]);
    // A helper edited in another module: the remembered manifest no longer holds.
    await Deno.writeTextFile(
      path.join(dir.path, "util.ts"),
      lines("export function helper() {", "  return 2;", "}"),
    );
    fingerprints = new CodeFingerprints();
    const edited = await fingerprints.runFingerprint(module, ["train"], dir.path, cache);
    assert.deepEqual(edited, await fingerprint(dir.path, "stages.ts", ["train"]));
    assert.notDeepEqual(edited, first);
  } finally {
    db.close();
  }
});

Deno.test("runFingerprint() takes a stage's manifest once per session: asking again looks up no cache entry", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, CACHED_PROJECT);
  const module = path.join(dir.path, "stages.ts");
  const { db } = await openCache(dir.path);
  try {
    // A stage is judged, then confirmed after the run: each stage asks two or three times.
    let lookups = 0;
    const counted = new (class extends ParseCache {
      override get(kind: string, text: string): unknown {
        lookups++;
        return super.get(kind, text);
      }
    })(db);
    const fingerprints = new CodeFingerprints();
    const first = await fingerprints.runFingerprint(module, ["train"], dir.path, counted);
    assert.equal(lookups, 1);
    assert.deepEqual(
      await fingerprints.runFingerprint(module, ["train"], dir.path, counted),
      first,
    );
    assert.deepEqual(
      await fingerprints.runFingerprint(module, ["train"], dir.path, counted),
      first,
    );
    assert.equal(lookups, 1);
    // Another export is another manifest.
    await fingerprints.runFingerprint(module, ["other"], dir.path, counted).catch(() => {});
    assert.equal(lookups, 2);
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
    const key = `fingerprint2:${hashBytes(JSON.stringify([module, ["train"], dir.path]))}`;
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
      const fingerprints = new CodeFingerprints();
      assert.deepEqual(
        await fingerprints.runFingerprint(module, ["train"], dir.path, cache),
        await fingerprint(dir.path, "stages.ts", ["train"]),
      );
    }
  } finally {
    db.close();
  }
});

/** A stage function with a helper and a constant, written as `deno fmt` leaves it. */
const FORMATTED = lines(
  'const GREETING = "hello";',
  "",
  'function helper(items: string[], sep = ", "): string {',
  "  return items.map((item) => `${GREETING} ${item}`).join(sep);",
  "}",
  "",
  "export function train(ctx: { params: { names: string[]; n: number } }) {",
  "  const { names, n } = ctx.params;",
  "  const total = n * 2 + 1;",
  '  const config = { mode: "fast", retries: 3, nested: { on: true } };',
  "  if (total > 10 && names.length > 0) {",
  "    return { text: helper(names), total, config };",
  "  }",
  '  return { text: helper(names, "; "), total: -1, config };',
  "}",
);

/** The fingerprint of `train` in a module whose text is `text`. */
function trainFingerprint(text: string): Promise<Record<string, string>> {
  return fingerprintOf({ "stages.ts": text }, "stages.ts", ["train"]);
}

Deno.test("runFingerprint() ignores formatting: what changes only the layout keeps the fingerprint", async (t) => {
  const before = await trainFingerprint(FORMATTED);
  assert.deepEqual(Object.keys(before).sort(), [
    "const:stages.ts#GREETING",
    "fn:stages.ts#helper",
    "fn:stages.ts#train",
  ]);
  const cases: [string, string][] = [
    [
      "comment lines and a doc comment",
      FORMATTED.replace("export function", "/** Trains. */\nexport function")
        .replace("  const total", "  // the total\n  /* block\n   comment */\n  const total"),
    ],
    [
      "blank lines",
      FORMATTED.replace("  const total", "\n\n  const total").replace("  if", "\n  if"),
    ],
    ["reindented", FORMATTED.replace(/^ {2}/gm, "\t").replace(/^\t {2}/gm, "\t\t")],
    ["extra spaces", FORMATTED.replace("n * 2 + 1", "n  *  2  +  1").replace("(ctx:", "( ctx :")],
    ["single quotes", FORMATTED.replaceAll('"fast"', "'fast'").replace('", "', "', '")],
    ["no semicolons", FORMATTED.replace(/;$/gm, "")],
    [
      "trailing commas",
      FORMATTED.replace("nested: { on: true } }", "nested: { on: true, }, }")
        .replace('helper(names, "; ")', 'helper(names, "; ",)'),
    ],
    [
      "redundant parentheses",
      FORMATTED.replace("(item) =>", "item =>").replace("n * 2 + 1", "((n * 2) + 1)"),
    ],
    [
      "quoted property names",
      FORMATTED.replace("{ mode:", '{ "mode":').replace("retries:", "'retries':"),
    ],
    ["all on one line", FORMATTED.replace(/\n\s*/g, "\n").replace(/{\n/g, "{ ")],
  ];
  for (const [label, text] of cases) {
    await t.step(label, async () => {
      assert.notEqual(text, FORMATTED, "the case changes the text");
      assert.deepEqual(await trainFingerprint(text), before);
    });
  }
});

Deno.test("runFingerprint() sees every change of meaning: a value, a name, an operator, a helper", async (t) => {
  const before = await trainFingerprint(FORMATTED);
  const cases: [string, string, string][] = [
    ["a number", FORMATTED.replace("n * 2 + 1", "n * 2 + 2"), "fn:stages.ts#train"],
    ["a string", FORMATTED.replace('"fast"', '"slow"'), "fn:stages.ts#train"],
    ["a string's case", FORMATTED.replace('"fast"', '"Fast"'), "fn:stages.ts#train"],
    ["a property name", FORMATTED.replace("retries:", "attempts:"), "fn:stages.ts#train"],
    ["a local name", FORMATTED.replaceAll("total", "sum"), "fn:stages.ts#train"],
    ["an operator", FORMATTED.replace("n * 2 + 1", "n * 2 - 1"), "fn:stages.ts#train"],
    ["a comparison", FORMATTED.replace("total > 10", "total >= 10"), "fn:stages.ts#train"],
    ["grouping", FORMATTED.replace("n * 2 + 1", "n * (2 + 1)"), "fn:stages.ts#train"],
    ["a boolean", FORMATTED.replace("on: true", "on: false"), "fn:stages.ts#train"],
    ["a type", FORMATTED.replace("n: number }", "n: bigint }"), "fn:stages.ts#train"],
    [
      "a template literal",
      FORMATTED.replace("${GREETING} ${item}", "${GREETING}, ${item}"),
      "fn:stages.ts#helper",
    ],
    ["a default value", FORMATTED.replace('sep = ", "', 'sep = ","'), "fn:stages.ts#helper"],
    ["a constant it reads", FORMATTED.replace('"hello"', '"hi"'), "const:stages.ts#GREETING"],
  ];
  for (const [label, text, changed] of cases) {
    await t.step(label, async () => {
      assert.notEqual(text, FORMATTED, "the case changes the text");
      const after = await trainFingerprint(text);
      const differing = Object.keys(before).filter((key) => before[key] !== after[key]);
      assert.deepEqual(differing, [changed]);
    });
  }
});

Deno.test("runFingerprint() of a module is unchanged by `deno fmt`", async () => {
  await using dir = await tempDir();
  const messy = lines(
    "import {join} from 'node:path'",
    "import * as util from './util.ts'",
    "const   LIMIT=10 // the limit",
    "function  helper (x:number,y=2) { return x*y+LIMIT }",
    "export function train(ctx:{paths:{out:string},params:{n:number}}){",
    "    const rows=[1,2,3].map(x=>helper(x)).filter(x=>x>ctx.params.n)",
    "",
    "",
    "    return {rows,path:join(ctx.paths.out,'x'),n:util.twice(ctx.params.n),}",
    "}",
  );
  await writeFiles(dir.path, {
    "stages.ts": messy,
    "util.ts": "export function twice(n:number){return n*2}\nexport const other={a:1,'b':2}\n",
  });
  const before = await fingerprint(dir.path, "stages.ts", ["train"]);
  assert.deepEqual(Object.keys(before).sort(), [
    "const:stages.ts#LIMIT",
    "fn:stages.ts#helper",
    "fn:stages.ts#train",
    "mod:util.ts",
    "pkg:node:path",
  ]);
  const fmt = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--no-config", "stages.ts", "util.ts"],
    cwd: dir.path,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(fmt.success, new TextDecoder().decode(fmt.stderr));
  const formatted = await Deno.readTextFile(path.join(dir.path, "stages.ts"));
  assert.notEqual(formatted, messy, "deno fmt changed the module");
  assert.match(formatted, /return x \* y \+ LIMIT;/);
  assert.deepEqual(await fingerprint(dir.path, "stages.ts", ["train"]), before);
});

Deno.test("runFingerprint() does not reuse a fingerprint remembered by the source-text algorithm", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, CACHED_PROJECT);
  const module = path.join(dir.path, "stages.ts");
  const { db, cache } = await openCache(dir.path);
  try {
    // What the previous algorithm left: a valid entry, its files unchanged since.
    const files = [module, path.join(dir.path, "util.ts")].map((file) => [
      file,
      hashBytes(Deno.readTextFileSync(file)),
    ]);
    const key = `fingerprint1:${hashBytes(JSON.stringify([module, ["train"], dir.path]))}`;
    db.putParsed([{ key, json: JSON.stringify({ files, manifest: { old: "1" } }) }], 1e9);
    const fingerprints = new CodeFingerprints();
    assert.deepEqual(
      await fingerprints.runFingerprint(module, ["train"], dir.path, cache),
      await fingerprint(dir.path, "stages.ts", ["train"]),
    );
  } finally {
    db.close();
  }
});

/** A stage module reading a JSON module, and the JSON it imports. */
const JSON_IMPORT_PROJECT: Record<string, string> = {
  "stages.ts": lines(
    'import cfg from "./cfg.json" with { type: "json" };',
    "export function train() {",
    "  return { lr: cfg.lr };",
    "}",
    "export function other() {",
    "  return 1;",
    "}",
  ),
  "cfg.json": '{ "lr": 0.1 }\n',
};

Deno.test("runFingerprint() takes a JSON module a stage imports by its text", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, JSON_IMPORT_PROJECT);
  const before = await fingerprint(dir.path, "stages.ts", ["train"]);
  assert.deepEqual(Object.keys(before).sort(), ["fn:stages.ts#train", "mod:cfg.json"]);
  assert.equal(before["mod:cfg.json"], hashBytes('{ "lr": 0.1 }\n'));
  // A function that does not read it does not depend on it.
  assert.deepEqual(Object.keys(await fingerprint(dir.path, "stages.ts", ["other"])), [
    "fn:stages.ts#other",
  ]);
  await Deno.writeTextFile(path.join(dir.path, "cfg.json"), '{ "lr": 0.2 }\n');
  const after = await fingerprint(dir.path, "stages.ts", ["train"]);
  assert.notEqual(after["mod:cfg.json"], before["mod:cfg.json"]);
  assert.equal(after["fn:stages.ts#train"], before["fn:stages.ts#train"]);
});

Deno.test("runFingerprint() with a cache takes a JSON module again once it is edited", async () => {
  await using dir = await tempDir();
  await writeFiles(dir.path, JSON_IMPORT_PROJECT);
  const module = path.join(dir.path, "stages.ts");
  const { db, cache } = await openCache(dir.path);
  try {
    const first = new CodeFingerprints();
    const before = await first.runFingerprint(module, ["train"], dir.path, cache);
    assert.deepEqual(first.files().sort(), [path.join(dir.path, "cfg.json"), module]);
    cache.flush();
    await Deno.writeTextFile(path.join(dir.path, "cfg.json"), '{ "lr": 0.2 }\n');
    const after = await new CodeFingerprints().runFingerprint(module, ["train"], dir.path, cache);
    assert.deepEqual(after, await fingerprint(dir.path, "stages.ts", ["train"]));
    assert.notEqual(after["mod:cfg.json"], before["mod:cfg.json"]);
  } finally {
    db.close();
  }
});
