/**
 * The file-watching child process of watch mode: it watches the directories
 * it is given (`Deno.watchFs`) and writes each event to stdout as a line of
 * JSON, and opens no database. Deno's watcher opens every changed file to
 * match it to a watched path, and on POSIX closing any handle to a file drops
 * every lock the process holds on it: kept out of the process that holds
 * SQLite connections, those opens cannot drop its locks on `state.db` and
 * `state.db-shm`. The child ends when its stdin closes or its parent is gone.
 *
 * @module
 */

/** The hidden first argument that makes pivot (bundled or compiled) serve as the watching child. */
export const WATCH_CHILD_ARG = "--pivot-internal-watch-child";

/** What the child watches: its one argument, as JSON. */
export interface WatchChildSpec {
  /** Watched recursively. */
  readonly root: string;
  /** Watched without their subdirectories. */
  readonly extraDirs: readonly string[];
  /** The parent's PID: when the child's parent is another process, it has died. */
  readonly parent: number;
}

/** A line the child writes. */
export type WatchChildMessage =
  | { readonly type: "ready" }
  | {
    readonly type: "event";
    readonly kind: Deno.FsEvent["kind"];
    readonly paths: readonly string[];
    readonly flag?: Deno.FsEventFlag;
  }
  | { readonly type: "error"; readonly message: string };

/** How often the child looks whether its parent still runs. */
const PARENT_POLL_MS = 500;

/**
 * Serves as the watching child: `args` holds the {@linkcode WatchChildSpec}
 * as JSON. Resolves with the exit status (0: told to stop, or the parent is
 * gone; 1: watching failed, the reason written as an `error` line).
 */
export async function runWatchChild(args: readonly string[]): Promise<number> {
  const spec = JSON.parse(args[0] ?? "null") as WatchChildSpec;
  const out = Deno.stdout.writable.getWriter();
  const encoder = new TextEncoder();
  const send = (message: WatchChildMessage) =>
    out.write(encoder.encode(`${JSON.stringify(message)}\n`));
  const watchers: Deno.FsWatcher[] = [];
  const stop = () => {
    for (const watcher of watchers.splice(0)) watcher.close();
  };
  let poll: ReturnType<typeof setInterval> | undefined;
  try {
    watchers.push(Deno.watchFs(spec.root, { recursive: true }));
    for (const dir of spec.extraDirs) watchers.push(Deno.watchFs(dir, { recursive: false }));
    await send({ type: "ready" });
    // The parent closes the pipe to stop the child, or exits; killed, it is no longer the parent.
    Deno.stdin.readable.pipeTo(new WritableStream()).finally(stop).catch(() => {});
    poll = setInterval(() => {
      if (Deno.ppid !== spec.parent) stop();
    }, PARENT_POLL_MS);
    await Promise.all(watchers.map(async (watcher) => {
      for await (const event of watcher) await send({ type: "event", ...event });
    }));
    return 0;
  } catch (error) {
    stop();
    if (!(error instanceof Error)) throw error;
    // A parent that is gone reads nothing more.
    await send({ type: "error", message: error.message }).catch(() => {});
    return 1;
  } finally {
    clearInterval(poll);
  }
}
