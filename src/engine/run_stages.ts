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
import type { Dag } from "../dag/mod.ts";
import { FUNCTIONS_AHEAD, type JobRunner } from "./worker_pool.ts";

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
 * order given, so `-j 1` runs them in the same order every time. A run of
 * stage functions looks further ahead (see {@linkcode lookAhead}).
 */
export const STAGES_AHEAD = 8;

/**
 * How many stages beyond `jobs` a run processes at once: with any stage
 * function among `stages`, enough to fill every run slot functions handed
 * over ahead may hold (`jobs` × (1 + `FUNCTIONS_AHEAD`), see
 * `slot_scheduler.ts`), so that the coordinator hands each worker a full
 * batch; else {@linkcode STAGES_AHEAD} (commands hold fewer slots ahead, and
 * each stage processed at once holds its state in memory).
 */
export function lookAhead(stages: readonly string[], dag: Dag, jobs: number): number {
  const functions = stages.some((name) => dag.stages.get(name)?.def.action.kind === "run");
  return functions ? Math.max(STAGES_AHEAD, jobs * FUNCTIONS_AHEAD) : STAGES_AHEAD;
}

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
  // How many stages are being processed now.
  let processing = 0;
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
    commandGroups: new Set(),
    moduleUrls: new Map(),
    lockDirs: new Map(),
    alone: () => processing === 1,
    finish: (end) => {
      const result = report(end, stages.length, onEvent);
      results.set(end.name, result);
      if (result.status === "failed") firstFailure ??= end.name;
      return result;
    },
  };
  using _cancelling = cancelOnAbort(signal, workers, env.commandGroups);
  await inTurns(
    stages,
    ctx.project.dag,
    jobs <= 1 ? 1 : jobs + lookAhead(stages, ctx.project.dag, jobs),
    (name, index, upstream) => {
      processing++;
      return processStage(env, name, index, upstream).finally(() => processing--);
    },
  );
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
function cancelOnAbort(
  signal: AbortSignal | undefined,
  workers: () => JobRunner,
  commandGroups: ReadonlySet<number>,
): Disposable {
  let terminate: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    const pool = workers();
    pool.cancelAll();
    terminate = setTimeout(() => {
      // A command that ignores SIGTERM must not outlive the run: its stage would be free
      // to run again (its claim is released) while it still writes.
      for (const group of commandGroups) killGroup(group);
      pool.close();
    }, TERMINATE_AFTER_MS);
  };
  signal?.addEventListener("abort", onAbort);
  return {
    [Symbol.dispose]: () => {
      signal?.removeEventListener("abort", onAbort);
      clearTimeout(terminate);
    },
  };
}

/** SIGKILL to process group `group`, if any of it is left. */
function killGroup(group: number): void {
  try {
    Deno.kill(-group, "SIGKILL");
  } catch {
    // Gone already.
  }
}

/**
 * Processes each of `stages` (producers first) with `process` once its
 * upstream stages among them have ended, at most `turns` at once, the rest
 * in the order they became ready (those that became ready together, in the
 * order given). Nothing is held for a stage before its turn comes: a run of
 * 10,000 stages keeps counts, not a promise and its closures for each stage
 * from the start. Rejects with the first error `process` throws, once every
 * stage begun has ended (stages downstream of it are not begun).
 */
function inTurns(
  stages: readonly string[],
  dag: Pick<Dag, "upstream" | "downstream">,
  turns: number,
  process: (name: string, index: number, upstream: UpstreamOutcome[]) => Promise<StageResult>,
): Promise<void> {
  const indexOf = new Map(stages.map((name, i) => [name, i]));
  const upstreamOf = (i: number) =>
    (dag.upstream.get(stages[i]!) ?? []).filter((up) => indexOf.has(up));
  // How many upstream stages of each have yet to end.
  const waitingFor = Int32Array.from(stages, (_, i) => upstreamOf(i).length);
  const ended: (StageResult | undefined)[] = new Array(stages.length);
  const ready = stages.flatMap((_, i) => waitingFor[i] === 0 ? [i] : []);
  let next = 0;
  let running = 0;
  let left = stages.length;
  let failure: { readonly error: unknown } | null = null;
  return new Promise<void>((resolve, reject) => {
    const settleIfDone = () => {
      if (running > 0 || (left > 0 && failure === null)) return;
      if (failure === null) resolve();
      else reject(failure.error);
    };
    const begin = (i: number) => {
      running++;
      const name = stages[i]!;
      const upstream = upstreamOf(i).map((up): UpstreamOutcome => {
        const result = ended[indexOf.get(up)!]!;
        return {
          name: up,
          status: result.status,
          blockedBy: result.blockedBy,
          interrupted: result.interrupted,
        };
      });
      process(name, i + 1, upstream).then((result) => {
        ended[i] = result;
        const freed: number[] = [];
        for (const down of dag.downstream.get(name) ?? []) {
          const d = indexOf.get(down);
          if (d !== undefined && --waitingFor[d]! === 0) freed.push(d);
        }
        ready.push(...freed.sort((a, b) => a - b));
      }, (error) => {
        failure ??= { error };
      }).finally(() => {
        running--;
        left--;
        pump();
      });
    };
    const pump = () => {
      while (failure === null && running < turns && next < ready.length) begin(ready[next++]!);
      settleIfDone();
    };
    pump();
  });
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
    ...(end.written === undefined ? {} : { written: end.written }),
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
