import type { StampLook } from "../ops/noop_stamp.ts";
import type { StampedUpToDate } from "../ops/stamped_up_to_date.ts";
import type { Session } from "../session/mod.ts";
import { type EnvReader, processEnv } from "../util/env_reader.ts";

/** Where a command writes, from where it runs, and what it sees of its environment. */
export interface CliIo {
  /** Writes to standard output. */
  readonly stdout: (text: string) => void;
  /** Writes to standard error. */
  readonly stderr: (text: string) => void;
  /** The directory the command runs in. */
  readonly cwd: string;
  /**
   * The environment variables pivot reads (`PIVOT_CACHE_DIR`, `XDG_CONFIG_HOME`,
   * `HOME`, `NO_COLOR`); stage commands and other child processes get the
   * process's own environment.
   */
  readonly env: EnvReader;
  /** True when standard output is a terminal. */
  readonly isTerminal: () => boolean;
  /**
   * What the no-op fast path found changed since the stamp of this command
   * line, before the full command line ran (see `fast_noop.ts`).
   */
  readonly stampLook?: StampLook;
}

/** What every command receives: the IO and the global flags. */
export interface CliContext extends CliIo {
  /** `-q`: only errors and requested data. */
  readonly quiet: () => boolean;
  /** `-v`: more detail, stack traces on unexpected errors. */
  readonly verbose: () => boolean;
  /** Prints a warning on stderr unless quiet. */
  readonly warn: (message: string) => void;
  /** Told of the session a command opens (to record a report stamp from it). */
  readonly sessionOpened?: (session: Session) => void;
  /**
   * Told that a no-op stamp vouched for the stages of the command's session
   * (their reads are taken from it for the report stamp).
   */
  readonly stampedUpToDate?: (stamped: StampedUpToDate) => void;
}

/** The real process's IO. */
export function processIo(): CliIo {
  return {
    stdout: writerFor(Deno.stdout),
    stderr: writerFor(Deno.stderr),
    cwd: Deno.cwd(),
    env: processEnv,
    isTerminal: () => Deno.stdout.isTerminal(),
  };
}

/**
 * A writer that stops quietly once the reader has gone (`pivot list | head`):
 * a closed pipe is the reader's choice, not an error; so is a terminal that
 * hung up (closed, its ssh connection dropped), whose writes then fail with
 * EIO while pivot stops its run.
 */
function writerFor(target: { writeSync(data: Uint8Array): number }): (text: string) => void {
  const encoder = new TextEncoder();
  let closed = false;
  return (text) => {
    if (closed) return;
    const data = encoder.encode(text);
    try {
      let offset = 0;
      while (offset < data.length) offset += target.writeSync(data.subarray(offset));
    } catch (error) {
      const hungUp = (error as { code?: unknown }).code === "EIO";
      if (!(error instanceof Deno.errors.BrokenPipe) && !hungUp) throw error;
      closed = true;
    }
  };
}
