import * as path from "node:path";
import { PivotError } from "../util/errors.ts";
import { isInside } from "../util/paths.ts";

/**
 * The reason `value` is not a safe relative path (`/`-separated, not absolute,
 * no `..`, `.` or empty segments, no NUL), or `null` when it is.
 */
export function relativePathProblem(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return "expected a non-empty relative path";
  if (value.includes("\0")) return "contains a NUL character";
  if (value.startsWith("/") || /^[A-Za-z]:/.test(value)) return "is an absolute path";
  for (const segment of value.split("/")) {
    // A backslash is an ordinary character in a POSIX file name, but never part of a `..`.
    if (segment === ".." || segment.split("\\").includes("..")) {
      return "leaves its directory ('..')";
    }
    if (segment === "" || segment === ".") return "has an empty or '.' segment";
  }
  return null;
}

/**
 * Returns `value` when it is a safe relative path.
 *
 * @throws {PivotError} naming `where` otherwise
 */
export function checkRelativePath(value: unknown, where: string): string {
  const problem = relativePathProblem(value);
  if (problem === null) return value as string;
  throw new PivotError(`${where}: unsafe path ${JSON.stringify(value)}: ${problem}`);
}

/**
 * `base` joined with the safe relative path `rel`, checked to stay inside `base`.
 *
 * @throws {PivotError} when `rel` is unsafe
 */
export function resolveInside(base: string, rel: string, where: string): string {
  const target = path.join(base, checkRelativePath(rel, where));
  if (!isInside(base, target)) {
    throw new PivotError(`${where}: path ${JSON.stringify(rel)} leaves ${base}`);
  }
  return target;
}
