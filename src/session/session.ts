/**
 * The session of one command (or one watch iteration): the single owner of
 * every resource the command uses — the state databases (one per state dir,
 * opened on first use), the content cache, the hash caches, the parse cache,
 * the code fingerprints, the real-path guard and the worker pool — disposed
 * of together with `await using`. Nothing outlives it, so a long-running
 * process (watch mode) never works from stale caches.
 *
 * @module
 */
import * as path from "node:path";
import { CodeFingerprints } from "../engine/code_fingerprint.ts";
import type { EngineContext } from "../engine/engine_context.ts";
import { InlineCommands } from "../engine/inline_commands.ts";
import { SentinelTemplates } from "../engine/sentinel_templates.ts";
import { planStage, type StagePlan } from "../engine/stage_plan.ts";
import { type JobRunner, WorkerPool } from "../engine/worker_pool.ts";
import { checkoutModes, openContentCache } from "../project/storage_config.ts";
import type { Project } from "../project/open_project.ts";
import {
  type CheckoutMode,
  type ContentCache,
  FileHasher,
  type HashInfo,
  isDirHash,
  type ParseCache,
  type StateDb,
  type StateDbs,
} from "../storage/mod.ts";
import { entryNamesSync } from "../util/fs.ts";
import { openPreciseStat, type PreciseStat } from "../util/precise_stat.ts";
import { relativeFileUrls } from "../util/paths.ts";
import { RealPathGuard } from "../util/real_path_guard.ts";

/** Plans with this many inputs are kept for the session (see {@linkcode Session.plan}). */
export const KEPT_PLAN_INPUTS = 32;

/** Options for a {@linkcode Session}. */
export interface SessionOptions {
  /** Told about recoverable problems (a damaged `state.db` replaced, …). */
  warn: (message: string) => void;
  /** Checkout modes, in order. @default {the config's `cache.checkout_mode`} */
  modes?: readonly CheckoutMode[];
  /** Code fingerprints begun while the project loaded (see `openSession`). @default {new ones} */
  fingerprints?: CodeFingerprints;
  /** The `stat` the session uses, handed over (disposed with it). @default {a new one} */
  stats?: PreciseStat;
}

/** Everything one command works with; dispose of it to write and close everything. */
export class Session implements EngineContext, AsyncDisposable {
  /** The project. */
  readonly project: Project;
  /** The content cache. */
  readonly cache: ContentCache;
  /** Checkout modes, in order. */
  readonly modes: readonly CheckoutMode[];
  /** Told about recoverable problems. */
  readonly warn: (message: string) => void;
  /** Checks that writes and deletes stay inside the project. */
  readonly paths: RealPathGuard;
  /** The project's own state dir, `<root>/.pivot` (asked for by every stage's lookups). */
  readonly projectStateDir: string;
  /** Fingerprints of `run` stages' code, each module parsed once. */
  readonly fingerprints: CodeFingerprints;
  /** `stat` with times to the nanosecond (see `util/precise_stat.ts`). */
  readonly stats: PreciseStat;
  /** Claims of stages, made by hard link (see `sentinel_templates.ts`). */
  readonly sentinelTemplates: SentinelTemplates = new SentinelTemplates();
  readonly #dbs: StateDbs;
  readonly #parseCache: ParseCache;
  readonly #hashers = new Map<string, Promise<FileHasher>>();
  readonly #sentinels = new Map<string, ReadonlySet<string>>();
  readonly #blobDirs = new Set<string>();
  readonly #blobsFound = new Set<string>();
  readonly #plans = new Map<string, StagePlan>();
  readonly #closing: (() => void | Promise<void>)[] = [];
  #pool: WorkerPool | null = null;
  #inline: JobRunner | null = null;
  /** The project's `state.db` as opened, and once given to the parse cache. */
  #projectDb: { opening: Promise<StateDb>; attached: Promise<StateDb> } | undefined;
  #warnings = 0;
  #disposed = false;

  /**
   * A session over `project`, taking over `dbs` and `parseCache` (those
   * that loaded the project's pipeline files). Use {@linkcode openSession}
   * to open the project and its session in one call.
   */
  constructor(project: Project, dbs: StateDbs, parseCache: ParseCache, options: SessionOptions) {
    this.project = project;
    this.projectStateDir = path.join(project.root, ".pivot");
    this.#dbs = dbs;
    this.#parseCache = parseCache;
    this.warn = (message) => {
      this.#warnings++;
      options.warn(message);
    };
    this.modes = options.modes ?? checkoutModes(project.config);
    this.fingerprints = options.fingerprints ?? new CodeFingerprints();
    this.stats = options.stats ?? openPreciseStat();
    this.cache = openContentCache(project);
    this.paths = new RealPathGuard(project.root);
    const projectState = this.projectStateDir;
    this.cache.useStats(this.stats);
    this.cache.useVerifier({
      hashFile: async (file) => (await this.hasher(projectState)).hashFile(file),
    });
  }

  /** How many warnings the session has passed on so far. */
  get warnings(): number {
    return this.#warnings;
  }

