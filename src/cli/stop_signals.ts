/**
 * The signals that stop a run cleanly instead of ending pivot at once:
 * Ctrl-C's SIGINT, the SIGTERM of `kill`, `timeout` and `docker stop`, and
 * the SIGHUP of a terminal closed or an ssh connection dropped (on Windows
 * only SIGINT, where Deno can only listen for SIGINT and SIGBREAK). A
 * command runs in a process group of its own, so a pivot ended by a signal
 * it does not listen for leaves its commands running.
 *
 * @module
 */

/** Each stop signal's exit status (128 + its number) and how messages name the stop. */
const STOPS: Readonly<Partial<Record<Deno.Signal, { status: number; word: string }>>> = {
  SIGINT: { status: 130, word: "interrupted" },
  SIGTERM: { status: 143, word: "terminated" },
  SIGHUP: { status: 129, word: "hung up" },
};

const STOP_SIGNALS: readonly Deno.Signal[] = Deno.build.os === "windows"
  ? ["SIGINT"]
  : ["SIGINT", "SIGTERM", "SIGHUP"];

/** The exit status after a stop by `signal`: 128 + its number (130 for Ctrl-C, 143, 129). */
export function stopStatus(signal: Deno.Signal): number {
  return STOPS[signal]?.status ?? 130;
}

/** How a stop by `signal` is named in messages: `interrupted` (Ctrl-C), `terminated`, `hung up`. */
export function stopWord(signal: Deno.Signal): string {
  return STOPS[signal]?.word ?? "interrupted";
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
