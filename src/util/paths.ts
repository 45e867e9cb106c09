import * as path from "node:path";

/** Converts an absolute path to a POSIX path relative to `base` (`"."` for `base` itself). */
export function relativePosix(base: string, target: string): string {
  const rel = path.relative(base, target);
  return rel === "" ? "." : rel.split(path.sep).join("/");
}

/** True when `target` is `base` itself or lies below it (no symlinks resolved). */
export function isInside(base: string, target: string): boolean {
  const rel = path.relative(base, target);
  if (rel === "") return true;
  return rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
