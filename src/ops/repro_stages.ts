import type { EngineEvent, StageCompleteEvent } from "../engine/run_events.ts";
import { newRunId } from "../engine/run_id.ts";
import { FEW_STAGES, type RunResult, runStages } from "../engine/run_stages.ts";
import { graphSources, writePipelineGraph } from "../project/pipeline_graph.ts";
import type { Session } from "../session/mod.ts";
import { jsonParts, lockFilePath, NOOP_STAMP_PART_CHARS, type StateDb } from "../storage/mod.ts";
import { PivotError } from "../util/errors.ts";
import { checkTrackedInputs } from "./check_tracked_inputs.ts";
import { confirmUpToDate, touchedStages } from "./confirm_up_to_date.ts";
import { holdCacheForWriting } from "./_cache_guard.ts";
import { ignoreCachedOutputs } from "./ignore_outputs.ts";
import { type KnownUpToDate, knownUpToDate } from "./known_up_to_date.ts";
import { NOOP_STAMPS_KEPT, type NoopStamp, type StampLook } from "./noop_stamp.ts";
import { pipelineModuleSources } from "./pipeline_modules.ts";
import { buildNoopStamp, projectSignatures } from "./record_noop_stamp.ts";
import type { RacyRead } from "../storage/racy_content.ts";
import { HISTORY_SIZE, runRecordJson } from "./run_record.ts";
import { plainlyAbsent } from "../util/precise_stat.ts";
import { selectTargets } from "./select_targets.ts";
import { vouchRacyReads } from "./vouch_racy_reads.ts";

/** Options for {@linkcode reproStages}. */
export interface ReproOptions {
  /** Stages or identities; none means every stage. */
  targets: readonly string[];
  /** `repro` (targets and upstream) or `run` (exactly the targets). */
  mode: "repro" | "run";
  /** Re-run the selected stages even when up to date. @default {false} */
  force?: boolean;
  /** Keep going past a failure (only its downstream is blocked). @default {false} */
  keepGoing?: boolean;
  /** Stages at once. @default {CPU count} */
  jobs?: number;
  /** Run without recording anything. @default {false} */
  noCommit?: boolean;
  /** Receives engine events. */
  onEvent: (event: EngineEvent) => void;
  /** Stops the run. */
  signal?: AbortSignal;
  /**
   * Where a run that finds every stage up to date leaves a no-op stamp
   * (another run, `force` included, forgets it; `noCommit` touches neither): the key (see `noopStampKey`), and when the
   * command started reading the project (a path changed later, or shortly
   * before, keeps the stamp from being written). @default {no stamp}
   */
  noopStamp?: {
    readonly key: string;
    readonly sinceMs: number;
    /** What the fast path found changed since the stamp (used when its key is `key`). */
    readonly look?: StampLook;
  };
}

/** A run, with its id. */
export interface ReproResult extends RunResult {
  readonly runId: string;
  /** The stages considered, in order. */
  readonly stages: readonly string[];
}

/**
 * Runs `repro` or `run` and records the run in the project's history.
 *
 * @throws {PivotError} before running anything when a tracked input of the
 *   selected stages does not match its `.pvt` (modified, missing, unreadable)
 */
