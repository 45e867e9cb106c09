import type { Project } from "../project/mod.ts";
import type {
  CheckoutMode,
  ContentCache,
  FileHasher,
  HashInfo,
  ParseCache,
  StateDb,
} from "../storage/mod.ts";
import type { PreciseStat } from "../util/precise_stat.ts";
import type { RealPathGuard } from "../util/real_path_guard.ts";
import type { CodeFingerprints } from "./code_fingerprint.ts";
import type { StagePlan } from "./stage_plan.ts";
import type { SentinelTemplates } from "./sentinel_templates.ts";
import type { JobRunner } from "./worker_pool.ts";

/**
 * What the engine needs from the session of the command it runs in: the
 * project, the cache, the state databases and the caches and workers that
 * live as long as the command (or one watch iteration). The engine declares
 * this shape; the session (`src/session/`) provides it and owns every
 * resource behind it.
 */
export interface EngineContext {
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
  /** Fingerprints of `run` stages' code, each module parsed once. */
  readonly fingerprints: CodeFingerprints;
  /** `stat` that says a path is absent without an exception (see `util/precise_stat.ts`). */
  readonly stats: PreciseStat;
  /**
   * The cache directories (`files/<h[0:2]>`) of the blobs
   * {@linkcode EngineContext.hasBlobs} found: a no-op stamp records them, so
   * a blob deleted or moved aside later is noticed.
   */
  readonly blobDirs: ReadonlySet<string>;
  /** The `state.db` of `stateDir`, opened on first use. */
  db(stateDir: string): Promise<StateDb>;
  /** The project's own `state.db` (run history, parse cache). */
  projectDb(): Promise<StateDb>;
  /** The hasher over the hash cache of `stateDir`. */
  hasher(stateDir: string): Promise<FileHasher>;
  /** Parsed lock and pipeline files by content, and remembered fingerprints. */
  parseCache(): Promise<ParseCache>;
  /**
   * What runs stage jobs: the pool, started on first use with at most `size`
   * workers; with `inline`, `cmd` jobs are run from this thread instead and
   * the pool is started only for a `run` job (for a run with only a few
   * stages to run, starting workers costs more than the jobs).
   */
  workers(size: number, options?: { readonly inline?: boolean }): JobRunner;
  /**
   * True when `sentinel` may exist: the names in its directory are listed
   * once, so checking a thousand stages costs one directory read. A sentinel
   * created later is caught when the stage is claimed.
   */
  mayBeRunning(sentinel: string): boolean;
  /**
   * Claims this process makes by hard link (see `sentinel_templates.ts`);
   * without them each claim writes a temp file of its own. @default {none}
   */
  readonly sentinelTemplates?: SentinelTemplates;
  /** True when the cache holds the blob of `info` (every file's, for a directory). */
  hasBlobs(info: HashInfo): boolean;
  /**
   * The plan of stage `name` (see `planStage`); one with many inputs is
   * built once per command and reused.
   *
   * @throws {PivotError} as `planStage` does
   */
  plan(name: string): StagePlan;
}
