import { assessStage, type Verdict } from "../engine/assess_stage.ts";
import { describeHolder, sentinelHolder } from "../engine/running_sentinel.ts";
import { type PlannedOut, planStage } from "../engine/stage_plan.ts";
import type { Project } from "../project/mod.ts";
import type { Session } from "../session/mod.ts";
import type { HashInfo } from "../storage/mod.ts";
import {
  type TrackedInputMismatch,
  trackedInputMismatches,
  trackedInputsReason,
} from "./check_tracked_inputs.ts";
import { hasRemote } from "./choose_remote.ts";
import { selectTargets } from "./select_targets.ts";
import { type TrackedState, trackedStatus } from "./tracked_status.ts";
import { upToDateReport } from "./up_to_date_report.ts";

/** An output of an up-to-date stage that needs a repair. */
export interface OutputProblem {
  /** `train:model`. */
  readonly identity: string;
  /** Project-relative path (a directory's ends in `/`). */
  readonly path: string;
  /**
   * `missing`: gone from the workspace, its content is in the cache;
   * `uncached`: its content is missing from the cache, the workspace copy
   * still holds it. `repro` repairs both. `lost` (only from
   * `verify --allow-missing`): its content is in neither the local cache nor
   * the remote.
   */
  readonly status: "missing" | "uncached" | "lost";
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
  /**
   * Stages known to be up to date (see `stamped_up_to_date.ts`): reported
   * so without being assessed. @default {none}
   */
  upToDate?: ReadonlySet<string>;
  /**
   * Tracked paths the caller compared with their `.pvt` already
   * (`trackedStatus`), not compared again. @default {none}
   */
  tracked?: readonly TrackedState[];
}

/**
 * Reports, without changing anything, which stages are stale and why. A
 * stage downstream of a stale one is stale too ("upstream 'x' is stale"). A
 * stage reading a tracked input that does not match its `.pvt` cannot run,
 * as `repro` refuses to run it.
 */
export async function stageStatus(
  session: Session,
  options: StatusOptions,
): Promise<StageStatusReport[]> {
  const { project } = session;
  const stages = await selectTargets(project, options.targets, options.upstream ?? true);
  const blocked = blockedStages(await trackedInputMismatches(session, stages, options.tracked));
  const stale = new Set<string>();
  const restorable = new Map<string, HashInfo>();
  const reports: StageStatusReport[] = [];
  for (const name of stages) {
    const mismatches = blocked.get(name);
    if (mismatches !== undefined) {
      const { reason, details } = trackedInputsReason(project, mismatches);
      reports.push({ stage: name, stale: true, reason, details, failing: true, outputs: [] });
      stale.add(name);
      continue;
    }
    if (options.upToDate?.has(name) && !options.force) {
      reports.push(upToDateReport(name));
      continue;
    }
    const plan = planStage(project, name);
    const staleUpstream = (project.dag.upstream.get(name) ?? []).find((up) => stale.has(up));
    const { verdict } = await assessStage(session, plan, {
      force: options.force ?? false,
      restorable,
    });
    if (verdict.action === "restore") {
      for (const { out, info } of verdict.outs) restorable.set(out.path, info);
    }
    const report = staleUpstream === undefined
      ? reportFor(project, name, verdict)
      : upstreamStale(name, staleUpstream);
    if (report.stale) stale.add(name);
    // A stage another pivot process is running now: it may be up to date once that ends.
    const holder = report.stale ? sentinelHolder(plan.sentinel) : null;
    reports.push(
      holder === null ? report : {
        ...report,
        reason: `${report.reason} (running now in another pivot process, ${
          describeHolder(holder)
        })`,
      },
    );
  }
  return reports;
}

/** The tracked inputs that do not match their `.pvt`, by the stages that read them. */
function blockedStages(
  mismatches: readonly TrackedInputMismatch[],
): Map<string, TrackedInputMismatch[]> {
  const byStage = new Map<string, TrackedInputMismatch[]>();
  for (const mismatch of mismatches) {
    for (const reader of mismatch.readers) {
      byStage.set(reader, [...byStage.get(reader) ?? [], mismatch]);
    }
  }
  return byStage;
}

/** The report of stage `name` from its verdict (its upstream is not stale). */
function reportFor(project: Project, name: string, verdict: Verdict): StageStatusReport {
  switch (verdict.action) {
    case "skip":
      return upToDateReport(name);
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
      return upToDateReport(name, reason, outputs);
    }
    case "run":
      return {
        stage: name,
        stale: true,
        reason: verdict.reason,
        details: verdict.details,
        failing: false,
        outputs: [],
      };
    case "fail":
      return {
        stage: name,
        stale: true,
        reason: verdict.reason,
        details: [],
        failing: true,
        outputs: [],
      };
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

/** What `pivot status` reports: the stages, and the tracked paths they (or the project) read. */
export interface ProjectStatus {
  readonly stages: readonly StageStatusReport[];
  readonly tracked: readonly TrackedState[];
  /**
   * What brings back content the local cache lacks (stage outputs gone from
   * both the workspace and the cache, tracked data missing with it), as in a
   * fresh clone: `pivot pull` when a remote is configured, else `pivot repro`;
   * `null` when nothing is lost.
   */
  readonly fetchHint: string | null;
  /**
   * What repairs outputs that differ from what their locks record (edited,
   * or left from another revision after a `git checkout`): `pivot checkout`
   * or `pivot repro`; `null` when none differs.
   */
  readonly checkoutHint: string | null;
}

/** A stage's reason when its outputs are gone from the workspace and the cache alike. */
export const OUTPUTS_LOST = "outputs missing from cache";

/**
 * The status of the selected stages (and upstream) and of the tracked
 * paths: every one of the project without targets, else those the selected
 * stages read.
 */
export async function projectStatus(
  session: Session,
  options: Pick<StatusOptions, "targets" | "upToDate">,
): Promise<ProjectStatus> {
  // Compared once: the stages' reports take their tracked inputs from these.
  const selected = await selectTargets(session.project, options.targets, true);
  const tracked = await trackedStatus(
    session,
    options.targets.length === 0 ? {} : { stages: selected },
  );
  const stages = await stageStatus(session, { ...options, tracked });
  return {
    stages,
    tracked,
    fetchHint: fetchHint(session.project, stages, tracked),
    checkoutHint: stages.some((r) => r.stale && !r.failing && MODIFIED_OUTPUT.test(r.reason))
      ? "outputs that differ from their locks (as after a 'git checkout'): 'pivot checkout' " +
        "puts back what the locks record, 'pivot repro' runs their stages again"
      : null,
  };
}

/** A stage's reason when an output differs from what its lock records (see `assess_stage.ts`). */
const MODIFIED_OUTPUT = /^output .+ was modified$/;

/** See {@linkcode ProjectStatus.fetchHint}. */
function fetchHint(
  project: Project,
  stages: readonly StageStatusReport[],
  tracked: readonly TrackedState[],
): string | null {
  const lostOutputs = stages.some((r) => r.stale && !r.failing && r.reason === OUTPUTS_LOST);
  const lostTracked = tracked.some((t) => t.status === "missing" && !t.cached);
  if (!lostOutputs && !lostTracked) return null;
  if (hasRemote(project.config)) {
    return "content missing from the local cache may be on the remote: pivot pull";
  }
  return lostTracked
    ? "no remote is configured to pull from ('pivot remote add'): put the tracked data back, then run 'pivot repro'"
    : "no remote is configured to pull from: 'pivot repro' produces the missing outputs again";
}
