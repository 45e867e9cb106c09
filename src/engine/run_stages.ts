/**
 * The coordinator: walks the selected stages in dependency order, decides
 * for each whether it is up to date, restores what the cache holds, runs the
 * rest on the worker pool and records each finished stage in its own state
 * dir. Workers never write state.
 *
 * @module
 */
import * as path from "node:path";
import { ensureDirSync } from "../util/ensure_dir.ts";
import { environmentError } from "../util/environment_error.ts";
import { PivotError } from "../util/errors.ts";
import { hashBytes, removePath } from "../storage/mod.ts";
import { assessStage } from "./assess_stage.ts";
import { buildJob } from "./build_job.ts";
import type { EngineContext } from "./engine_context.ts";
import {
  recacheOutputs,
  recordStage,
  restoreFromRunCache,
  restoreOutputs,
} from "./record_stage.ts";
import type { EngineEvent, StageCompleteEvent, StageStatus } from "./run_events.ts";
import {
  claimSentinel,
  describeHolder,
  endOrphanedCommands,
  recordCommandGroup,
  releaseSentinel,
  sentinelHolder,
} from "./running_sentinel.ts";
import { SlotScheduler } from "./slot_scheduler.ts";
import { planStage } from "./stage_plan.ts";
import { WorkerPool } from "./worker_pool.ts";

/** How many output lines of each stage a run keeps (for failures and history). */
const LOG_TAIL = 50;

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
}

