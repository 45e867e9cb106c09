import {
  assessStage,
  EngineContext,
  type EngineEvent,
  newRunId,
  type PlannedOut,
  planStage,
  type RunResult,
  runStages,
  type StageCompleteEvent,
} from "../engine/mod.ts";
import type { Project } from "../project/mod.ts";
import type { CheckoutMode, HashInfo } from "../storage/mod.ts";
import { checkTrackedInputs } from "./check_tracked_inputs.ts";
import { holdCacheForWriting } from "./_cache_guard.ts";
import { ignoreCachedOutputs } from "./ignore_outputs.ts";
import { NOOP_STAMPS_KEPT } from "./noop_stamp.ts";
import { buildNoopStamp } from "./record_noop_stamp.ts";
import { HISTORY_SIZE, runRecordJson } from "./run_record.ts";
import { selectTargets } from "./select_targets.ts";

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
  /** Checkout modes for outputs. */
  modes: readonly CheckoutMode[];
  /** Receives engine events. */
  onEvent: (event: EngineEvent) => void;
  /** Stops the run. */
  signal?: AbortSignal;
  /** Told about recoverable problems. */
  warn: (message: string) => void;
  /**
   * Where a run that finds every stage up to date leaves a no-op stamp
   * (another run, `force` included, forgets it; `noCommit` touches neither): the key (see `noopStampKey`), and when the
   * command started reading the project (a path changed later, or shortly
   * before, keeps the stamp from being written). @default {no stamp}
   */
  noopStamp?: { readonly key: string; readonly sinceMs: number };
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
export async function reproStages(project: Project, options: ReproOptions): Promise<ReproResult> {
  const stages = await selectTargets(project, options.targets, options.mode === "repro");
  // Until the last lock is written, gc must not remove the blobs this run stores.
  using _cache = await holdCacheForWriting(project.root, {
    warn: options.warn,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  let warned = false;
  const warn = (message: string) => {
    warned = true;
    options.warn(message);
  };
  // Before anything runs: a tracked input that is not what its .pvt records stops the command.
  await checkTrackedInputs(project, stages, warn);
  const ctx = new EngineContext(project, options.modes, warn);
  const runId = newRunId();
  const startedAt = new Date().toISOString();
  const completions: StageCompleteEvent[] = [];
  try {
    const result = await runStages(ctx, {
      stages,
      force: options.force ? new Set(stages) : new Set(),
      keepGoing: options.keepGoing ?? false,
      ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
      noCommit: options.noCommit ?? false,
      runId,
      onEvent: (event) => {
        if (event.type === "stage_complete") completions.push(event);
        options.onEvent(event);
      },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    // --no-commit records nothing: no outputs ignored, no history, no stamp.
    if (options.noCommit) return { ...result, runId, stages };
    const recorded = stages.filter((name) =>
      ["ran", "restored", "skipped"].includes(result.results.get(name)?.status ?? "")
    );
    await ignoreCachedOutputs(project, recorded);
    const db = await ctx.projectDb();
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
      const upToDate = !result.interrupted && !options.force && !warned &&
        project.warnings.length === 0 && stages.length > 0 &&
        stages.every((name) => result.results.get(name)?.status === "skipped");
      const stamp = upToDate
        ? buildNoopStamp(project, stages, completions, options.noopStamp.sinceMs, ctx.blobDirs)
        : null;
      db.putNoopStamp(
        options.noopStamp.key,
        stamp === null ? null : JSON.stringify(stamp),
        NOOP_STAMPS_KEPT,
      );
    }
    return { ...result, runId, stages };
  } finally {
    await ctx.close();
  }
}

/** An output of an up-to-date stage that needs a repair. */
export interface OutputProblem {
  /** `train:model`. */
  readonly identity: string;
  /** Project-relative path (a directory's ends in `/`). */
  readonly path: string;
  /**
   * `missing`: gone from the workspace, its content is in the cache;
   * `uncached`: its content is missing from the cache, the workspace copy
   * still holds it. `repro` repairs both.
   */
  readonly status: "missing" | "uncached";
  /** The command that repairs just this (`pivot checkout train:model`, `pivot commit train`). */
  readonly fix: string;
}

/** One stage's state as `status`, `verify` and `--dry-run` report it. */
export interface StageStatusReport {
  readonly stage: string;
  /** `up to date`, or why it would run (or fail). */
  readonly stale: boolean;
  readonly reason: string;
  readonly details: readonly string[];
  /** True when the stage could not run (a missing input). */
  readonly failing: boolean;
  /** Outputs to repair when the stage is otherwise up to date (else empty). */
  readonly outputs: readonly OutputProblem[];
}

/** Options for {@linkcode stageStatus}. */
export interface StatusOptions {
  targets: readonly string[];
  /** Include upstream stages. @default {true} */
  upstream?: boolean;
  /** Treat every stage as forced. @default {false} */
  force?: boolean;
  warn: (message: string) => void;
  modes: readonly CheckoutMode[];
}

/**
 * Reports, without changing anything, which stages are stale and why. A
 * stage downstream of a stale one is stale too ("upstream 'x' is stale").
 */
export async function stageStatus(
  project: Project,
  options: StatusOptions,
): Promise<StageStatusReport[]> {
  const stages = await selectTargets(project, options.targets, options.upstream ?? true);
  const ctx = new EngineContext(project, options.modes, options.warn);
  const stale = new Set<string>();
  const restorable = new Map<string, HashInfo>();
  const reports: StageStatusReport[] = [];
  try {
    for (const name of stages) {
      const plan = planStage(project, name);
      const staleUpstream = (project.dag.upstream.get(name) ?? []).find((up) => stale.has(up));
      const { verdict } = await assessStage(ctx, plan, {
        force: options.force ?? false,
        restorable,
      });
      if (verdict.action === "restore") {
        for (const { out, info } of verdict.outs) restorable.set(out.path, info);
      }
      let report: StageStatusReport;
      switch (verdict.action) {
        case "skip":
          report = staleUpstream === undefined
            ? upToDateReport(name, "up to date", [])
            : upstreamStale(name, staleUpstream);
          break;
        case "restore": {
          const outputs = [
            ...verdict.outs.map(({ out }) =>
              outputProblem(project, out, "missing", `pivot checkout ${out.identity}`)
            ),
            ...verdict.recache.map(({ out }) =>
              outputProblem(project, out, "uncached", `pivot commit ${name}`)
            ),
          ];
          const reason = [
            ...(verdict.outs.length > 0 ? ["outputs to restore from the cache"] : []),
            ...(verdict.recache.length > 0 ? ["content to re-cache from the workspace"] : []),
          ].join(", ");
          report = staleUpstream === undefined
            ? upToDateReport(name, reason, outputs)
            : upstreamStale(name, staleUpstream);
          break;
        }
        case "run":
          report = {
            stage: name,
            stale: true,
            reason: verdict.reason,
            details: verdict.details,
            failing: false,
            outputs: [],
          };
          break;
        case "fail":
          report = staleUpstream === undefined
            ? {
              stage: name,
              stale: true,
              reason: verdict.reason,
              details: [],
              failing: true,
              outputs: [],
            }
            : upstreamStale(name, staleUpstream);
          break;
      }
      if (report.stale) stale.add(name);
      reports.push(report);
    }
    return reports;
  } finally {
    await ctx.close();
  }
}

function outputProblem(
  project: Project,
  out: PlannedOut,
  status: OutputProblem["status"],
  fix: string,
): OutputProblem {
  return {
    identity: out.identity,
    path: project.store.displayPath(out.path, out.isDir),
    status,
    fix,
  };
}

function upToDateReport(
  stage: string,
  reason: string,
  outputs: readonly OutputProblem[],
): StageStatusReport {
  const details = outputs.map((o) => `${o.identity} → ${o.path}`);
  return { stage, stale: false, reason, details, failing: false, outputs };
}

function upstreamStale(stage: string, upstream: string): StageStatusReport {
  return {
    stage,
    stale: true,
    reason: `upstream '${upstream}' is stale`,
    details: [],
    failing: false,
    outputs: [],
  };
}
