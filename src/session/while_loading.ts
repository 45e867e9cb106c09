/**
 * What a `repro` or `run` of a project without a `state.db` does while a
 * worker loads its `pipeline.ts` modules, its own thread otherwise waiting:
 * it parses each module for the fingerprints of its stages, then takes the
 * module's facts for the run's stamp (see `engine/module_facts.ts`), and, in
 * a project that never ran (every stage runs), starts the run's workers.
 *
 * @module
 */
import type { CodeFingerprints } from "../engine/code_fingerprint.ts";
import { moduleFacts } from "../engine/module_facts.ts";
import { WorkerPool } from "../engine/worker_pool.ts";
import type { ParseCache } from "../storage/mod.ts";

/** Options for {@linkcode WhileLoading}. */
export interface WhileLoadingOptions {
  /** Workers to start for the run (`--jobs`), or `null` for none. */
  readonly runWorkers: number | null;
  /** Told of the warnings of those workers' pool. */
  readonly warn: (message: string) => void;
}

/** The work done while `pipeline.ts` modules load (see the module doc). */
export class WhileLoading {
  readonly #fingerprints: CodeFingerprints;
  readonly #cache: ParseCache;
  readonly #options: WhileLoadingOptions;
  #pool: WorkerPool | null = null;
  #work: Promise<unknown> = Promise.resolve();

  /** Work for `fingerprints`, whose module facts go to `cache`. */
  constructor(fingerprints: CodeFingerprints, cache: ParseCache, options: WhileLoadingOptions) {
    this.#fingerprints = fingerprints;
    this.#cache = cache;
    this.#options = options;
  }

  /** The pool of the run's workers, when they were started. */
  get workers(): WorkerPool | null {
    return this.#pool;
  }

  /** Told of module `file` just before a worker loads it (see `beforeModuleLoad`). */
  beforeLoad(file: string): void {
    this.#fingerprints.prefetch(file);
    const { runWorkers, warn } = this.#options;
    const pool = runWorkers === null
      ? null
      : (this.#pool ??= new WorkerPool(runWorkers, undefined, {
        warn,
      }));
    // Once this thread has parsed the module and waits for its load: a worker starting
    // holds up the thread that starts it. The facts are remembered by the module's text,
    // so taking them again finds them (a module that does not parse has none).
    const work = this.#fingerprints.settled().then(() => {
      pool?.warmUp();
      return moduleFacts(this.#fingerprints, file, this.#cache, { prefetched: true });
    }).catch(() => {});
    this.#work = Promise.all([this.#work, work]);
  }

  /** Resolves once the work begun so far is done. */
  async done(): Promise<void> {
    await this.#work;
  }

  /** Stops the workers started, if any (the loading failed). */
  close(): void {
    this.#pool?.close();
  }
}
