/**
 * The command line's snapshot of `process.env`: the `yaml` package reads
 * `process.env.LOG_TOKENS` for every token, and Deno's `process.env` asks
 * the operating system each time; a plain copy makes that free. Taken by
 * `main.ts` on the command line's thread only (pivot never sets variables
 * through `process.env`, and child processes get Deno's own environment),
 * never in a stage worker, whose user code may set variables and read them
 * back through `process.env`.
 *
 * @module
 */
import process from "node:process";

/** Replaces `process.env` by a plain copy of itself (call once, from the entry point). */
export function snapshotProcessEnv(): void {
  process.env = { ...process.env };
}
