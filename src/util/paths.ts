import * as path from "node:path";
import { pathToFileURL } from "node:url";

/** Converts an absolute path to a POSIX path relative to `base` (`"."` for `base` itself). */
export function relativePosix(base: string, target: string): string {
  // Most calls name a normal path below a normal base (a plan's thousand inputs): the tail
  // is the answer, without path.relative's resolving and normalising of both.
  if (
    path.sep === "/" && target.startsWith(base) && target[base.length] === "/" &&
    isNormalAbsolute(base) && isNormalAbsolute(target)
  ) {
    return target.slice(base.length + 1);
  }
  const rel = path.relative(base, target);
  return rel === "" ? "." : rel.split(path.sep).join("/");
}

/** True when `file` is an absolute POSIX path with no empty, `.` or `..` segment nor a final `/`. */
function isNormalAbsolute(file: string): boolean {
  return file.startsWith("/") && !/\/\.{0,2}(?:\/|$)/.test(file);
}

/** True when `part` is a relative POSIX path with no empty, `.` or `..` segment nor a final `/`. */
export function isNormalRelative(part: string): boolean {
  return part !== "" && !part.startsWith("/") && !/(?:^|\/)\.{0,2}(?:\/|$)/.test(part);
}

/**
 * `path.join(base, ...parts)`: for a normal absolute `base` and normal
 * relative `parts` (see {@linkcode isNormalRelative}) their concatenation,
 * without path.join's normalising (loading a thousand stages joins their
 * paths many times); anything else goes to path.join.
 */
export function joinNormal(base: string, ...parts: string[]): string {
  if (path.sep === "/" && isNormalAbsolute(base) && parts.every(isNormalRelative)) {
    return `${base}/${parts.join("/")}`;
  }
  return path.join(base, ...parts);
}

/**
 * The directory and the name of `file` as `path.dirname` and `path.basename`
 * give them (cut at the last `/` of a normal absolute POSIX path, without
 * their checks).
 */
export function splitPath(file: string): { readonly dir: string; readonly name: string } {
  if (path.sep === "/" && isNormalAbsolute(file)) {
    const at = file.lastIndexOf("/");
    return { dir: at === 0 ? "/" : file.slice(0, at), name: file.slice(at + 1) };
  }
  return { dir: path.dirname(file), name: path.basename(file) };
}

/** True when `target` is `base` itself or lies below it (no symlinks resolved). */
export function isInside(base: string, target: string): boolean {
  // Two normal absolute paths: a prefix tells, without path.relative (see relativePosix).
  if (path.sep === "/" && isNormalAbsolute(base) && isNormalAbsolute(target)) {
    return target === base || (target.startsWith(base) && target[base.length] === "/");
  }
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
