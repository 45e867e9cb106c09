/**
 * pivot's lint plugin (`scripts/lint_rules.ts`), run on source text with
 * `Deno.lint.runPlugin`: each rule reports what it is for, where it applies,
 * and nothing else. (`deno lint` in `deno task test` runs it on `src/`.)
 *
 * @module
 */
import assert from "node:assert/strict";
import plugin, { ENGINE_FUNCTION_LINES } from "../scripts/lint_rules.ts";

/** `[rule, line]` of each problem the plugin finds in `source`, as if it were at `file`. */
function problems(file: string, source: string): [string, number][] {
  return Deno.lint.runPlugin(plugin, file, source).map((d) => [
    d.id,
    source.slice(0, d.range[0]).split("\n").length,
  ]);
}

/** A function declaration of exactly `lines` lines. */
function functionOf(lines: number): string {
  const body = Array.from({ length: lines - 2 }, (_, i) => `  const v${i} = ${i};`);
  return ["export function f(): void {", ...body, "}"].join("\n");
}

Deno.test("lint rule engine-function-length: a function of src/engine/ over the limit, and only there", () => {
  const long = functionOf(ENGINE_FUNCTION_LINES + 1);
  assert.deepEqual(problems("/p/src/engine/run.ts", long), [["pivot/engine-function-length", 1]]);
  assert.deepEqual(problems("/p/src/engine/run.ts", functionOf(ENGINE_FUNCTION_LINES)), []);
  assert.deepEqual(problems("/p/src/ops/run.ts", long), []);
  const arrow = `export const g = () => {\n${long.split("\n").slice(1).join("\n")};`;
  assert.deepEqual(problems("/p/src/engine/run.ts", arrow), [["pivot/engine-function-length", 1]]);
  const method = `export class C {\n  m() {\n${"    f();\n".repeat(ENGINE_FUNCTION_LINES)}  }\n}`;
  assert.deepEqual(problems("/p/src/engine/c.ts", method), [["pivot/engine-function-length", 2]]);
});

Deno.test("lint rule no-module-state: module-level let/var and changeable Map/Set in src/, and only those", () => {
  const source = [
    "let a = 1;", // 1
    "export var b = 2;", // 2
    "const cache = new Map<string, number>();", // 3
    "export const seen = new Set<string>();", // 4
    "const table: ReadonlyMap<string, number> = new Map([['x', 1]]);", // 5
    "export const NAMES: ReadonlySet<string> = new Set(['a']);", // 6
    "const weak = new WeakMap<object, number>();", // 7
    "const LIMIT = 4;", // 8
    "export function f(): number {", // 9
    "  let local = 0;", // 10
    "  const m = new Map<string, number>();", // 11
    "  return local + m.size + LIMIT + a + b + cache.size + seen.size + table.size + weak.has(m);",
    "}",
  ].join("\n");
  assert.deepEqual(problems("/p/src/storage/x.ts", source), [
    ["pivot/no-module-state", 1],
    ["pivot/no-module-state", 2],
    ["pivot/no-module-state", 3],
    ["pivot/no-module-state", 4],
    ["pivot/no-module-state", 7],
  ]);
  assert.deepEqual(problems("/p/tests/storage/x_test.ts", source), []);
});
