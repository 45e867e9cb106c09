/**
 * The signals that stop a run cleanly instead of ending pivot at once:
 * Ctrl-C's SIGINT, and the SIGTERM of `kill`, `timeout` and `docker stop`
 * (none on Windows, where Deno can only listen for SIGINT and SIGBREAK).
 * A command runs in a process group of its own, so a pivot ended by a
 * signal it does not listen for leaves its commands running.
 *
 * @module
 */

const STOP_SIGNALS: readonly Deno.Signal[] = Deno.build.os === "windows"
  ? ["SIGINT"]
  : ["SIGINT", "SIGTERM"];

/** The exit status after a stop by `signal`: 128 + its number (130, or 143 for SIGTERM). */
export function stopStatus(signal: Deno.Signal): number {
  return signal === "SIGTERM" ? 143 : 130;
}

/** How a stop by `signal` is named in messages: `interrupted` (Ctrl-C) or `terminated`. */
export function stopWord(signal: Deno.Signal): string {
  return signal === "SIGTERM" ? "terminated" : "interrupted";
}

/**
 * Calls `onStop` with the signal each time a stop signal arrives, which then
 * no longer ends the process; dispose of the result to stop listening.
 */
export function listenForStop(onStop: (signal: Deno.Signal) => void): Disposable {
  const listeners = STOP_SIGNALS.map((signal) => ({ signal, listener: () => onStop(signal) }));
  for (const { signal, listener } of listeners) Deno.addSignalListener(signal, listener);
  return {
    [Symbol.dispose]() {
      for (const { signal, listener } of listeners) Deno.removeSignalListener(signal, listener);
    },
  };
}
