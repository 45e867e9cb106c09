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
import { ReportedFailure, StoppedError } from "../util/errors.ts";
import type { CliContext } from "./cli_context.ts";
import { wantsLiveDisplay } from "./run_display.ts";

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
function stopStatus(signal: Deno.Signal): number {
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
function listenForStop(onStop: (signal: Deno.Signal) => void): Disposable {
  const listeners = STOP_SIGNALS.map((signal) => ({ signal, listener: () => onStop(signal) }));
  for (const { signal, listener } of listeners) Deno.addSignalListener(signal, listener);
  return {
    [Symbol.dispose]() {
      for (const { signal, listener } of listeners) Deno.removeSignalListener(signal, listener);
    },
  };
}

/**
 * A command's stop: listens for the stop signals from its creation until it
 * is disposed of; the first signal calls `onFirst` (to print one warning)
 * and aborts {@linkcode CommandStop.signal}, which the command's work checks
 * at its safe points. Later signals change nothing.
 */
export class CommandStop implements Disposable {
  readonly #controller = new AbortController();
  readonly #listening: Disposable;
  #by: Deno.Signal | null = null;

  /** Starts listening; `onFirst` hears the first stop signal. */
  constructor(onFirst: (signal: Deno.Signal) => void) {
    this.#listening = listenForStop((signal) => {
      if (this.#by !== null) return;
      this.#by = signal;
      onFirst(signal);
      this.#controller.abort(new StoppedError());
    });
  }

  /** Aborted (with a `StoppedError`) once a stop signal arrived. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The failure a stopped command ends with: the signal's word and exit status. */
  failure(): ReportedFailure {
    const signal = this.#by ?? "SIGINT";
    return new ReportedFailure(stopWord(signal), stopStatus(signal));
  }

  /**
   * Runs `work` with {@linkcode CommandStop.signal}; once it has settled, a
   * stopped command fails with {@linkcode CommandStop.failure}, whatever
   * `work` returned or threw.
   *
   * @throws {ReportedFailure} with the stop status after a stop signal
   */
  async run<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await work(this.signal);
    } catch (error) {
      throw this.#by === null ? error : this.failure();
    }
    if (this.#by !== null) throw this.failure();
    return result;
  }

  /** Stops listening: a stop signal ends the process again. */
  [Symbol.dispose](): void {
    this.#listening[Symbol.dispose]();
  }
}

/**
 * Runs `work`, a command's writing work, so that a stop signal (Ctrl-C,
 * SIGTERM, SIGHUP) ends it cleanly rather than ending the process at once:
 * the first signal prints `warning: <word>: stopping <doing> (…)` (on a
 * terminal, after clearing a live progress line) and aborts the signal
 * `work` receives, which stops at its next safe point (what is in flight
 * finishes or is removed: temp files, open multipart uploads). A stopped
 * `work` fails with the signal's status (130, 143, 129). A `work` that
 * reached no safe point after the signal finished everything: it returns as
 * usual (its report is printed, the status is 0) after a warning saying so.
 *
 * @param doing what is stopped, in the warnings (`the transfer`, `the checkout`)
 * @throws {ReportedFailure} with the stop status when `work` was stopped
 */
export async function untilStopped<T>(
  ctx: Pick<CliContext, "warn" | "stdout" | "isTerminal" | "env">,
  doing: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  using stop = new CommandStop((signal) => {
    if (wantsLiveDisplay(ctx)) ctx.stdout("\r\x1b[2K");
    ctx.warn(`${stopWord(signal)}: stopping ${doing} (nothing half-written is left)`);
  });
  try {
    const result = await work(stop.signal);
    if (stop.signal.aborted) {
      ctx.warn(`${doing} had finished before it could stop: all of it is done`);
    }
    return result;
  } catch (error) {
    throw stop.signal.aborted ? stop.failure() : error;
  }
}
