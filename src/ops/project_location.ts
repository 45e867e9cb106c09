/**
 * Where a command's project is, for commands that work on its files without
 * opening it (config, remotes), and the values commands show from the
 * project's and storage's vocabulary.
 *
 * @module
 */
import { findProjectRoot } from "../discovery/mod.ts";
import { pipelineJsonSchema } from "../pipeline/mod.ts";
import { PivotError } from "../util/errors.ts";

export { configFileDisplay, type ConfigPlace, type ConfigScope } from "../project/mod.ts";
export { CHECKOUT_MODES, type CheckoutMode } from "../storage/mod.ts";

/**
 * The project root above `cwd`.
 *
 * @throws {PivotError} when `cwd` is not in a project (saying to run `pivot init`)
 */
export function projectRootOf(cwd: string): string {
  return findProjectRoot(cwd);
}

/** The project root above `cwd`, or `null` outside a project (the user config alone needs none). */
export function projectRootOrNull(cwd: string): string | null {
  try {
    return findProjectRoot(cwd);
  } catch (error) {
    if (error instanceof PivotError) return null;
    throw error;
  }
}

/** The JSON Schema of `pivot.yaml` (`pivot schema`). */
export function pipelineSchema(): unknown {
  return pipelineJsonSchema();
}
