/**
 * A real `pivot repro --watch` process for end-to-end tests: its output is
 * gathered as it comes, and a test waits for the line it expects (polling,
 * with a deadline) instead of sleeping a fixed time.
 *
 * @module
 */
import { type CliResult, pivotCommand } from "./project.ts";

/** How long a wait for expected output lasts before the test fails. */
const WAIT_MS = 30_000;

/** A position in the output: everything printed before it is behind. */
export interface OutputMark {
  readonly stdout: number;
  readonly stderr: number;
}

/** Options for a {@linkcode WatchProcess}. */
export interface WatchProcessOptions {
  /** Variables added to its environment. @default {none} */
  env?: Record<string, string>;
  /** The command line that runs pivot. @default {`deno run -A --quiet main.ts`} */
  program?: readonly string[];
}

/** A running watch process; dispose of it to kill it if a test failed before ending it. */
export class WatchProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #reading: Promise<void>[];
  #stdout = "";
  #stderr = "";
  #exited: Promise<Deno.CommandStatus>;
  #done = false;

  /** Starts `pivot repro --watch ...args` in `cwd` (`options.program`: a bundle's or a compiled pivot's command line). */
  constructor(cwd: string, args: readonly string[], options: WatchProcessOptions = {}) {
    const { env = {}, program } = options;
    const more = program === undefined ? {} : { program };
    this.#child = pivotCommand(cwd, ["repro", "--watch", ...args], { env, ...more }).spawn();
    this.#reading = [
      collect(this.#child.stdout, (text) => this.#stdout += text),
      collect(this.#child.stderr, (text) => this.#stderr += text),
    ];
    this.#exited = this.#child.status.then((status) => {
      this.#done = true;
      return status;
    });
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Everything printed on stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Everything printed on stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Where the output ends now. */
  mark(): OutputMark {
    return { stdout: this.#stdout.length, stderr: this.#stderr.length };
  }

  /**
   * Waits until `pattern` appears on `stream` after `from`, and returns the
   * output from `from` to the end of the match.
   *
   * @throws an assertion error with the output so far when it does not appear in time
   */
  async waitFor(
    pattern: RegExp,
    options: { from?: OutputMark; stream?: "stdout" | "stderr"; timeoutMs?: number } = {},
  ): Promise<string> {
    const { from = { stdout: 0, stderr: 0 }, stream = "stdout", timeoutMs = WAIT_MS } = options;
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const text = (stream === "stdout" ? this.#stdout : this.#stderr).slice(from[stream]);
      const match = pattern.exec(text);
      if (match !== null) return text.slice(0, match.index + match[0].length);
      if (this.#done || Date.now() > deadline) {
        throw new Error(
          `${pattern} did not appear on ${stream} (${await this.#why()})\n` +
            `--- stdout:\n${this.#stdout}--- stderr:\n${this.#stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Waits until `condition` holds (a file the stage writes exists, …).
   *
   * @throws an assertion error with the output so far when the process
   *   ends first or it does not hold in time
   */
  async until(what: string, condition: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!(await condition())) {
      if (this.#done || Date.now() > deadline) {
        throw new Error(
          `${what}: not so (${await this.#why()})\n` +
            `--- stdout:\n${this.#stdout}--- stderr:\n${this.#stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Waits for the iteration that starts after `from` to end (its summary
   * line) and returns its lines, durations shown as `(T)`.
   */
  async iteration(from: OutputMark): Promise<string> {
    const text = await this.waitFor(/^\d+ ran, .*\(\d+\.\ds\)\n/m, { from });
    return timeless(text);
  }

  /** Sends Ctrl-C (or `signal`) and waits for the process to end. */
  async interrupt(signal: Deno.Signal = "SIGINT"): Promise<CliResult> {
    this.#child.kill(signal);
    return await this.wait();
  }

  /** Waits for the process to end by itself. */
  async wait(): Promise<CliResult> {
    const status = await this.#exited;
    await Promise.all(this.#reading);
    return { code: status.code, stdout: this.#stdout, stderr: this.#stderr };
  }

  /** Why a wait gave up: the process ended (all its output read, and its exit status), or time ran out. */
  async #why(): Promise<string> {
    if (!this.#done) return "timeout";
    const { code, signal } = await this.#exited;
    await Promise.all(this.#reading);
    return `the process ended: exit code ${code}${signal === null ? "" : `, signal ${signal}`}`;
  }

  /** Kills the process if it still runs. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#done) {
      try {
        this.#child.kill("SIGKILL");
      } catch (error) {
        if (!(error instanceof TypeError)) throw error; // It has just ended.
      }
    }
    await this.wait();
  }
}

/** `text` with stage and run durations (`(0.2s)`) shown as `(T)`. */
export function timeless(text: string): string {
  return text.replace(/\(\d+\.\ds\)/g, "(T)");
}

async function collect(stream: ReadableStream<Uint8Array>, add: (text: string) => void) {
  const decoder = new TextDecoder();
  for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
}
