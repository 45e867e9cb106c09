/**
 * The import rules of STYLE.md's layout table ("(a) Layout"), checked over
 * every module of `src/` plus `main.ts` and `mod.ts`: each import (static
 * `import`/`export … from`, a literal `import("…")`, `typeof import("…")`,
 * `new URL("…", import.meta.url)`) is found with a real parser, so comments
 * and strings never count, and must go from a folder to a folder its row
 * allows. Folders must not import each other in a cycle, and a folder's
 * private `_name.ts` files are imported only from inside it.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { parse } from "@babel/parser";

/** The repository root (this file is `tests/layering_test.ts`). */
const ROOT = path.resolve(import.meta.dirname!, "..");

/** Every row before this one, in table order. */
const EARLIER = "earlier rows";

/** One row of the layout table. */
interface Row {
  /** A folder of `src/` (`storage`), or a file outside the folders (`src/version.ts`, `main.ts`). */
  readonly unit: string;
  /** The units it may import: a list, or {@linkcode EARLIER}. */
  readonly imports: readonly string[] | typeof EARLIER;
  /** Units taken out of {@linkcode EARLIER}. */
  readonly except?: readonly string[];
  /** Units it may import from with `import type` / `export type` only. */
  readonly types?: readonly string[] | typeof EARLIER;
  /** Single files of other units it may import besides (a documented exception). */
  readonly files?: readonly string[];
}

/**
 * STYLE.md's layout table, bottom-up. Every `src/` unit may also import the
 * rows marked in {@linkcode EVERYWHERE} that come before it; an `import type`
 * follows the same rules as a value import unless the row lists `types` (a
 * lower folder declares the narrow shape it needs, so nothing imports upward,
 * not even a type).
 */
const TABLE: readonly Row[] = [
  // No pivot words: atomic write, did-you-mean, shell quoting, PivotError.
  { unit: "util", imports: [] },
  // pivot's version string.
  { unit: "src/version.ts", imports: [] },
  // Not in STYLE's table: a git repository read through git (no pivot words), util-level.
  { unit: "git", imports: [] },
  { unit: "identity", imports: [] },
  { unit: "store", imports: ["identity"] },
  { unit: "formats", imports: [] },
  { unit: "storage", imports: ["identity"] },
  { unit: "pipeline", imports: ["identity", "store", "formats"] },
  { unit: "discovery", imports: ["pipeline", "identity"] },
  { unit: "dag", imports: ["pipeline", "identity"] },
  // Not in STYLE's table: metrics/plots values, their diffs and the plots page; values are
  // read through formats, and ops is its only user.
  { unit: "report", imports: ["formats"] },
  { unit: "project", imports: EARLIER },
  { unit: "engine", imports: EARLIER },
  // Coming with issue #12: the per-command session owns the resources; ops and cli use it.
  { unit: "session", imports: EARLIER },
  { unit: "remote", imports: EARLIER, except: ["engine", "session"] },
  { unit: "ops", imports: EARLIER },
  { unit: "cli", imports: ["ops", "session"], types: EARLIER },
  // A compiled or bundled pivot starts its stage workers and watch mode's file-watching
  // child from main.ts, so main.ts also imports their entries (STYLE (b) 14: the worker
  // entry goes in --include).
  {
    unit: "main.ts",
    imports: ["cli"],
    files: [
      "src/engine/worker_context.ts",
      "src/engine/worker_main.ts",
      "src/engine/watch_child.ts",
    ],
  },
  // The type-only API for pipeline.ts authors.
  { unit: "mod.ts", imports: [], types: ["pipeline"] },
];

/** Units every later `src/` row may import: "plus `util/`" everywhere. */
const EVERYWHERE: readonly string[] = ["util", "src/version.ts"];

/**
 * Imports that break the table and are accepted for now, each
 * `[importing file, imported file]` with the reason in a comment; the test
 * fails when an entry no longer matches an import, so the list only shrinks.
 * Empty: every import follows the table.
 */
const ALLOWED: readonly (readonly [from: string, to: string])[] = [];

/** One import found in a module. */
interface ImportRef {
  /** The specifier as written. */
  readonly specifier: string;
  /** True for `import type`, `export type … from` and `typeof import("…")`. */
  readonly typeOnly: boolean;
  /** 1-based line of the import. */
  readonly line: number;
}

