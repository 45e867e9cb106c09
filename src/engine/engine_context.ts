import * as path from "node:path";
import { openContentCache, type Project } from "../project/mod.ts";
import {
  type CheckoutMode,
  type ContentCache,
  FileHasher,
  type HashInfo,
  isDirHash,
  ParseCache,
  type StateDb,
  StateDbs,
} from "../storage/mod.ts";
import { entryNamesSync } from "../util/fs.ts";
import { RealPathGuard } from "../util/real_path_guard.ts";

/** What every engine step shares during one command: cache, databases, hashers. */
export class EngineContext {
  /** The project. */
  readonly project: Project;
  /** The content cache. */
  readonly cache: ContentCache;
  /** Checkout modes, in order. */
  readonly modes: readonly CheckoutMode[];
  /** Told about recoverable problems. */
  readonly warn: (message: string) => void;
  /** Checks that outputs are written and removed only inside the project. */
  readonly paths: RealPathGuard;
  readonly #dbs: StateDbs;
  readonly #hashers = new Map<string, Promise<FileHasher>>();
  #parseCache: Promise<ParseCache> | null = null;

  /** Creates the context of one command. */
  constructor(project: Project, modes: readonly CheckoutMode[], warn: (message: string) => void) {
    this.project = project;
    this.cache = openContentCache(project.root, project.config);
    this.modes = modes;
    this.warn = warn;
    this.paths = new RealPathGuard(project.root);
    this.#dbs = new StateDbs(warn);
    const projectState = path.join(project.root, ".pivot");
    this.cache.useVerifier({
      hashFile: async (file) => (await this.hasher(projectState)).hashFile(file),
    });
  }

  /** The `state.db` of `stateDir`. */
  db(stateDir: string): Promise<StateDb> {
    return this.#dbs.get(stateDir);
  }

  /** The project's own `state.db` (run history). */
  projectDb(): Promise<StateDb> {
    return this.#dbs.get(path.join(this.project.root, ".pivot"));
  }

  /** The hasher over the hash cache of `stateDir`. */
  hasher(stateDir: string): Promise<FileHasher> {
    let hasher = this.#hashers.get(stateDir);
    if (hasher === undefined) {
      hasher = this.db(stateDir).then((db) => new FileHasher(db));
      this.#hashers.set(stateDir, hasher);
    }
    return hasher;
  }

  /** The parse cache (in the project's `state.db`) for lock files. */
  parseCache(): Promise<ParseCache> {
    this.#parseCache ??= this.projectDb().then((db) => new ParseCache(db));
    return this.#parseCache;
  }

  readonly #sentinels = new Map<string, ReadonlySet<string>>();

  /**
   * True when `sentinel` may exist: the names in its directory are listed once
   * per command, so checking a thousand stages costs one directory read. A
   * sentinel created later is caught when the stage is claimed.
   */
  mayBeRunning(sentinel: string): boolean {
    const dir = path.dirname(sentinel);
    let names = this.#sentinels.get(dir);
    if (names === undefined) {
      names = entryNamesSync(dir);
      this.#sentinels.set(dir, names);
    }
    return names.has(path.basename(sentinel));
  }

  /**
   * The cache directories (`files/<h[0:2]>`) of the blobs
   * {@linkcode EngineContext.hasBlobs} found: a no-op stamp records them, so a
   * blob deleted or moved aside later is noticed.
   */
  readonly blobDirs = new Set<string>();

  /** True when the cache holds the blob of `info` (every file's, for a directory). */
  hasBlobs(info: HashInfo): boolean {
    const hashes = isDirHash(info) ? info.manifest.map((entry) => entry.hash) : [info.hash];
    for (const hash of hashes) {
      if (!this.cache.has(hash)) return false;
      this.blobDirs.add(path.dirname(this.cache.blobPath(hash)));
    }
    return true;
  }

  /**
   * Writes pending cache entries and closes every database, also when a
   * write fails (a full disk) or a database never opened (already reported).
   */
  async close(): Promise<void> {
    const caches = await Promise.allSettled([
      ...this.#hashers.values(),
      ...(this.#parseCache === null ? [] : [this.#parseCache]),
    ]);
    try {
      for (const cache of caches) if (cache.status === "fulfilled") cache.value.flush();
    } finally {
      await this.#dbs.close();
    }
  }
}
