import * as path from "node:path";
import { pathToFileURL } from "node:url";

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

/**
 * `text` with every `file://` URL of a file under `base` shown as a path
 * relative to `base` (`file:///p/pipeline.ts:1:26` → `pipeline.ts:1:26`).
 */
export function relativeFileUrls(text: string, base: string): string {
  return text.replaceAll(`${pathToFileURL(base).href.replace(/\/$/, "")}/`, "");
}