  /** The `state.db` of `stateDir`, opened (and created) on first use. */
  db(stateDir: string): Promise<StateDb> {
    const db = this.#dbs.get(stateDir);
    if (stateDir !== this.projectStateDir) return db;
    // The parse cache learnt from the pipeline files before the database existed: it is
    // given the database once (asked for several times per stage, the answer is kept).
    if (this.#projectDb?.opening !== db) {
      this.#projectDb = {
        opening: db,
        attached: db.then((opened) => {
          this.#parseCache.attach(opened);
          return opened;
        }),
      };
    }
    return this.#projectDb.attached;
  }

  /** The project's own `state.db` (run history, parse cache, no-op stamps, remote index). */
  projectDb(): Promise<StateDb> {
    return this.db(this.projectStateDir);
  }

  /** The hasher over the hash cache of `stateDir`. */
  hasher(stateDir: string): Promise<FileHasher> {
    let hasher = this.#hashers.get(stateDir);
    if (hasher === undefined) {
      hasher = this.db(stateDir).then((db) =>
        new FileHasher(db, { blobDir: this.cache.filesDir, stats: this.stats })
      );
      this.#hashers.set(stateDir, hasher);
    }
    return hasher;
  }

  /** Parsed lock and pipeline files by content, and remembered fingerprints. */
  async parseCache(): Promise<ParseCache> {
    await this.projectDb();
    return this.#parseCache;
  }

  /**
   * What runs stage jobs: the pool, started on first use with at most `size`
   * workers; with `inline`, `cmd` jobs are run from this thread instead and
   * the pool is started only for a `run` job.
   */
  workers(size: number, options: { readonly inline?: boolean } = {}): JobRunner {
    if (options.inline) return this.#inline ??= new InlineCommands(() => this.workers(size));
    return this.#startPool(size);
  }

  /**
   * Starts the pool (at most `size` workers) and its first worker now, ahead
   * of its first job, so that it starts while the coordinator prepares the
   * run (see `WorkerPool.warmUp`).
   */
  startWorkers(size: number): void {
    this.#startPool(size).warmUp();
  }

  #startPool(size: number): WorkerPool {
    const root = this.project.root;
    return this.#pool ??= new WorkerPool(size, undefined, {
      warn: (message) => this.warn(relativeFileUrls(message, root)),
    });
  }

  /**
   * Stops the workers started so far, for a command that runs no more jobs
   * (a job asked for later starts new ones): an idle worker's heap is
   * memory the rest of the command can use (V8 reuses a finished isolate's
   * pages), and after a run of 10,000 stages its closing work (the check
   * that leaves the no-op stamp) is where the run's memory peaks. Resolves
   * after two turns of the event loop (when workers were started): a
   * terminated worker's isolate (~10–16 MB after a thousand commands) is
   * torn down on its own thread once the event loop runs, mostly within
   * those turns, and that closing work, which gives the event loop no turn
   * for a second or more, would otherwise peak with it still there.
   */
  async releaseWorkers(): Promise<void> {
    const started = this.#pool !== null;
    this.#inline?.close();
    this.#pool?.close();
    this.#inline = null;
    this.#pool = null;
    if (!started) return;
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
  }

  /**
   * The plan of stage `name`. A plan with at least
   * {@linkcode KEPT_PLAN_INPUTS} inputs is kept and reused (a fan-in's plan
   * of a thousand inputs is asked for when it runs, when the run is
   * confirmed and when it is stamped); smaller ones cost less to build again
   * than to hold (a run of 10,000 one-input stages keeps none).
   *
   * @throws {PivotError} as `planStage` does
   */
  plan(name: string): StagePlan {
    const kept = this.#plans.get(name);
    if (kept !== undefined) return kept;
    const plan = planStage(this.project, name);
    const inputs = plan.deps.reduce((sum, dep) => sum + dep.inputs.length, 0);
    if (inputs >= KEPT_PLAN_INPUTS) this.#plans.set(name, plan);
    return plan;
  }

  /**
   * True when `sentinel` may exist: the names in its directory are listed
   * once per session, so checking a thousand stages costs one directory read.
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
   * The cache directories of the blobs {@linkcode Session.hasBlobs} looked
   * for (found or not: a blob added or removed later changes its directory).
   */
  get blobDirs(): ReadonlySet<string> {
    return this.#blobDirs;
  }

  /** The blob files {@linkcode Session.hasBlobs} found in the cache. */
  get blobsFound(): ReadonlySet<string> {
    return this.#blobsFound;
  }

  /** True when the cache holds the blob of `info` (every file's, for a directory). */
  hasBlobs(info: HashInfo): boolean {
    const hashes = isDirHash(info) ? info.manifest.map((entry) => entry.hash) : [info.hash];
    for (const hash of hashes) {
      const blob = this.cache.blobPath(hash);
      this.#blobDirs.add(path.dirname(blob));
      if (!this.cache.has(hash)) return false;
      this.#blobsFound.add(blob);
    }
    return true;
  }

  /**
   * Runs `work` when the session closes, first, while the project and the
   * databases are still open (for what a command leaves after its work).
   */
  whenClosing(work: () => void | Promise<void>): void {
    this.#closing.push(work);
  }

  /**
   * Stops the workers, writes what the caches learnt and closes every
   * database, also when a write fails (a full disk) or a database never
   * opened (already reported).
   *
   * @throws the first failure to write a database
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const work of this.#closing) await work();
    // Closed, and kept: a job asked for after this finds the pool closed.
    this.#inline?.close();
    this.#pool?.close();
    this.sentinelTemplates[Symbol.dispose]();
    await this.fingerprints.settled();
    const hashers = await Promise.allSettled(this.#hashers.values());
    try {
      for (const hasher of hashers) if (hasher.status === "fulfilled") hasher.value.flush();
      this.#parseCache.flush();
    } finally {
      this.stats[Symbol.dispose]();
      await this.#dbs.close();
    }
  }
}
