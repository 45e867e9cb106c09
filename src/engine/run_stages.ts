/**
 * The coordinator's loop: processes every selected stage once its upstream
 * stages of this run have ended, a few at a time (see
 * {@linkcode STAGES_AHEAD}), records how each ended, and reports the
 * summary. What happens to one stage is in `process_stage.ts`; the failure
 * policy in `run_gate.ts`. Workers never write state.
 *
 * @module
 */
import type { EngineContext } from "./engine_context.ts";
import { ParamsFiles } from "./params_files.ts";
import {
  processStage,
  type StageEnd,
  type StageResult,
  type StageRunEnv,
} from "./process_stage.ts";
import type { EngineEvent, StageStatus } from "./run_events.ts";
import type { UpstreamOutcome } from "./run_gate.ts";
import { SlotScheduler } from "./slot_scheduler.ts";
import type { JobRunner } from "./worker_pool.ts";

export type { StageResult } from "./process_stage.ts";

/** How long Ctrl-C leaves running commands to exit on SIGTERM before their jobs are ended. */
const TERMINATE_AFTER_MS = 300;

/**
 * How many stages beyond `jobs` are processed at once: judged, claimed and
 * waiting for a slot, so the next job is ready when a slot frees. The rest
 * wait their turn holding nothing, in the order they became ready: the first
 * job starts at once (not after every stage has been judged and claimed),
 * another pivot process finds free the stages this one has not reached, and
 * memory holds a few stages' state, not every one's. (A stage holding a turn
 * waits for nothing in this process but its run slot, so the turns add no
 * wait that could close a circle; see `reader_marks.ts`.) With one job
 * there is no look-ahead: the stages are processed one at a time, in the
 * order given, so `-j 1` runs them in the same order every time.
 */
export const STAGES_AHEAD = 8;

/**
 * With at most this many stages to assess (an incremental run after a
 * change), `cmd` jobs are run from the coordinator's thread: starting a pool
 * worker (~40 ms) costs more than such a run's jobs. More, and they run on
 * the pool, which keeps starting processes off the coordinator's thread.
 */
export const FEW_STAGES = 16;

/** Options for {@linkcode runStages}. */
export interface RunStagesOptions {
  /** DAG names to process, producers first. */
  stages: readonly string[];
  /** Run these stages even when up to date. @default {none} */
  force?: ReadonlySet<string>;
  /** Keep running stages that do not depend on a failed one. @default {false} */
  keepGoing?: boolean;
  /** Stages run at once. @default {navigator.hardwareConcurrency} */
  jobs?: number;
  /** Run without writing locks, cache or state. @default {false} */
  noCommit?: boolean;
  /** The run's id (for the run cache and history). */
  runId: string;
  /** Receives every event. */
  onEvent: (event: EngineEvent) => void;
  /** Aborting stops running stages and starts nothing new. */
  signal?: AbortSignal;
  /**
   * Stages known to be up to date (by a no-op stamp's evidence): reported
   * so without being assessed. Their upstream stages must be among them.
   * @default {none}
   */
  knownUpToDate?: ReadonlySet<string>;
}

/** What {@linkcode runStages} did. */
export interface RunResult {
  readonly results: ReadonlyMap<string, StageResult>;
  readonly interrupted: boolean;
  readonly durationMs: number;
}

