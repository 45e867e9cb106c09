/**
 * The values the command line's options offer or default to, in a module
 * light enough for the command tree, which loads before any command runs
 * (each command's action loads its operation when it runs).
 *
 * @module
 */
export { CHECKOUT_MODES, type CheckoutMode } from "../storage/checkout_modes.ts";
export { DEFAULT_MAX_ROWS } from "../report/default_max_rows.ts";

/**
 * Unreferenced blobs changed less than this many minutes ago are kept by
 * default: a command that does not take part in the locking (an older
 * pivot, one on another machine sharing the project) may have stored them
 * and not yet written the lock that references them.
 */
export const GC_GRACE_MINUTES = 60;