export async function reproStages(session: Session, options: ReproOptions): Promise<ReproResult> {
  const { project } = session;
  const stages = await selectTargets(project, options.targets, options.mode === "repro");
  // A run with many stages to run starts a worker now, while it reads its modules and
  // judges its first stages, rather than when its first job is ready.
  if (runsManyJobs(session, stages, options.force ?? false)) {
    session.startWorkers(options.jobs ?? navigator.hardwareConcurrency);
  }
  // What the pipeline was loaded from, for the stamp a run that ran stages may leave
  // (`null` modules: pipeline.ts modules whose loading a stamp cannot vouch for).
  const modules = options.noopStamp === undefined ? null : await pipelineModuleSources(session);
  const projectAtStart = options.noopStamp === undefined
    ? null
    : projectSignatures(session, modules ?? []);
  // Until the last lock is written, gc must not remove the blobs this run stores.
  using _cache = await holdCacheForWriting(project.root, {
    warn: session.warn,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const warningsBefore = session.warnings;
  // After a change to a few data paths, only the stages they feed are looked at.
  const known = options.noopStamp === undefined || options.force || options.noCommit
    ? null
    : knownUpToDate(
      session,
      await session.projectDb(),
      options.noopStamp.key,
      stages,
      options.noopStamp.look,
    );
  const assessed = known === null ? stages : stages.filter((name) => !known.stages.has(name));
  // Before anything runs: a tracked input that is not what its .pvt records stops the command.
  await checkTrackedInputs(session, assessed);
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  // What a no-op stamp repeats: kept only while every stage so far was up to date (a run
  // that did anything stamps the completions of its confirmation instead).
  let completions: StageCompleteEvent[] | null = [];
  // The summary says the run is over: it is passed on once the run's own writes (.gitignore
  // files, history, stamp) are done, so that nothing pivot writes follows it.
  let summary: EngineEvent | null = null;
  const result = await runStages(session, {
    stages,
    force: options.force ? new Set(stages) : new Set(),
    keepGoing: options.keepGoing ?? false,
    ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
    noCommit: options.noCommit ?? false,
    runId,
    onEvent: (event) => {
      if (event.type === "summary") {
        summary = event;
        return;
      }
      if (event.type === "stage_complete" && completions !== null) {
        if (event.status === "skipped") completions.push(event);
        else completions = null;
      }
      options.onEvent(event);
    },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(known === null ? {} : { knownUpToDate: known.stages }),
  });
  // No job runs after this: the workers' memory goes to the confirmation below.
  await session.releaseWorkers();
  const run = { ...result, runId, stages };
  try {
    // --no-commit records nothing: no outputs ignored, no history, no stamp.
    if (options.noCommit) return run;
    // The stages a stamp vouched for had their entries when it was taken, and its
    // evidence holds the .gitignore files. A stage that failed (or was interrupted) while
    // running may have left part of its outputs: they are kept out of git too (one that
    // failed before it began, on bad input, wrote nothing, and nothing is written for it).
    const recorded = stages.filter((name) => {
      const ended = result.results.get(name);
      if (known?.stages.has(name) || ended === undefined) return false;
      return ["ran", "restored", "skipped"].includes(ended.status) ||
        (ended.status === "failed" && ended.durationMs > 0);
    });
    ignoreCachedOutputs(project, recorded);
    // The run's last write to what a stamp records (the history is not among it).
    const writtenMs = Date.now();
    const db = await session.projectDb();
    if (!result.interrupted && stages.length > 0) {
      db.addRun(
        runId,
        runRecordJson({
          runId,
          command: options.mode,
          startedAt,
          endedAt: new Date().toISOString(),
          targets: options.targets,
          stages,
          results: result.results,
        }),
        HISTORY_SIZE,
      );
    }
    if (options.noopStamp !== undefined) {
      const quiet = session.warnings === warningsBefore && project.warnings.length === 0;
      await recordStamp(session, db, run, completions, {
        ...options.noopStamp,
        projectAtStart: projectAtStart!,
        pipelineModules: modules,
        quiet,
        forced: options.force ?? false,
        known,
        writtenMs,
      });
    }
    return run;
  } finally {
    if (summary !== null) options.onEvent(summary);
  }
}

/**
 * The most stages a run may have touched for its stamp to be tried at once
 * (see {@linkcode recordStamp}): a failed try costs a second look at them.
 */
const STAMP_AT_ONCE_STAGES = 64;

/**
 * Leaves the no-op stamp of this command, or forgets the one it had. A run
 * that found every stage up to date (not forced, nothing said) stamps what
 * it read; one that ran or restored stages, all successfully, looks at
 * every stage once more, as the next no-op would, and stamps that: at once,
 * with what it wrote last as racy entries (see `vouch_racy_reads.ts`), when
 * it touched a few stages only, or, when those cannot be vouched for, once
 * the racy window has passed.
 */
async function recordStamp(
  session: Session,
  db: StateDb,
  run: ReproResult,
  /** The completions of the run, `null` unless every stage was up to date. */
  completions: readonly StageCompleteEvent[] | null,
  stamp: {
    readonly key: string;
    readonly sinceMs: number;
    readonly projectAtStart: ReadonlyMap<string, string | null>;
    /** What the pipeline.ts modules are loaded from (`null`: no stamp can vouch for them). */
    readonly pipelineModules: readonly string[] | null;
    readonly quiet: boolean;
    readonly forced: boolean;
    /** What the earlier stamp vouched for: its evidence carries over. */
    readonly known: KnownUpToDate | null;
    /** When the run last wrote anything a stamp records (ms since the epoch). */
    readonly writtenMs: number;
  },
): Promise<void> {
  const statuses = run.stages.map((name) => run.results.get(name)?.status);
  const succeeded = stamp.quiet && !run.interrupted && run.stages.length > 0 &&
    statuses.every((status) => status === "skipped" || status === "ran" || status === "restored");
  const noop = !stamp.forced && statuses.every((status) => status === "skipped");
  // What the pipeline modules are loaded from; the evidence of the stages this run did not
  // assess (nor read their code) carries over.
  const { known } = stamp;
  const shared = {
    ...(stamp.pipelineModules === null ? {} : { pipelineModules: stamp.pipelineModules }),
    ...(known === null ? {} : {
      sources: known.stamp.sources ?? [],
      carried: { evidence: known.stamp, stages: known.stages, changed: known.changed },
    }),
  };
  let built = succeeded && noop && completions !== null
    ? buildNoopStamp(session, run.stages, completions, stamp.sinceMs, {
      // A file the project was loaded from that is gone now has no time to tell when it went.
      projectAtStart: stamp.projectAtStart,
      ...shared,
    })
    : null;
  if (built === null && succeeded) {
    const changed = run.stages.filter((name) => run.results.get(name)?.status !== "skipped");
    const touched = touchedStages(session.project.dag, run.stages, changed);
    // Stamping at once looks at the touched stages once more; when the stamp cannot be taken
    // that way, they are looked at again after the window: worth trying for a few stages only.
    for (const wait of touched.size <= STAMP_AT_ONCE_STAGES ? [false, true] : [true]) {
      const confirmed = await confirmUpToDate(
        session,
        run.stages,
        touched,
        stamp.writtenMs,
        wait,
        (name) => run.results.get(name)?.written,
      );
      if (confirmed === null) break;
      const racy = new Map<string, RacyRead>();
      built = buildNoopStamp(session, run.stages, null, confirmed.sinceMs, {
        projectSince: stamp.sinceMs,
        projectAtStart: stamp.projectAtStart,
        earlierStages: confirmed.earlier,
        seen: confirmed.seen,
        ...shared,
        ...(wait ? {} : { racy }),
      });
      if (
        built !== null && racy.size > 0 &&
        !await vouchRacyReads(session, racy, confirmed.assessed, run.stages)
      ) built = null;
      if (built !== null) break;
    }
  }
  // Written in parts: the stamp of 10,000 stages is ~4.7 MB of JSON, at the moment the run's
  // memory peaks.
  db.putNoopStamp(
    stamp.key,
    built === null ? null : jsonParts(built, NOOP_STAMP_PART_CHARS),
    NOOP_STAMPS_KEPT,
  );
  if (built !== null) keepGraph(session, db, stamp.key, built, run);
}

/**
 * Keeps the pipeline graph of `session` with the stamp just written under
 * `key` (see `pipeline_graph.ts`), unless it was taken from there (the same
 * files, as the stamp records them), or the run ran or restored more than a
 * few stages (a fresh run, whose memory peaks now: the next run after a
 * change keeps it).
 */
function keepGraph(
  session: Session,
  db: StateDb,
  key: string,
  built: NoopStamp,
  run: ReproResult,
): void {
  const { project } = session;
  let touched = 0;
  for (const result of run.results.values()) if (result.status !== "skipped") touched++;
  if (touched > STAMP_AT_ONCE_STAGES) return;
  const sources = graphSources(built, (file) => built.followed[file]);
  if (sources === null || sources === project.reusedGraph) return;
  writePipelineGraph(db, key, sources, project.discovery);
}

/**
 * True when the run will hand the pool many jobs: more stages than are run
 * without it ({@linkcode FEW_STAGES}), all forced, or the first of them never
 * recorded (no lock file: a fresh project, whose stages all run). A run after
 * a change, whose first stage has its lock, starts the pool on its first job
 * as before (it may have none, or only a few run from the coordinator).
 */
function runsManyJobs(session: Session, stages: readonly string[], force: boolean): boolean {
  if (stages.length <= FEW_STAGES) return false;
  if (force) return true;
  const first = session.project.dag.stages.get(stages[0]!)?.def;
  if (first === undefined) return false;
  try {
    return plainlyAbsent(session.stats, lockFilePath(first));
  } catch (error) {
    // A name no lock file could have is reported when its stage is processed.
    if (error instanceof PivotError) return false;
    throw error;
  }
}