/** One stage's result. */
export interface StageResult {
  readonly status: StageStatus;
  readonly reason: string;
  readonly durationMs: number;
  /** The last lines it printed. */
  readonly logTail: readonly string[];
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
  } = options;
  const started = performance.now();
  const selected = new Set(stages);
  const results = new Map<string, StageResult>();
  const done = new Map<string, Promise<StageResult>>();
  const slots = new SlotScheduler(jobs);
  let pool: WorkerPool | null = null;
  /** Holds the params files of this run (`PIVOT_PARAMS`); removed at the end. */
  let tempDir: string | null = null;
  const paramsWritten = new Map<string, Promise<void>>();
  let firstFailure: string | null = null;
  const total = stages.length;
  const interrupted = () => signal?.aborted ?? false;
  const onAbort = () => {
    pool?.cancelAll();
    // Stage functions cannot be cancelled from outside: their workers are terminated
    // once the commands have had a moment to exit on SIGTERM.
    setTimeout(() => pool?.close(), 300);
  };
  signal?.addEventListener("abort", onAbort);

  const finish = (
    name: string,
    index: number,
    status: StageStatus,
    reason: string,
    startedAt: number,
    details: readonly string[] = [],
    logTail: readonly string[] = [],
  ): StageResult => {
    const durationMs = Math.round(performance.now() - startedAt);
    const event: StageCompleteEvent = {
      type: "stage_complete",
      stage: name,
      index,
      total,
      status,
      reason,
      details,
      duration_ms: durationMs,
    };
    onEvent(event);
    const result = { status, reason, durationMs, logTail };
    results.set(name, result);
    if (status === "failed" && firstFailure === null) firstFailure = name;
    return result;
  };

  /**
   * Waits while another pivot process runs stage `name` (reporting it once).
   * @returns false when interrupted first
   */
  const waitForOther = async (name: string, holder: number): Promise<boolean> => {
    onEvent({
      type: "stage_log",
      stage: name,
      line: `waiting: '${name}' is running in another pivot process (${describeHolder(holder)})`,
      stream: "stderr",
    });
    const sentinel = planStage(ctx.project, name).sentinel;
    while (!interrupted()) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (sentinelHolder(sentinel) === null) return true;
    }
    return false;
  };

  const processStage = async (name: string, index: number): Promise<StageResult> => {
    const upstream = (ctx.project.dag.upstream.get(name) ?? []).filter((up) => selected.has(up));
    const upstreamResults = await Promise.all(upstream.map((up) => done.get(up)!));
    const broken = upstream.find((_, i) =>
      upstreamResults[i]!.status === "failed" || upstreamResults[i]!.status === "blocked"
    );
    const startedAt = performance.now();
    if (broken !== undefined) {
      const cause = results.get(broken)!.status === "failed"
        ? broken
        : results.get(broken)!.reason.replace(/^upstream '(.*)' failed$/, "$1");
      return finish(name, index, "blocked", `upstream '${cause}' failed`, startedAt);
    }
    if (interrupted()) return finish(name, index, "blocked", "interrupted", startedAt);
    if (firstFailure !== null && !keepGoing) {
      return finish(name, index, "blocked", `not started: '${firstFailure}' failed`, startedAt);
    }
    const plan = planStage(ctx.project, name);
    // Timings cover the work itself: restoring, or running once a slot is free.
    let workStarted = startedAt;
    let begun = false;
    const begin = () => {
      workStarted = performance.now();
      if (!begun) onEvent({ type: "stage_start", stage: name, index, total });
      begun = true;
    };
    const busy = (holder: number) =>
      finish(
        name,
        index,
        "failed",
        `interrupted while waiting for another pivot process (${
          describeHolder(holder)
        }) running '${name}'`,
        startedAt,
      );
    const running = ctx.mayBeRunning(plan.sentinel) ? sentinelHolder(plan.sentinel) : null;
    if (running !== null && !(await waitForOther(name, running))) return busy(running);
    const logTail: string[] = [];
    let claimed = false;
    try {
      const options = { force: force.has(name) };
      let { state, verdict } = await assessStage(ctx, plan, options);
      if (verdict.action !== "skip" && verdict.action !== "fail") {
        // Work to do: hold the stage; after waiting for another process, look again
        // (it has probably just done the work).
        let holder = claim(plan.sentinel);
        const waited = holder !== null;
        while (holder !== null) {
          if (!(await waitForOther(name, holder))) return busy(holder);
          holder = claim(plan.sentinel);
        }
        claimed = true;
        for (const line of await endOrphanedCommands(plan.sentinel, signal)) {
          onEvent({ type: "stage_log", stage: name, line, stream: "stderr" });
        }
        if (waited) ({ state, verdict } = await assessStage(ctx, plan, options));
      }
      if (verdict.action === "fail") {
        return finish(name, index, "failed", verdict.reason, performance.now());
      }
      if (verdict.action === "skip") return finish(name, index, "skipped", "up to date", startedAt);
      if (verdict.action === "restore") {
        // --no-commit writes no cache: content to re-cache stays where it is, in the workspace.
        if (noCommit && verdict.outs.length === 0) {
          return finish(name, index, "skipped", "up to date", startedAt);
        }
        begin();
        if (!noCommit && (await restoreOutputs(ctx, verdict.outs))) {
          await recacheOutputs(ctx, verdict.recache);
          const repaired = [
            ...(verdict.outs.length > 0 ? ["outputs restored from the cache"] : []),
            ...(verdict.recache.length > 0 ? ["content re-cached from the workspace"] : []),
          ];
          return finish(
            name,
            index,
            "restored",
            repaired.join(", "),
            workStarted,
            [...verdict.outs, ...verdict.recache].map(({ out }) => out.display),
          );
        }
      } else if (!noCommit && !force.has(name)) {
        const tried = performance.now();
        if (await restoreFromRunCache(ctx, plan, state)) {
          onEvent({ type: "stage_start", stage: name, index, total });
          return finish(
            name,
            index,
            "restored",
            `restored from the run cache (${verdict.reason})`,
            tried,
            verdict.details,
          );
        }
      }
      const reason = verdict.action === "run" ? verdict.reason : "outputs missing from cache";
      const details = verdict.action === "run" ? verdict.details : [];
      const release = await slots.acquire(plan.stage.def.mutex);
      let outcome: string | null;
      try {
        if (interrupted()) return finish(name, index, "blocked", "interrupted", startedAt);
        if (firstFailure !== null && !keepGoing) {
          return finish(name, index, "blocked", `not started: '${firstFailure}' failed`, startedAt);
        }
        begin();
        for (const out of plan.outs) ctx.paths.assertParentInside(out.path, "cannot write output");
        for (const out of plan.outs) {
          await removePath(out.path);
          ensureDirSync(path.dirname(out.path));
        }
        // One file per distinct set of params (most stages share a few).
        tempDir ??= await Deno.makeTempDir({ prefix: "pivot_run_" });
        const paramsJson = `${JSON.stringify(plan.stage.def.params, null, 2)}\n`;
        const paramsFile = path.join(tempDir, `${hashBytes(paramsJson)}.json`);
        let written = paramsWritten.get(paramsFile);
        if (written === undefined) {
          written = Deno.writeTextFile(paramsFile, paramsJson);
          paramsWritten.set(paramsFile, written);
        }
        await written;
        const job = buildJob(plan, paramsFile);
        pool ??= new WorkerPool(jobs);
        outcome = await pool.run(job, (line, stream) => {
          logTail.push(line);
          if (logTail.length > LOG_TAIL) logTail.shift();
          onEvent({ type: "stage_log", stage: name, line, stream });
        }, (group) => recordCommandGroup(plan.sentinel, group));
      } finally {
        release();
      }
      // After Ctrl-C nothing is recorded, even for a command that still exited 0.
      if (outcome !== null || interrupted()) {
        const why = interrupted() ? "interrupted" : outcome!.split("\n")[0]!;
        const details = outcome?.split("\n").slice(1) ?? [];
        return finish(name, index, "failed", why, workStarted, details, logTail);
      }
      if (!noCommit) await recordStage(ctx, plan, state, runId);
      else {
        const missing = plan.outs.filter((out) => {
          try {
            Deno.statSync(out.path);
            return false;
          } catch {
            return true;
          }
        });
        if (missing.length > 0) {
          throw new PivotError(
            `stage did not produce output ${missing.map((o) => o.display).join(", ")}`,
          );
        }
      }
      return finish(name, index, "ran", reason, workStarted, details, logTail);
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      const hint = error.hint === undefined ? [] : [`hint: ${error.hint}`];
      return finish(name, index, "failed", error.message, workStarted, hint, logTail);
    } finally {
      if (claimed) releaseSentinel(plan.sentinel);
    }
  };

  try {
    stages.forEach((name, i) => done.set(name, processStage(name, i + 1)));
    await Promise.all(done.values());
  } finally {
    signal?.removeEventListener("abort", onAbort);
    (pool as WorkerPool | null)?.close();
    if (tempDir !== null) await Deno.remove(tempDir, { recursive: true }).catch(() => undefined);
  }
  const durationMs = Math.round(performance.now() - started);
  const count = (status: StageStatus) =>
    [...results.values()].filter((r) => r.status === status).length;
  onEvent({
    type: "summary",
    ran: count("ran"),
    skipped: count("skipped"),
    restored: count("restored"),
    failed: count("failed"),
    blocked: count("blocked"),
    duration_ms: durationMs,
    interrupted: interrupted(),
  });
  return { results, interrupted: interrupted(), durationMs };
}

/**
 * {@linkcode claimSentinel}, with a failure of the environment (a full disk)
 * reported as a stage failure naming the sentinel, the cause and the fix.
 */
function claim(sentinel: string): number | null {
  try {
    return claimSentinel(sentinel);
  } catch (error) {
    throw environmentError(error, { file: sentinel, action: "write" });
  }
}