/** An import of one unit by another, resolved to repository-relative paths. */
interface Edge {
  readonly from: string;
  readonly to: string;
  readonly fromUnit: string;
  readonly toUnit: string;
  readonly typeOnly: boolean;
  readonly line: number;
}

/** The parts of a Babel AST node this test reads. */
interface AstNode {
  readonly type: string;
  readonly [field: string]: unknown;
}

function isNode(value: unknown): value is AstNode {
  return typeof value === "object" && value !== null && typeof (value as AstNode).type === "string";
}

/** The text of a string literal or of a template literal without `${…}`, else `null`. */
function literalText(node: unknown): string | null {
  if (!isNode(node)) return null;
  if (node.type === "StringLiteral") return node.value as string;
  if (node.type === "TSLiteralType") return literalText(node.literal);
  if (node.type === "TemplateLiteral" && (node.expressions as unknown[]).length === 0) {
    const [quasi] = node.quasis as { value: { cooked: string } }[];
    return quasi?.value.cooked ?? null;
  }
  return null;
}

/** True for `import.meta.url`. */
function isImportMetaUrl(node: unknown): boolean {
  return isNode(node) && node.type === "MemberExpression" && isNode(node.object) &&
    node.object.type === "MetaProperty" && isNode(node.property) &&
    node.property.name === "url";
}

/** The imports of one TypeScript module's text; `file` names it in parse errors. */
function importsOf(text: string, file: string): ImportRef[] {
  let program: AstNode;
  try {
    program = parse(text, {
      sourceType: "module",
      attachComment: false,
      plugins: ["typescript"],
    }).program as unknown as AstNode;
  } catch (error) {
    throw new Error(`cannot parse ${file}: ${(error as Error).message}`);
  }
  const found: ImportRef[] = [];
  const add = (source: unknown, typeOnly: boolean, node: AstNode) => {
    const specifier = literalText(source);
    const line = (node.loc as { start: { line: number } }).start.line;
    if (specifier !== null) found.push({ specifier, typeOnly, line });
  };
  const visit = (node: AstNode): void => {
    switch (node.type) {
      case "ImportDeclaration":
        add(node.source, node.importKind === "type", node);
        break;
      case "ExportNamedDeclaration":
      case "ExportAllDeclaration":
        if (node.source) add(node.source, node.exportKind === "type", node);
        break;
      case "ImportExpression":
        add(node.source, false, node);
        break;
      case "TSImportType":
        add(node.argument ?? node.source, true, node);
        break;
      case "NewExpression":
        if (
          isNode(node.callee) && node.callee.type === "Identifier" && node.callee.name === "URL" &&
          isImportMetaUrl((node.arguments as unknown[])[1])
        ) add((node.arguments as unknown[])[0], false, node);
        break;
    }
    for (const [field, value] of Object.entries(node)) {
      if (field === "loc") continue;
      if (Array.isArray(value)) { for (const item of value) if (isNode(item)) visit(item); }
      if (isNode(value)) visit(value);
    }
  };
  visit(program);
  return found;
}

/**
 * The unit of a repository-relative path: `src/<folder>/…` → the folder, a
 * file directly in `src/` or at the root → its path, `vendor/…` → `vendor`,
 * anything else (tests, scripts) → `outside`.
 */
function unitOf(file: string): string {
  const parts = file.split("/");
  if (parts[0] === "vendor") return "vendor";
  if (parts.length === 1) return file;
  if (parts[0] !== "src") return "outside";
  return parts.length === 2 ? file : parts[1]!;
}

/** The position of `unit` in the table, or -1. */
function rank(unit: string): number {
  return TABLE.findIndex((row) => row.unit === unit);
}

/** The units a row names: its list, or every earlier row minus `except`. */
function expand(row: Row, list: readonly string[] | typeof EARLIER | undefined): string[] {
  if (list === undefined) return [];
  if (list !== EARLIER) return [...list];
  const earlier = TABLE.slice(0, rank(row.unit)).map((r) => r.unit);
  return earlier.filter((unit) => !(row.except ?? []).includes(unit));
}

/** What `row` may import: what it lists, and for a `src/` row the earlier rows of `EVERYWHERE`. */
function allowedUnits(row: Row): string[] {
  // main.ts and mod.ts stand outside src/: they import only what their rows name.
  const implied = row.unit.startsWith("src/") || !row.unit.includes(".")
    ? EVERYWHERE.filter((unit) => rank(unit) < rank(row.unit))
    : [];
  const units = expand(row, row.imports);
  return [...units, ...implied.filter((unit) => !units.includes(unit))];
}

