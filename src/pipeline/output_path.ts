import * as path from "node:path";
import { isInside, relativePosix } from "../util/paths.ts";
import type { DefinitionContext, FieldPath } from "./_context.ts";

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
