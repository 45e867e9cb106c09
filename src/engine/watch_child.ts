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
  | {
    readonly type: "error";
    /** The directory that could not be watched (none: watching failed later). */
    readonly dir?: string;
    readonly message: string;
  };

/** How often the child looks whether its parent still runs. */
const PARENT_POLL_MS = 500;

/**
 * Serves as the watching child: `args` holds the {@linkcode WatchChildSpec}
 * as JSON. Resolves with the exit status (0: told to stop, or the parent is
 * gone; 1: watching failed, the reason written as an `error` line).
 */
export async function runWatchChild(args: readonly string[]): Promise<number> {
  const spec = parseSpec(args[0]);
  if (spec === null) {
    const usage = `error: ${WATCH_CHILD_ARG} is pivot's own (watch mode starts it with what to ` +
      "watch)\nhint: run 'pivot repro --watch'\n";
    Deno.stderr.writeSync(new TextEncoder().encode(usage));
    return 2;
  }
  const out = Deno.stdout.writable.getWriter();
  const encoder = new TextEncoder();
  const send = (message: WatchChildMessage) =>
    out.write(encoder.encode(`${JSON.stringify(message)}\n`));
  const watchers: Deno.FsWatcher[] = [];
  const stop = () => {
    for (const watcher of watchers.splice(0)) watcher.close();
  };
  const dirs = [
    { dir: spec.root, recursive: true },
    ...spec.extraDirs.map((dir) => ({ dir, recursive: false })),
  ];
  for (const { dir, recursive } of dirs) {
    try {
      watchers.push(Deno.watchFs(dir, { recursive }));
    } catch (error) {
      stop();
      if (!(error instanceof Error)) throw error;
      await send({ type: "error", dir, message: reason(error) }).catch(() => {});
      return 1;
    }
  }
  // The parent closes the pipe to stop the child, or exits; killed, it is no longer the parent.
  Deno.stdin.readable.pipeTo(new WritableStream()).finally(stop).catch(() => {});
  const poll = setInterval(() => {
    if (Deno.ppid !== spec.parent) stop();
  }, PARENT_POLL_MS);
  try {
    await send({ type: "ready" });
    await Promise.all(watchers.map(async (watcher) => {
      for await (const { kind, paths, flag } of watcher) {
        // Deno gives `flag: null` when there is none.
        await send({ type: "event", kind, paths, ...(flag ? { flag } : {}) });
      }
    }));
    return 0;
  } catch (error) {
    stop();
    if (!(error instanceof Error)) throw error;
    // A parent that is gone reads nothing more.
    await send({ type: "error", message: reason(error) }).catch(() => {});
    return 1;
  } finally {
    clearInterval(poll);
  }
}

/** The {@linkcode WatchChildSpec} in `text`, or `null` when it is not one. */
function parseSpec(text: string | undefined): WatchChildSpec | null {
  let value: unknown;
  try {
    value = JSON.parse(text ?? "");
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const { root, extraDirs, parent } = value as Record<string, unknown>;
  const strings = (list: unknown) =>
    Array.isArray(list) && list.every((item) => typeof item === "string");
  return typeof root === "string" && strings(extraDirs) && Number.isInteger(parent)
    ? value as WatchChildSpec
    : null;
}

/** Why watching failed, in pivot's words where Deno's are vague (`No path was found.`). */
function reason(error: Error): string {
  if (error instanceof Deno.errors.NotFound) return "no such directory";
  return error.message.replace(/\.$/, "");
}