/** The rule of `row`, as the failure message states it. */
function ruleText(row: Row): string {
  const units = allowedUnits(row);
  let text = units.length === 0
    ? `${row.unit} may import nothing`
    : `${row.unit} may import ${units.join(", ")}`;
  if (row.files !== undefined) text += ` and ${row.files.join(", ")}`;
  if (row.types === EARLIER) text += ", and types (import type) from every earlier row";
  else if (row.types !== undefined) {
    text += `, and types (import type) from ${row.types.join(", ")}`;
  }
  return text;
}

/** Why the import `edge` breaks the table, or `null` when it is allowed. */
function violation(edge: Edge): string | null {
  const { from, to, fromUnit, toUnit, typeOnly, line } = edge;
  const imports = `${from}:${line} imports ${typeOnly ? "type from " : ""}${to}`;
  if (path.basename(to).startsWith("_") && toUnit !== fromUnit) {
    return `${imports}: a _name.ts file is private to its folder (STYLE (b) 2)`;
  }
  if (fromUnit === toUnit || toUnit === "vendor") return null;
  if (toUnit === "outside") return `${imports}: src/, main.ts and mod.ts import only src/`;
  const row = TABLE[rank(fromUnit)];
  if (row === undefined) return `${imports}: ${fromUnit} has no row in the layering table`;
  if (allowedUnits(row).includes(toUnit) || row.files?.includes(to)) return null;
  if (typeOnly && expand(row, row.types).includes(toUnit)) return null;
  return `${imports}: ${ruleText(row)}`;
}

/** Every `.ts` file under `dir` (repository-relative, sorted). */
function tsFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(path.join(ROOT, dir))) {
    const child = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...tsFiles(child));
    else if (entry.isFile && entry.name.endsWith(".ts")) files.push(child);
  }
  return files.sort();
}

/** Every import between units in `src/`, `main.ts` and `mod.ts` today. */
function projectEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const from of ["main.ts", "mod.ts", ...tsFiles("src")]) {
    for (const ref of importsOf(Deno.readTextFileSync(path.join(ROOT, from)), from)) {
      if (!ref.specifier.startsWith("./") && !ref.specifier.startsWith("../")) continue;
      const to = path.posix.normalize(path.posix.join(path.posix.dirname(from), ref.specifier));
      edges.push({ from, to, fromUnit: unitOf(from), toUnit: unitOf(to), ...ref });
    }
  }
  return edges;
}

/**
 * The cycles between units: each strongly connected group of two or more
 * units (Tarjan's algorithm), with one import per link of the group.
 */
function unitCycles(edges: readonly Edge[]): string[] {
  const links = new Map<string, Map<string, Edge>>();
  for (const edge of edges) {
    if (edge.fromUnit === edge.toUnit) continue;
    const out = links.get(edge.fromUnit) ?? new Map<string, Edge>();
    if (!out.has(edge.toUnit)) out.set(edge.toUnit, edge);
    links.set(edge.fromUnit, out);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[] = [];
  const connect = (unit: string): void => {
    index.set(unit, index.size);
    low.set(unit, index.get(unit)!);
    stack.push(unit);
    for (const next of links.get(unit)?.keys() ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(unit, Math.min(low.get(unit)!, low.get(next)!));
      } else if (stack.includes(next)) {
        low.set(unit, Math.min(low.get(unit)!, index.get(next)!));
      }
    }
    if (low.get(unit) !== index.get(unit)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      group.push(member);
    } while (member !== unit);
    if (group.length < 2) return;
    group.sort();
    const inside = group.flatMap((a) =>
      [...(links.get(a) ?? new Map<string, Edge>()).values()]
        .filter((edge) => group.includes(edge.toUnit))
        .map((edge) => `${edge.from} imports ${edge.to}`)
    );
    cycles.push(`${group.join(", ")} import each other: ${inside.join("; ")}`);
  };
  for (const unit of [...links.keys()].sort()) if (!index.has(unit)) connect(unit);
  return cycles;
}

