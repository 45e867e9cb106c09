import assert from "node:assert/strict";
import * as path from "node:path";
import {
  checkRelativePath,
  relativePathProblem,
  resolveInside,
} from "../../src/storage/safe_path.ts";
import { assertPivotError } from "../_helpers/storage.ts";

const SAFE: readonly string[] = [
  "a",
  "a/b",
  "a.txt",
  "data/raw.csv",
  ".hidden",
  "a/.b",
  "..a",
  "a..",
  "a/...",
  "a b",
  "a\tb",
  'q"uote',
  "dög/😀.txt",
  "C",
  "1:2",
  "a\\b",
];

const NON_EMPTY = "expected a non-empty relative path";
const ABSOLUTE = "is an absolute path";
const LEAVES = "leaves its directory ('..')";
const EMPTY_SEGMENT = "has an empty or '.' segment";

const UNSAFE: readonly [unknown, string][] = [
  ["", NON_EMPTY],
  [null, NON_EMPTY],
  [undefined, NON_EMPTY],
  [42, NON_EMPTY],
  [["a"], NON_EMPTY],
  ["a\0b", "contains a NUL character"],
  ["..\\x", LEAVES],
  ["a/b\\..", LEAVES],
  ["/etc/passwd", ABSOLUTE],
  ["/", ABSOLUTE],
  ["C:foo", ABSOLUTE],
  ["c:/x", ABSOLUTE],
  ["..", LEAVES],
  ["../x", LEAVES],
  ["../../etc/passwd", LEAVES],
  ["a/../b", LEAVES],
  ["a/..", LEAVES],
  [".", EMPTY_SEGMENT],
  ["./a", EMPTY_SEGMENT],
  ["a/./b", EMPTY_SEGMENT],
  ["a//b", EMPTY_SEGMENT],
  ["a/", EMPTY_SEGMENT],
];

Deno.test("relativePathProblem() accepts safe relative paths", () => {
  for (const value of SAFE) {
    assert.equal(relativePathProblem(value), null, JSON.stringify(value));
  }
});

Deno.test("relativePathProblem() names the problem of each unsafe path", () => {
  for (const [value, problem] of UNSAFE) {
    assert.equal(relativePathProblem(value), problem, JSON.stringify(value));
  }
});

Deno.test("checkRelativePath() returns a safe path unchanged", () => {
  for (const value of SAFE) assert.equal(checkRelativePath(value, "where"), value);
});

Deno.test("checkRelativePath() throws a PivotError naming the field, the value and the problem", () => {
  for (const [value, problem] of UNSAFE) {
    assertPivotError(
      () => checkRelativePath(value, "outs[0].path"),
      `outs[0].path: unsafe path ${JSON.stringify(value)}: ${problem}`,
    );
  }
});

Deno.test("resolveInside() joins a safe path below the base", () => {
  const base = path.resolve("/work/project");
  assert.equal(resolveInside(base, "a", "w"), path.join(base, "a"));
  assert.equal(resolveInside(base, "a/b/c.txt", "w"), path.join(base, "a", "b", "c.txt"));
  assert.equal(resolveInside(base, "..a", "w"), path.join(base, "..a"));
});

Deno.test("resolveInside() rejects every unsafe path before joining", () => {
  const base = path.resolve("/work/project");
  for (const [value, problem] of UNSAFE) {
    if (typeof value !== "string") continue;
    assertPivotError(
      () => resolveInside(base, value, "manifest"),
      `manifest: unsafe path ${JSON.stringify(value)}: ${problem}`,
    );
  }
});
