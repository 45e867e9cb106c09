import * as path from "node:path";
import { findProjectRoot } from "../discovery/mod.ts";
import { openProject, type OpenProjectOptions, type Project } from "../project/mod.ts";
import { CodeFingerprints } from "../engine/code_fingerprint.ts";
import { ParseCache, type StateDb, StateDbs, xxhashReady } from "../storage/mod.ts";
import { existsSync } from "../util/fs.ts";
import { poolWarning, Session, type SessionOptions } from "./session.ts";
import { WhileLoading } from "./while_loading.ts";

/** Options for {@linkcode openSession}: where and how to open the project, and the session's. */
export interface OpenSessionOptions
  extends SessionOptions, Omit<OpenProjectOptions, "cwd" | "parseCache"> {
  /** Where the command runs. */
  cwd: string;
  /**
   * The command fingerprints the code of `run` stages (`repro`, `run`): in a
   * project without a `state.db`, where nothing is remembered and all of it
   * is parsed, each `pipeline.ts` module is parsed, and its facts taken,
   * while a worker loads it (see `while_loading.ts`). @default {false}
   */
  parsesStageCode?: boolean;
  /**
   * The workers a run would use (`--jobs`): in a project that never ran
   * (no `state.db`, no lock files), whose stages all run, they start while a
   * worker loads its first `pipeline.ts` module (see `parsesStageCode` and
   * `while_loading.ts`), not once the run begins. @default {none started early}
   */
  runWorkers?: number;
}

/**
 * Opens the project (see `openProject`) and the session that owns its
 * resources. The project's `state.db` is used while the pipeline files are
 * loaded only when it exists already, so a command that fails on a bad
 * pipeline file writes nothing.
 *
 * @throws {PivotError} when the project cannot be opened (nothing is left open)
 */
export async function openSession(options: OpenSessionOptions): Promise<Session> {
  const { warn, modes, parsesStageCode = false, runWorkers, ...projectOptions } = options;
  await xxhashReady;
  const dbs = new StateDbs(warn);
  const fingerprints = new CodeFingerprints();
  const stateDir = projectStateDir(options.cwd);
  let session: Session | null = null;
  let loading: WhileLoading | null = null;
  try {
    const db = await existingProjectDb(dbs, stateDir);
    const parseCache = new ParseCache(db);
    if (parsesStageCode && db === null) {
      // No lock file either: the project never ran, and every stage runs.
      const fresh = stateDir !== null && !existsSync(path.join(stateDir, "stages"));
      loading = new WhileLoading(fingerprints, parseCache, {
        runWorkers: fresh ? runWorkers ?? null : null,
        warn: (message) => session !== null && poolWarning(session, message),
      });
    }
    const project = await openProject({
      ...projectOptions,
      parseCache,
      ...(loading === null
        ? {}
        : { beforeModuleLoad: (file: string) => loading!.beforeLoad(file) }),
    });
    await loading?.done();
    const workers = loading?.workers ?? null;
    session = new Session(project, dbs, parseCache, {
      warn,
      fingerprints,
      ...(modes === undefined ? {} : { modes }),
      ...(workers === null ? {} : { workers }),
    });
    return session;
  } catch (error) {
    loading?.close();
    await loading?.done();
    await fingerprints.settled();
    await dbs.close();
    throw error;
  }
}

/**
 * A new session over `project`, already loaded: watch mode runs a change
 * against the pipeline it has (a fresh session per iteration, so no cache or
 * worker outlives it).
 */
export async function sessionFor(project: Project, options: SessionOptions): Promise<Session> {
  await xxhashReady;
  const dbs = new StateDbs(options.warn);
  try {
    const parseCache = new ParseCache(await existingProjectDb(dbs, projectStateDir(project.root)));
    return new Session(project, dbs, parseCache, options);
  } catch (error) {
    await dbs.close();
    throw error;
  }
}

/** The state dir of the project above `cwd`, or `null` when there is none (openProject says so). */
function projectStateDir(cwd: string): string | null {
  try {
    return path.join(findProjectRoot(cwd), ".pivot");
  } catch {
    return null;
  }
}

/**
 * The `state.db` in `stateDir` when it exists, else `null` (it is only a
 * speed-up while loading: without it every file is parsed).
 */
async function existingProjectDb(dbs: StateDbs, stateDir: string | null): Promise<StateDb | null> {
  if (stateDir === null || !existsSync(path.join(stateDir, "state.db"))) return null;
  try {
    return await dbs.get(stateDir);
  } catch {
    return null;
  }
}
