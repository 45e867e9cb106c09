import * as path from "node:path";
import { isInside, relativePosix } from "../util/paths.ts";
import type { DefinitionContext, FieldPath } from "./_context.ts";
import { PIPELINE_FILE_NAMES } from "./find_pipeline_file.ts";

/** Where a declared output path is resolved and what it must stay inside. */
export interface OutputPathPlace {
  /** The pipeline file's directory: the path is relative to it. */
  readonly dir: string;
  /** The pipeline root: the path must lie below it. */
  readonly root: string;
  /** The project root (for messages). */
  readonly projectRoot: string;
}

/** Directories that belong to pivot and git, never to a stage. */
const RESERVED_DIRECTORIES = [".pivot", ".git"];

/**
 * Resolves a declared output `path:` (after `${…}` substitution) against the
 * pipeline file's directory and checks that it names a place a stage may
 * write: relative, inside the pipeline root (not the root itself), outside
 * `.pivot/` and `.git/`, and ending in `/` only for a directory output.
 *
 * @returns the absolute path, without a trailing `/`
 * @throws {PipelineFileError} naming the field otherwise
 */
export function resolveOutputPath(
  text: string,
  isDir: boolean,
  place: OutputPathPlace,
  ctx: DefinitionContext,
  at: FieldPath,
): string {
  const { dir, root, projectRoot } = place;
  const rootShown = relativePosix(projectRoot, root);
  const hint = `declare a path relative to the pipeline file, below its root (${
    rootShown === "." ? "the project root" : `${rootShown}/`
  })`;
  if (path.isAbsolute(text)) {
    ctx.fail(at, `output path '${text}' is absolute`, { hint });
  }
  const resolved = path.resolve(dir, text);
  if (!isInside(root, resolved)) {
    ctx.fail(at, `output path '${text}' is outside the pipeline root`, { hint });
  }
  if (resolved === root) {
    ctx.fail(at, `output path '${text}' is the pipeline root itself`, { hint });
  }
  const reserved = path.relative(root, resolved).split(path.sep)
    .find((part) => RESERVED_DIRECTORIES.includes(part));
  if (reserved !== undefined) {
    ctx.fail(
      at,
      `output path '${text}' is inside ${reserved}/, which belongs to ${
        reserved === ".git" ? "git" : "pivot"
      }`,
      { hint },
    );
  }
  if (text.endsWith("/") && !isDir) {
    ctx.fail(at, `output path '${text}' ends in '/', which names a directory`, {
      hint: "declare a directory output with 'format: dir', or remove the '/'",
    });
  }
  return resolved;
}

/** File names no output may take, wherever it is: they would change how the project reads. */
const RESERVED_NAMES: ReadonlyMap<string, string> = new Map([
  ...PIPELINE_FILE_NAMES.map((name) => [name, "a pipeline file name"] as const),
  [".gitignore", "an ignore file (git's)"],
  [".pivotignore", "an ignore file (pivot's)"],
]);

/** The project's own files, which a declared output path must not overwrite. */
export interface ProjectFilesPlace {
  /** The project root. */
  readonly projectRoot: string;
  /**
   * Files an output must neither be nor hold (the params file, the pipeline
   * file, its vars files): absolute path → what it is (`the params file`).
   */
  readonly reservedFiles: ReadonlyMap<string, string>;
}

/**
 * Why an output declared at `target` (absolute) would overwrite a file of the
 * project, or `null` when it would not: a `.pvt` name, a pipeline file name or
 * an ignore file anywhere, one of `reservedFiles` (or, for a directory
 * output, a directory holding one), a tracked path (`<target>.pvt` exists) or
 * a path inside a tracked directory. Only outputs that declare `path:` are
 * checked, so other projects pay nothing for it.
 */
export function projectFileAt(
  target: string,
  isDir: boolean,
  place: ProjectFilesPlace,
): string | null {
  const { projectRoot, reservedFiles } = place;
  const rel = relativePosix(projectRoot, target);
  const shown = isDir ? `${rel}/` : rel;
  const name = path.basename(target);
  if (name.endsWith(".pvt")) return `${shown} is the name of a tracking file (.pvt)`;
  const reservedName = RESERVED_NAMES.get(name);
  if (reservedName !== undefined) return `${shown} is ${reservedName}`;
  for (const [file, what] of reservedFiles) {
    if (file === target) return `${shown} is ${what}`;
    if (isDir && isInside(target, file)) {
      return `${shown} holds ${what} ${relativePosix(projectRoot, file)}`;
    }
  }
  if (entryExists(`${target}.pvt`)) {
    return `${rel} is a tracked ${isDir ? "directory" : "file"} (${rel}.pvt)`;
  }
  for (let dir = path.dirname(target); dir !== projectRoot; dir = path.dirname(dir)) {
    if (!isInside(projectRoot, dir)) break;
    if (entryExists(`${dir}.pvt`)) {
      const dirShown = relativePosix(projectRoot, dir);
      return `${shown} is inside the tracked directory ${dirShown}/ (${dirShown}.pvt)`;
    }
  }
  return null;
}

/** True when something (even a dangling symlink) is at `file`. */
function entryExists(file: string): boolean {
  try {
    Deno.lstatSync(file);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return false;
    }
    throw error;
  }
}
