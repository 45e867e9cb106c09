/**
 * The default row limit of a data diff, apart from the diff itself, so that
 * the command line can show it in its help without loading the diff.
 *
 * @module
 */

/** Rows shown per kind of change, by default. */
export const DEFAULT_MAX_ROWS = 20;
