/**
 * `untilStopped` in-process, with a real SIGHUP sent to this process while
 * the command's work runs (the listener it installs keeps the signal from
 * ending the process): a work that stops at its safe point fails with the
 * stop's status; one that finished everything returns its result.
 *
 * @module
 */
import assert from "node:assert/strict";
import { untilStopped } from "../../src/cli/stop_signals.ts";
import { ReportedFailure } from "../../src/util/errors.ts";

const NOT_POSIX = Deno.build.os === "windows";

/** A context collecting warnings and stdout, on no terminal. */
function collecting() {
  const warnings: string[] = [];
  const ctx = {
    warn: (message: string) => void warnings.push(message),
    stdout: (_text: string) => {},
    isTerminal: () => false,
    env: (_name: string) => undefined,
  };
  return { ctx, warnings };
}

/** Sends SIGHUP to this process and waits until `signal` has heard it. */
async function hangUp(signal: AbortSignal): Promise<void> {
  Deno.kill(Deno.pid, "SIGHUP");
  while (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 5));
}

Deno.test({
  name: "untilStopped(): a work stopped at its safe point fails with the stop's status (129)",
  ignore: NOT_POSIX,
  fn: async () => {
    const { ctx, warnings } = collecting();
    const stopped = untilStopped(ctx, "the push", async (signal) => {
      await hangUp(signal);
      signal.throwIfAborted();
      return "all pushed";
    });
    await assert.rejects(
      stopped,
      (error) => error instanceof ReportedFailure && error.code === 129,
    );
    assert.deepEqual(warnings, ["hung up: stopping the push (nothing half-written is left)"]);
  },
});

Deno.test({
  name:
    "untilStopped(): a work that finished everything after the signal returns its result, saying so",
  ignore: NOT_POSIX,
  fn: async () => {
    const { ctx, warnings } = collecting();
    const result = await untilStopped(ctx, "the import", async (signal) => {
      await hangUp(signal);
      return "imported";
    });
    assert.equal(result, "imported");
    assert.deepEqual(warnings, [
      "hung up: stopping the import (nothing half-written is left)",
      "the import had finished before it could stop: all of it is done",
    ]);
  },
});
