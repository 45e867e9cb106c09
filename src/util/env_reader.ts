/**
 * Reading environment variables through a function passed in, so that a
 * command run inside another process (a test) sees its own variables and
 * never the host's.
 *
 * @module
 */

/** Reads one environment variable: its value, or `undefined` when it is not set. */
export type EnvReader = (name: string) => string | undefined;

/** The real process's environment (`Deno.env.get`). */
export function processEnv(name: string): string | undefined {
  return Deno.env.get(name);
}
