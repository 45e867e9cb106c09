/**
 * Watch mode's file-watching child process (`watch_child.ts`) seen from
 * pivot: started the way pivot itself runs (from source, bundled or
 * compiled), its events read from its stdout as they come, and its end
 * reported as an error when nobody asked it to stop.
 *
 * @module
 */
import { PivotError } from "../util/errors.ts";
import { firstLine } from "../util/first_line.ts";
import { WATCH_CHILD_ARG, type WatchChildMessage, type WatchChildSpec } from "./watch_child.ts";

/** How long the child gets to exit once told to stop, before it is killed. */
const CLOSE_GRACE_MS = 2_000;

/** How much of the child's stderr is kept to explain its end. */
const STDERR_KEEP = 4_096;

/** Options for {@linkcode WatchChildProcess.start}. */
export interface WatchChildOptions {
  /** Watched recursively. */
  root: string;
  /** Watched without their subdirectories (each must exist). @default {none} */
  extraDirs?: readonly string[];
  /** Called with each event, in the order the system reported them. */
  onEvent: (event: Deno.FsEvent) => void;
  /** Called once if the child ends before it is closed: why, as an error to report. */
  onEnd: (error: PivotError) => void;
}

/**
 * The command that starts the child: a compiled pivot runs itself with the
 * hidden argument; from source, `deno run` runs `watch_child_entry.ts`
 * beside this module; a bundle (or any other main module) runs the main
 * module with the hidden argument. The child only reads, and no
 * `deno.json` where pivot is started applies to it.
 */
export function watchChildCommand(spec: WatchChildSpec): { command: string; args: string[] } {
  const json = JSON.stringify(spec);
  if (Deno.build.standalone) return { command: Deno.execPath(), args: [WATCH_CHILD_ARG, json] };
  const run = ["run", "--no-config", "--no-prompt", "--allow-read"];
  const beside = new URL("./watch_child_entry.ts", import.meta.url);
  if (beside.protocol === "file:") {
    try {
      if (Deno.statSync(beside).isFile) {
        return { command: Deno.execPath(), args: [...run, beside.href, json] };
      }
    } catch { /* not running from source */ }
  }
  return { command: Deno.execPath(), args: [...run, Deno.mainModule, WATCH_CHILD_ARG, json] };
}

/** The running child; close it with `await using`. */
export class WatchChildProcess implements AsyncDisposable {
  readonly #root: string;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #onEvent: (event: Deno.FsEvent) => void;
  readonly #onEnd: (error: PivotError) => void;
  readonly #started = Promise.withResolvers<void>();
  readonly #ended: Promise<void>;
  #ready = false;
  #closing = false;
  /** What the child said went wrong, or what pivot could not read from it. */
  #problem: string | null = null;
  /** The directory the child could not watch. */
  #failedDir: string | null = null;
  #stderr = "";

  private constructor(options: WatchChildOptions, child: Deno.ChildProcess) {
    this.#root = options.root;
    this.#onEvent = options.onEvent;
    this.#onEnd = options.onEnd;
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.#ended = this.#run();
  }

  /**
   * Starts the child and resolves once it watches: every change made after
   * that is reported.
   *
   * @throws {PivotError} when the child cannot start or cannot watch
   *   (`cannot watch <dir>: <why>`)
   */
  static async start(options: WatchChildOptions): Promise<WatchChildProcess> {
    const { root, extraDirs = [] } = options;
    const { command, args } = watchChildCommand({ root, extraDirs, parent: Deno.pid });
    let child: Deno.ChildProcess;
    try {
      // In a session of its own: Ctrl-C on a terminal reaches pivot, which stops it.
      child = new Deno.Command(command, {
        args,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        detached: true,
      }).spawn();
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      throw cannotWatch(root, `cannot start the watching process: ${error.message}`);
    }
    const watching = new WatchChildProcess(options, child);
    await watching.#started.promise;
    return watching;
  }

  /** Stops the child (killed if it does not exit in time) and waits for its end. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      // The child stops when its stdin closes; one that has ended already has nothing to close.
      await this.#stdin.close().catch(() => {});
      const timer = setTimeout(() => this.#kill(), CLOSE_GRACE_MS);
      try {
        await this.#ended;
      } finally {
        clearTimeout(timer);
      }
    }
    await this.#ended;
  }

  /** Reads the child until it ends, then says why when nobody closed it. */
  async #run(): Promise<void> {
    await Promise.all([this.#readMessages(), this.#readStderr()]);
    const status = await this.#child.status;
    if (this.#ready && this.#closing) return;
    const how = status.signal === null
      ? `exited with status ${status.code}`
      : `was killed by ${status.signal}`;
    const why = this.#problem ?? (firstLine(this.#stderr) || null);
    if (!this.#ready) {
      const dir = this.#failedDir ?? this.#root;
      this.#started.reject(cannotWatch(dir, why ?? `the watching process ${how}`));
      return;
    }
    this.#onEnd(
      new PivotError(
        `file watching stopped: the watching process (pid ${this.#child.pid}) ${how}${
          why === null ? "" : `: ${why}`
        }`,
        { hint: "changes are no longer seen: start watching again" },
      ),
    );
  }

  async #readMessages(): Promise<void> {
    let pending = "";
    for await (const text of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      const lines = (pending + text).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        let message: WatchChildMessage;
        try {
          message = JSON.parse(line) as WatchChildMessage;
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          this.#problem = `unreadable output from the watching process: ${line}`;
          this.#kill();
          return;
        }
        this.#take(message);
      }
    }
  }

  #take(message: WatchChildMessage): void {
    if (message.type === "ready") {
      this.#ready = true;
      this.#started.resolve();
    } else if (message.type === "error") {
      this.#problem = message.message;
      this.#failedDir = message.dir ?? null;
    } else {
      const { kind, paths, flag } = message;
      this.#onEvent({ kind, paths: [...paths], ...(flag === undefined ? {} : { flag }) });
    }
  }

  async #readStderr(): Promise<void> {
    for await (const text of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
      this.#stderr = (this.#stderr + text).slice(-STDERR_KEEP);
    }
  }

  #kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // It has just ended.
    }
  }
}

function cannotWatch(dir: string, why: string): PivotError {
  return new PivotError(`cannot watch ${dir}: ${why}`, {
    hint: "check that the directory exists and is readable (on Linux, a project with very many " +
      "directories may need a higher fs.inotify.max_user_watches)",
  });
}
