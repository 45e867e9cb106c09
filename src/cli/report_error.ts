/**
 * How a command's failure is reported: `error: …` and `hint: …` lines on
 * stderr and the exit status. Kept apart from the command tree, so a command
 * run without it (`fast_repro.ts`) reports exactly as the full command line.
 *
 * @module
 */
import { environmentHint } from "../util/environment_error.ts";
import { PivotError, ReportedFailure, UsageError } from "../util/errors.ts";
import type { CliContext } from "./cli_context.ts";

/** Exit statuses. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/**
 * Prints what `error` says (with its stack when `verbose` and it is
 * unexpected) and returns the exit status it calls for; `own` reports the
 * errors of the caller's own kinds first (`null`: not one of them).
 */
export function reportError(
  error: unknown,
  ctx: CliContext,
  verbose: boolean,
  own: (error: unknown) => number | null = () => null,
): number {
  // Closing the session failed after the command had failed already: both are reported,
  // the command's own failure first, and its exit status is kept.
  if (error instanceof SuppressedError) {
    const first = reportError(error.suppressed, ctx, verbose, own);
    const then = reportError(error.error, ctx, verbose, own);
    return first === EXIT.ok ? then : first;
  }
  const reported = own(error);
  if (reported !== null) return reported;
  if (error instanceof ReportedFailure) return error.code;
  if (error instanceof PivotError) {
    ctx.stderr(`error: ${error.message}\n`);
    if (error.hint !== undefined) ctx.stderr(`hint: ${error.hint}\n`);
    return error instanceof UsageError ? EXIT.usage : EXIT.failure;
  }
  const message = error instanceof Error ? error.message : String(error);
  ctx.stderr(`error: ${message}\n`);
  // A full disk or a read-only file system where pivot did not expect one is not pivot's bug.
  const environment = environmentHint(error);
  if (verbose && error instanceof Error && error.stack !== undefined) {
    ctx.stderr(`${error.stack}\n`);
  } else if (environment !== null) {
    ctx.stderr(`hint: ${environment}\n`);
  } else {
    ctx.stderr("hint: this is unexpected; run again with --verbose for details and report it\n");
  }
  return EXIT.failure;
}
