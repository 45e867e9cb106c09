/**
 * The V8 options pivot ships with. `deno task compile` bakes them into the
 * executable; `deno task pivot`, the README's command lines for running from
 * source or from the bundle, and the bench give them to `deno run`
 * (`tests/cli/v8_flags_test.ts` holds each of those to this list).
 *
 * @module
 */

/**
 * `--v8-flags` for `deno run` and `deno compile`.
 *
 * `--max-semi-space-size=16` caps the young generation (where new objects are
 * made) of the coordinator and of every stage worker at Node's default size.
 * Deno lets it grow to 64 MiB per isolate, which a long run's garbage
 * reaches: a fresh 10,000-stage run peaked at 248–257 MiB without the cap
 * and at 203–237 MiB with it, for the same CPU time (see the README).
 *
 * `--initial-old-space-size=32` lets the old generation reach 32 MiB before
 * its first full (mark-compact) collection, which V8 otherwise starts at a
 * few MiB: a command of a fraction of a second (a run after one input
 * changed: ~13 MiB of heap) then ends without one (~7 ms of marking saved
 * there); V8 sizes the limit from what is live after each collection, so a
 * long run's peak is unchanged (fresh 10,000-stage run 234 / 235 MiB, fresh
 * 1,000 TypeScript stages 149 / 148 MiB, without / with).
 */
export const PIVOT_V8_FLAGS = "--v8-flags=--max-semi-space-size=16,--initial-old-space-size=32";
