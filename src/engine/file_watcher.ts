/**
 * The file side of watch mode: the project root watched recursively (by a
 * child process, `watch_child.ts`, so that the system's watcher never opens
 * a state database's files in the process holding its locks), changes
 * gathered into a set of paths until they are taken, ignored paths (see
 * `watch_ignore.ts`) and the outputs of a running stage left out, and a
 * fence that says when every change made before it has been seen.
 *
 * @module
 */
import * as path from "node:path";
import type { PivotError } from "../util/errors.ts";
import { lstatOrNullSync } from "../util/fs.ts";
import { WatchChildProcess } from "./watch_child_process.ts";
import { loadWatchIgnore, PIVOTIGNORE, type WatchIgnore } from "./watch_ignore.ts";

/** At most this many entries of a directory that appears are listed as changed. */
const CREATED_DIR_LIMIT = 10_000;

/** How long {@linkcode FileWatcher.settle} waits for its fence at most. */
const FENCE_TIMEOUT_MS = 2_000;

/** Options for {@linkcode FileWatcher}. */
export interface FileWatcherOptions {
  /** The project root, watched recursively. */
  root: string;
  /** Directories watched without their subdirectories (the user config's), when they exist. @default {none} */
  extraDirs?: readonly string[];
  /** Paths noted even where the rules ignore them (`.pivot/config.yaml`). @default {none} */
  keep?: readonly string[];
  /** Called after each change noted, and when watching stops ({@linkcode FileWatcher.failure}). */
  onChange: () => void;
  /** Told when `.pivotignore` cannot be read (the rules before it stay). */
  warn: (message: string) => void;
}

/** What changed since the last {@linkcode FileWatcher.take}. */
export interface TakenChanges {
  /** Absolute paths, as the system reported them, sorted. */
  readonly paths: readonly string[];
  /** True when the system lost events (its queue overflowed): anything may have changed. */
  readonly rescan: boolean;
}

/** Watches a project and gathers what changed; open it with `FileWatcher.open`, close it with `await using`. */
export class FileWatcher implements AsyncDisposable {
  readonly #root: string;
  readonly #keep: ReadonlySet<string>;
  readonly #onChange: () => void;
  readonly #warn: (message: string) => void;
  #child: WatchChildProcess | null = null;
  #failure: PivotError | null = null;
  readonly #pending = new Set<string>();
  readonly #fences = new Map<string, () => void>();
  #rules: WatchIgnore;
  #rescan = false;
  #firstAt = 0;
  #lastAt = 0;
  #suppress: ((file: string) => boolean) | null = null;
  #closed = false;

  private constructor(options: FileWatcherOptions) {
    const { root, keep = [], onChange, warn } = options;
    this.#root = root;
    this.#keep = new Set(keep);
    this.#onChange = onChange;
    this.#warn = warn;
    this.#rules = loadWatchIgnore(root);
  }

