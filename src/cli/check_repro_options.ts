/**
 * The checks of how `repro`'s and `run`'s options combine, apart from the
 * watching and the pulling they belong to, so that a plain run loads neither.
 *
 * @module
 */
import { UsageError } from "../util/errors.ts";

/**
 * Checks how the options of `repro` or `run` combine.
 *
 * @throws {UsageError} naming the options that do not go together
 */
export function checkReproOptions(options: Record<string, unknown>): void {
  checkWatchOptions(options);
  checkPullOptions(options);
}

/**
 * Checks how the watch options combine with the others.
 *
 * @throws {UsageError} for `--debounce` or `--serve` without `--watch`, and
 *   `--watch` with `--dry-run`
 */
function checkWatchOptions(options: Record<string, unknown>): void {
  const watch = options.watch === true;
  if (!watch && options.debounce !== undefined) throw new UsageError("--debounce needs --watch");
  if (!watch && options.serve === true) throw new UsageError("--serve needs --watch");
  if (watch && options.dryRun === true) {
    throw new UsageError("--watch and --dry-run cannot be used together");
  }
}

/**
 * Rejects `-r` without `--pull`, and `--pull` with `--dry-run`, `--watch` or
 * `--no-commit`.
 *
 * @throws {UsageError} naming the options
 */
function checkPullOptions(options: Record<string, unknown>): void {
  if (options.pull !== true) {
    if (options.remote !== undefined) throw new UsageError("-r/--remote applies only with --pull");
    return;
  }
  const other = options.dryRun === true
    ? "--dry-run"
    : options.watch === true
    ? "--watch"
    : options.commit === false
    ? "--no-commit"
    : null;
  if (other !== null) throw new UsageError(`--pull and ${other} cannot be used together`);
}
