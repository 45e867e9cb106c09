import * as path from "node:path";
import { findProjectRoot } from "../discovery/find_project_root.ts";
import {
  graphSources,
  type GraphStamp,
  readPipelineGraph,
  reusedStagesHold,
} from "../project/pipeline_graph.ts";
import { openProject, type OpenProjectOptions, type Project } from "../project/open_project.ts";
import { CodeFingerprints } from "../engine/code_fingerprint.ts";
import { ParseCache, type StateDb, StateDbs, xxhashReady } from "../storage/mod.ts";
import { fileSignatureText } from "../storage/file_signature.ts";
import { existsSync } from "../util/fs.ts";
import { openPreciseStat, type PreciseStat } from "../util/precise_stat.ts";
import { Session, type SessionOptions } from "./session.ts";

/** Options for {@linkcode openSession}: where and how to open the project, and the session's. */
export interface OpenSessionOptions
  extends SessionOptions, Omit<OpenProjectOptions, "cwd" | "parseCache"> {
  /** Where the command runs. */
  cwd: string;
  /**
   * The command fingerprints the code of `run` stages (`repro`, `run`): in a
   * project without a `state.db`, where nothing is remembered and all of it
   * is parsed, each `pipeline.ts` module is parsed while a worker loads it.
   * @default {false}
   */
  parsesStageCode?: boolean;
  /**
   * The no-op stamp of the command, found with data paths changed: when
   * every file the project was loaded from still has the signature it
   * recorded, the stages are taken from the graph kept with it (see
   * `pipeline_graph.ts`). @default {the pipeline files are loaded}
   */
  reuseGraph?: GraphStamp;
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
  const { warn, modes, parsesStageCode = false, reuseGraph, ...projectOptions } = options;
  await xxhashReady;
  const dbs = new StateDbs(warn);
  const fingerprints = new CodeFingerprints();
  const stats = openPreciseStat();
  try {
    const db = await existingProjectDb(dbs, options.cwd);
    const parseCache = new ParseCache(db);
    const reuse = db === null || reuseGraph === undefined
      ? undefined
      : keptGraph(db, reuseGraph, stats, options.cwd);
    const project = await openProject({
      ...projectOptions,
      parseCache,
      ...(parsesStageCode && db === null
        ? { beforeModuleLoad: (file: string) => fingerprints.prefetch(file) }
        : {}),
      ...(reuse === undefined ? {} : { reuse }),
    });
    return new Session(project, dbs, parseCache, {
      warn,
      fingerprints,
      stats,
      ...(modes === undefined ? {} : { modes }),
    });
  } catch (error) {
    stats[Symbol.dispose]();
    await fingerprints.settled();
    await dbs.close();
    throw error;
  }
}

/**
 * The graph kept with `stamp` in `db`, when every file the project (above
 * `cwd`) was loaded from has, now, the signature the stamp recorded (looked
 * at with `stats`, as stamps are), and its stages pass the checks their
 * build makes of other paths; `undefined` otherwise, or when `db` cannot
 * answer.
 */
function keptGraph(
  db: StateDb,
  stamp: GraphStamp,
  stats: PreciseStat,
  cwd: string,
): OpenProjectOptions["reuse"] {
  const sources = graphSources(stamp, (file) => {
    const now = fileSignatureText(stats, file, true);
    return now === stamp.followed[file] ? now : null;
  });
  if (sources === null) return undefined;
  try {
    const discovery = readPipelineGraph(db, stamp.key, sources);
    if (discovery === null || !reusedStagesHold(findProjectRoot(cwd), discovery)) return undefined;
    return { discovery, sources, changed: new Set(stamp.changed) };
  } catch {
    // A damaged state.db, or a row not this build's: the pipeline files are loaded.
    return undefined;
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
    const parseCache = new ParseCache(await existingProjectDb(dbs, project.root));
    return new Session(project, dbs, parseCache, options);
  } catch (error) {
    await dbs.close();
    throw error;
  }
}

/**
 * The `state.db` of the project above `cwd` when it exists, else `null`
 * (it is only a speed-up while loading: without it every file is parsed).
 */
async function existingProjectDb(dbs: StateDbs, cwd: string): Promise<StateDb | null> {
  let stateDir: string;
  try {
    stateDir = path.join(findProjectRoot(cwd), ".pivot");
  } catch {
    // Not a project: openProject says so.
    return null;
  }
  if (!existsSync(path.join(stateDir, "state.db"))) return null;
  try {
    return await dbs.get(stateDir);
  } catch {
    return null;
  }
}