/** Runs the selected stages; never throws for a stage's failure. */
export async function runStages(ctx: EngineContext, options: RunStagesOptions): Promise<RunResult> {
  const {
    stages,
    force = new Set<string>(),
    keepGoing = false,
    jobs = navigator.hardwareConcurrency,
    noCommit = false,
    runId,
    onEvent,
    signal,
    knownUpToDate = new Set<string>(),
  } = options;
  const started = performance.now();
  const results = new Map<string, StageResult>();
  let firstFailure: string | null = null;
  using params = new ParamsFiles();
  const assessed = stages.filter((name) => !knownUpToDate.has(name)).length;
  const inline = assessed <= FEW_STAGES;
  const workers = () => ctx.workers(jobs, { inline });
  const env: StageRunEnv = {
    ctx,
    total: stages.length,
    force,
    keepGoing,
    noCommit,
    runId,
    jobs,
    workers,
    slots: new SlotScheduler(jobs),
    params,
    onEvent,
    signal,
    firstFailure: () => firstFailure,
    knownUpToDate,
    finish: (end) => {
      const result = report(end, stages.length, onEvent);
      results.set(end.name, result);
      if (result.status === "failed") firstFailure ??= end.name;
      return result;
    },
  };
  using _cancelling = cancelOnAbort(signal, workers);
  const selected = new Set(stages);
  const done = new Map<string, Promise<StageResult>>();
  const turns = new SlotScheduler(jobs <= 1 ? 1 : jobs + STAGES_AHEAD);
  stages.forEach((name, i) => {
    const upstream = (ctx.project.dag.upstream.get(name) ?? []).filter((up) => selected.has(up));
    done.set(
      name,
      afterUpstream(upstream, done).then(async (ended) => {
        const leave = await turns.acquire([]);
        try {
          return await processStage(env, name, i + 1, ended);
        } finally {
          leave();
        }
      }),
    );
  });
  await Promise.all(done.values());
  const interrupted = signal?.aborted ?? false;
  const durationMs = Math.round(performance.now() - started);
  onEvent({
    type: "summary",
    ...countStatuses(results.values()),
    duration_ms: durationMs,
    interrupted,
  });
  return { results, interrupted, durationMs };
}

/**
 * Cancels the run's jobs when `signal` aborts, until disposed: commands get
 * SIGTERM at once; stage functions cannot be cancelled from outside, so their
 * workers are terminated once the commands have had a moment to exit (unless
 * every job ended first).
 */
function cancelOnAbort(signal: AbortSignal | undefined, workers: () => JobRunner): Disposable {
  let terminate: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    const pool = workers();
    pool.cancelAll();
    terminate = setTimeout(() => pool.close(), TERMINATE_AFTER_MS);
  };
  signal?.addEventListener("abort", onAbort);
  return {
    [Symbol.dispose]: () => {
      signal?.removeEventListener("abort", onAbort);
      clearTimeout(terminate);
    },
  };
}

/** Waits for `upstream` (already started, producers first) and says how each ended. */
async function afterUpstream(
  upstream: readonly string[],
  done: ReadonlyMap<string, Promise<StageResult>>,
): Promise<UpstreamOutcome[]> {
  const ended = await Promise.all(upstream.map((name) => done.get(name)!));
  return ended.map((result, i) => ({
    name: upstream[i]!,
    status: result.status,
    blockedBy: result.blockedBy,
    interrupted: result.interrupted,
  }));
}

/**
 * How long `end`'s stage took, in milliseconds: 0 for one that failed before
 * its work began, and at least 1 for one that ran or failed while running, so
 * the two are told apart however fast the work was.
 */
function stageDurationMs(end: StageEnd): number {
  if (end.since === null) return 0;
  const ms = Math.round(performance.now() - end.since);
  return end.status === "ran" || end.status === "failed" ? Math.max(1, ms) : ms;
}

/** Reports `end` as a `stage_complete` event and returns the stage's result. */
function report(
  end: StageEnd,
  total: number,
  onEvent: (event: EngineEvent) => void,
): StageResult {
  const durationMs = stageDurationMs(end);
  onEvent({
    type: "stage_complete",
    stage: end.name,
    index: end.index,
    total,
    status: end.status,
    reason: end.reason,
    details: end.details,
    duration_ms: durationMs,
  });
  return {
    status: end.status,
    reason: end.reason,
    durationMs,
    logTail: end.logTail,
    blockedBy: end.blockedBy,
    interrupted: end.interrupted,
  };
}

/** How many stages ended in each way. */
function countStatuses(results: Iterable<StageResult>): Record<StageStatus, number> {
  const counts: Record<StageStatus, number> = {
    ran: 0,
    skipped: 0,
    restored: 0,
    failed: 0,
    blocked: 0,
  };
  for (const result of results) counts[result.status]++;
  return counts;
}
