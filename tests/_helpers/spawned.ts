/**
 * A real `pivot …` process whose stderr a test can read while it runs (to
 * wait for a `waiting:` line, say), and a polling wait for a condition.
 *
 * @module
 */
import assert from "node:assert/strict";
import { pivotCommand } from "./project.ts";

/** A spawned `pivot …` whose stderr is collected as it comes. */
export interface Spawned {
  readonly pid: number;
  /** The stderr so far. */
  stderr(): string;
  /** True once it has exited. */
  ended(): boolean;
  /** Waits for the end; the exit code and everything printed. */
  done(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts `pivot ...args` in `cwd` (with `NO_COLOR=1` and `env`), collecting its output. */
export function spawnPivot(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Spawned {
  const child = pivotCommand(cwd, args, { env }).spawn();
  let stderr = "";
  const collected = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (stderr += chunk) }),
  );
  const stdout = new Response(child.stdout).text();
  let ended = false;
  child.status.then(() => (ended = true));
  return {
    pid: child.pid,
    stderr: () => stderr,
    ended: () => ended,
    done: async () => {
      const [status, out] = await Promise.all([child.status, stdout, collected]);
      return { code: status.code, stdout: out, stderr };
    },
  };
}

/** Waits until `ready()` is true (checked every 20 ms, at most 20 s). */
export async function until(what: string, ready: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await ready())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