/** An edge from `from` to `to`, as the project scan would make it. */
function edge(from: string, to: string, typeOnly = false): Edge {
  return { from, to, fromUnit: unitOf(from), toUnit: unitOf(to), typeOnly, line: 1 };
}

Deno.test("layering: every src/ folder has a row, and the table's rows are known", () => {
  const folders = [...Deno.readDirSync(path.join(ROOT, "src"))]
    .map((entry) => entry.isDirectory ? entry.name : `src/${entry.name}`)
    .sort();
  const missing = folders.filter((unit) => rank(unit) === -1);
  assert.deepEqual(missing, [], `give these a row in TABLE (and STYLE.md): ${missing.join(", ")}`);
  for (const row of TABLE) {
    for (const unit of [...expand(row, row.imports), ...expand(row, row.types)]) {
      assert.ok(rank(unit) !== -1, `${row.unit} names ${unit}, which has no row`);
      assert.ok(rank(unit) < rank(row.unit), `${row.unit} may import ${unit}, a later row`);
    }
  }
});

Deno.test("layering: src/, main.ts and mod.ts import only what the layout table allows", () => {
  const edges = projectEdges();
  const allowed = new Set(ALLOWED.map(([from, to]) => `${from} → ${to}`));
  const broken = edges.flatMap((edge) => {
    const why = violation(edge);
    return why === null ? [] : [{ key: `${edge.from} → ${edge.to}`, why }];
  });
  const stillThere = new Set(broken.map(({ key }) => key));
  const problems = [
    ...broken.filter(({ key }) => !allowed.has(key)).map(({ why }) => why),
    ...[...allowed].filter((key) => !stillThere.has(key))
      .map((key) =>
        `${key} is in ALLOWED but is not a forbidden import (any more): remove the entry`
      ),
  ];
  if (problems.length > 0) {
    assert.fail(`imports against STYLE.md's layout:\n${problems.join("\n")}`);
  }
});

Deno.test("layering: no two folders import each other, directly or around a cycle", () => {
  assert.deepEqual(unitCycles(projectEdges()), []);
});

Deno.test("layering: importsOf() finds every kind of import and nothing in comments or strings", () => {
  const text = [
    `import { a } from "./a.ts";`,
    `import type { B } from "../b/b.ts";`,
    `import { type C } from "./c.ts";`,
    `export { d } from "./d.ts";`,
    `export type { E } from "./e.ts";`,
    `export * from "./f.ts";`,
    `// import { x } from "./commented.ts";`,
    `/* import("./block_comment.ts") */`,
    `const text = 'import { y } from "./in_string.ts"';`,
    "const g = await import(`./g.ts`);",
    `const h = await import("./h.ts", { with: { type: "text" } });`,
    `const dynamic = await import(text);`,
    `type I = typeof import("./i.ts");`,
    `const worker = new URL("./j.ts", import.meta.url);`,
    `const elsewhere = new URL("./not_a_module.ts", "file:///");`,
    `import "npm:side-effect";`,
  ].join("\n");
  assert.deepEqual(importsOf(text, "x.ts"), [
    { specifier: "./a.ts", typeOnly: false, line: 1 },
    { specifier: "../b/b.ts", typeOnly: true, line: 2 },
    { specifier: "./c.ts", typeOnly: false, line: 3 },
    { specifier: "./d.ts", typeOnly: false, line: 4 },
    { specifier: "./e.ts", typeOnly: true, line: 5 },
    { specifier: "./f.ts", typeOnly: false, line: 6 },
    { specifier: "./g.ts", typeOnly: false, line: 10 },
    { specifier: "./h.ts", typeOnly: false, line: 11 },
    { specifier: "./i.ts", typeOnly: true, line: 13 },
    { specifier: "./j.ts", typeOnly: false, line: 14 },
    { specifier: "npm:side-effect", typeOnly: false, line: 16 },
  ]);
});