  /**
   * Starts watching, and resolves once every change made from then on will be
   * noted.
   *
   * @throws {PivotError} when `.pivotignore` cannot be read, or the root
   *   cannot be watched (`cannot watch <root>: <why>`)
   */
  static async open(options: FileWatcherOptions): Promise<FileWatcher> {
    const { root, extraDirs = [] } = options;
    const watcher = new FileWatcher(options);
    watcher.#child = await WatchChildProcess.start({
      root,
      extraDirs: extraDirs.filter((dir) => lstatOrNullSync(dir)?.isDirectory),
      onEvent: (event) => watcher.#note(event),
      onEnd: (error) => watcher.#stopped(error),
    });
    return watcher;
  }

  /** Why watching stopped by itself (its process ended): changes are no longer noted; `null` while it goes on. */
  get failure(): PivotError | null {
    return this.#failure;
  }

  /** How many paths changed since the last take (a lost-events rescan counts as one). */
  get pendingCount(): number {
    return this.#pending.size + (this.#rescan ? 1 : 0);
  }

  /** When the first change since the last take was noted (`performance.now()`; 0: none). */
  get firstChangeAt(): number {
    return this.#firstAt;
  }

  /** When the latest change was noted (`performance.now()`). */
  get lastChangeAt(): number {
    return this.#lastAt;
  }

  /** The changes noted so far, which are forgotten. */
  take(): TakenChanges {
    const taken = { paths: [...this.#pending].sort(), rescan: this.#rescan };
    this.#pending.clear();
    this.#rescan = false;
    this.#firstAt = 0;
    return taken;
  }

  /**
   * Leaves out, until called again with `null`, changes to paths for which
   * `suppress` is true (the outputs of the stages being run).
   */
  suppressWhile(suppress: ((file: string) => boolean) | null): void {
    this.#suppress = suppress;
  }

  /**
   * Resolves once every change made before the call has been noted (or
   * suppressed): a fence file is written in `.pivot/`, and the system
   * reports changes in order.
   */
  async settle(): Promise<void> {
    if (this.#closed || this.#failure !== null) return;
    const fence = path.join(this.#root, ".pivot", `.watch-fence-${crypto.randomUUID()}.tmp`);
    const seen = new Promise<void>((resolve) => this.#fences.set(fence, resolve));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, FENCE_TIMEOUT_MS));
    try {
      await Deno.writeTextFile(fence, "");
      await Promise.race([seen, timeout]);
    } catch (error) {
      // No fence (the state dir is gone or read-only): the changes are taken as they are.
      if (!(error instanceof Error)) throw error;
    } finally {
      clearTimeout(timer);
      this.#fences.delete(fence);
      await Deno.remove(fence).catch(() => {});
    }
  }

  /** Stops watching. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#child?.[Symbol.asyncDispose]();
    for (const resolve of this.#fences.values()) resolve();
  }

  #stopped(error: PivotError): void {
    this.#failure = error;
    for (const resolve of this.#fences.values()) resolve();
    this.#onChange();
  }

  #note(event: Deno.FsEvent): void {
    for (const file of event.paths) this.#fences.get(file)?.();
    if (event.flag === "rescan") {
      this.#rescan = true;
      this.#changed();
      return;
    }
    // Reads are not reported; "access" is the close after a write, already seen as a modify.
    if (event.kind === "access") return;
    for (const file of event.paths) {
      if (file === path.join(this.#root, PIVOTIGNORE)) this.#reloadRules();
      this.#add(file);
      // A directory that appears brings files the system may not report one by one.
      if (event.kind === "create" && lstatOrNullSync(file)?.isDirectory) this.#addTree(file);
    }
  }

  #add(file: string): void {
    if (!this.#keep.has(file) && this.#rules.ignores(file)) return;
    if (this.#suppress?.(file)) return;
    this.#pending.add(file);
    this.#changed();
  }

  #addTree(dir: string): void {
    const queue = [dir];
    let listed = 0;
    while (queue.length > 0 && listed < CREATED_DIR_LIMIT) {
      const at = queue.pop()!;
      let entries: Deno.DirEntry[];
      try {
        entries = [...Deno.readDirSync(at)];
      } catch {
        continue; // Gone again, or unreadable: nothing to add.
      }
      for (const entry of entries) {
        const file = path.join(at, entry.name);
        if (this.#rules.ignores(file) || ++listed > CREATED_DIR_LIMIT) continue;
        if (entry.isDirectory) queue.push(file);
        else this.#add(file);
      }
    }
  }

  #changed(): void {
    const now = performance.now();
    if (this.#firstAt === 0) this.#firstAt = now;
    this.#lastAt = now;
    this.#onChange();
  }

  #reloadRules(): void {
    try {
      this.#rules = loadWatchIgnore(this.#root);
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      this.#warn(`${error.message} (the rules read before stay in force)`);
    }
  }
}