Deno.test("layering: violation() applies each row of the table", async (t) => {
  const cases: [name: string, edge: Edge, why: string | null][] = [
    [
      "storage may not import engine",
      edge("src/storage/x.ts", "src/engine/y.ts"),
      "src/storage/x.ts:1 imports src/engine/y.ts: storage may import identity, util, src/version.ts",
    ],
    [
      "a type-only import upward is refused too",
      edge("src/dag/x.ts", "src/engine/mod.ts", true),
      "src/dag/x.ts:1 imports type from src/engine/mod.ts: " +
      "dag may import pipeline, identity, util, src/version.ts",
    ],
    [
      "util imports nothing",
      edge("src/util/x.ts", "src/identity/mod.ts"),
      "src/util/x.ts:1 imports src/identity/mod.ts: util may import nothing",
    ],
    [
      "remote may not import engine",
      edge("src/remote/x.ts", "src/engine/mod.ts"),
      "src/remote/x.ts:1 imports src/engine/mod.ts: remote may import util, src/version.ts, " +
      "git, identity, store, formats, storage, pipeline, discovery, dag, report, project",
    ],
    ["remote imports storage", edge("src/remote/x.ts", "src/storage/mod.ts"), null],
    ["engine imports project", edge("src/engine/x.ts", "src/project/mod.ts"), null],
    ["session imports engine", edge("src/session/x.ts", "src/engine/mod.ts"), null],
    ["ops imports session", edge("src/ops/x.ts", "src/session/mod.ts"), null],
    ["a folder imports itself", edge("src/engine/x.ts", "src/engine/y.ts"), null],
    ["git imports util", edge("src/git/x.ts", "src/util/fs.ts"), null],
    [
      "git imports nothing of pivot",
      edge("src/git/x.ts", "src/identity/mod.ts"),
      "src/git/x.ts:1 imports src/identity/mod.ts: git may import util, src/version.ts",
    ],
    ["cli imports ops", edge("src/cli/x.ts", "src/ops/mod.ts"), null],
    ["cli imports types from engine", edge("src/cli/x.ts", "src/engine/mod.ts", true), null],
    [
      "cli imports no values from engine",
      edge("src/cli/x.ts", "src/engine/mod.ts"),
      "src/cli/x.ts:1 imports src/engine/mod.ts: cli may import ops, session, util, " +
      "src/version.ts, and types (import type) from every earlier row",
    ],
    ["main.ts imports cli", edge("main.ts", "src/cli/run_cli.ts"), null],
    ["main.ts imports the worker entry", edge("main.ts", "src/engine/worker_main.ts"), null],
    [
      "main.ts imports nothing else of engine",
      edge("main.ts", "src/engine/run_id.ts"),
      "main.ts:1 imports src/engine/run_id.ts: main.ts may import cli and " +
      "src/engine/worker_context.ts, src/engine/worker_main.ts, src/engine/watch_child.ts",
    ],
    ["mod.ts imports types from pipeline", edge("mod.ts", "src/pipeline/types.ts", true), null],
    [
      "mod.ts imports no values",
      edge("mod.ts", "src/pipeline/types.ts"),
      "mod.ts:1 imports src/pipeline/types.ts: " +
      "mod.ts may import nothing, and types (import type) from pipeline",
    ],
    [
      "a private file stays in its folder",
      edge("src/ops/x.ts", "src/storage/_fields.ts"),
      "src/ops/x.ts:1 imports src/storage/_fields.ts: a _name.ts file is private to its folder " +
      "(STYLE (b) 2)",
    ],
    ["vendored code is like a package", edge("src/report/x.ts", "vendor/vega/vega.min.js"), null],
    [
      "src never imports tests",
      edge("src/util/x.ts", "tests/_helpers/files.ts"),
      "src/util/x.ts:1 imports tests/_helpers/files.ts: src/, main.ts and mod.ts import only src/",
    ],
    [
      "a folder without a row",
      edge("src/extra/x.ts", "src/util/fs.ts"),
      "src/extra/x.ts:1 imports src/util/fs.ts: extra has no row in the layering table",
    ],
  ];
  for (const [name, input, why] of cases) {
    await t.step(name, () => assert.equal(violation(input), why));
  }
});

Deno.test("layering: unitCycles() names the folders of a cycle and one import per link", () => {
  const edges = [
    edge("src/a/x.ts", "src/b/y.ts"),
    edge("src/b/y.ts", "src/c/z.ts"),
    edge("src/c/z.ts", "src/a/w.ts"),
    edge("src/c/z.ts", "src/d/v.ts"),
    edge("src/d/v.ts", "src/d/u.ts"),
  ];
  assert.deepEqual(unitCycles(edges), [
    "a, b, c import each other: src/a/x.ts imports src/b/y.ts; src/b/y.ts imports src/c/z.ts; " +
    "src/c/z.ts imports src/a/w.ts",
  ]);
});
