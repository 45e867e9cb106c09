/**
 * One stage of a run, start to end: the gate (blocked or not), waiting for
 * another pivot process that holds it, the verdict (with work to do: reader
 * marks on the stages whose outputs it reads, and the verdict again unless
 * those are unchanged), the claim, waiting for other processes that read its
 * outputs, then restore from the cache, restore from the run cache, or run it
 * on the worker pool and record it. Every way it ends goes through the run's
 * `finish`.
 *
 * @module
 */
import * as path from "node:path";
import { setImmediate } from "node:timers";
import { PivotError } from "../util/errors.ts";
import { firstLine } from "../util/first_line.ts";
import { relativeFileUrls } from "../util/paths.ts";
import { PATH_ABSENT, plainlyAbsent } from "../util/precise_stat.ts";
import { removePath } from "../storage/mod.ts";
import { fileSignatureText } from "../storage/file_signature.ts";
import {
  type AssessOptions,
  assessStage,
  type StageState,
  upstreamOutputsUnchanged,
  type Verdict,
} from "./assess_stage.ts";
import { buildJob } from "./build_job.ts";
import type { EngineContext } from "./engine_context.ts";
import type { ParamsFiles } from "./params_files.ts";
import { markReading, waitWhileRead } from "./reader_marks.ts";
import {
  recacheOutputs,
  recheckOutputDirs,
  recordStage,
  restoreFromRunCache,
  restoreOutputs,
} from "./record_stage.ts";
import type { EngineEvent, StageStatus } from "./run_events.ts";
import { gateStage, type UpstreamOutcome } from "./run_gate.ts";
import { describeHolder, sentinelHolder } from "./running_sentinel.ts";
import type { SlotScheduler } from "./slot_scheduler.ts";
import { type ClaimOptions, claimStage, type StageClaim, waitWhileHeld } from "./stage_claim.ts";
import type { StagePlan } from "./stage_plan.ts";
import { type JobOutcome, type JobRunner, NOT_STARTED } from "./worker_pool.ts";
import type { WrittenLock } from "./written_lock.ts";

/** How many output lines of each stage a run keeps (for failures and history). */
const LOG_TAIL = 50;

/** One stage's result. */
export interface StageResult {
  readonly status: StageStatus;
  readonly reason: string;
  readonly durationMs: number;
  /** The last lines it printed. */
  readonly logTail: readonly string[];
  /** For a blocked stage, the failed stage behind it (`null`: interrupted). */
  readonly blockedBy: string | null;
  /** True when it failed because the run was interrupted (Ctrl-C), not by itself. */
  readonly interrupted: boolean;
  /** The lock this run wrote for it, when it ran or was restored from the run cache. */
  readonly written?: WrittenLock;
}

/** How a stage ended, as {@linkcode StageRunEnv.finish} records it. */
export interface StageEnd {
  readonly name: string;
  readonly index: number;
  readonly status: StageStatus;
  readonly reason: string;
  /**
   * When the timed part began (`performance.now()`); `null` for a stage that
   * failed before its work began (a missing input, an unreadable lock), or was
   * known to be up to date: no time.
   */
  readonly since: number | null;
  readonly details: readonly string[];
  readonly logTail: readonly string[];
  readonly blockedBy: string | null;
  readonly interrupted: boolean;
  readonly written?: WrittenLock;
}

/** What every stage of one run shares. */
export interface StageRunEnv {
  readonly ctx: EngineContext;
  /** How many stages the run has. */
  readonly total: number;
  /** Stages to run even when up to date. */
  readonly force: ReadonlySet<string>;
  readonly keepGoing: boolean;
  /** Record nothing: no lock, cache or state. */
  readonly noCommit: boolean;
  /** The run's id (for the run cache). */
  readonly runId: string;
  /** At most this many stages at once (the worker pool's size). */
  readonly jobs: number;
  /** What runs the jobs (see `EngineContext.workers`). */
  workers(): JobRunner;
  readonly slots: SlotScheduler;
  readonly params: ParamsFiles;
  readonly onEvent: (event: EngineEvent) => void;
  readonly signal: AbortSignal | undefined;
  /** The first stage of the run that failed, or `null`. */
  firstFailure(): string | null;
  /** Stages known to be up to date: not assessed (see `RunStagesOptions`). */
  readonly knownUpToDate: ReadonlySet<string>;
  /** The process groups of the commands running now (ended with the run on Ctrl-C). */
  readonly commandGroups: Set<number>;
  /** The file URLs of stage modules, by path, as jobs were built (see `buildJob`). */
  readonly moduleUrls: Map<string, string>;
  /** What the directories above missing locks were found to be (see `AssessOptions`). */
  readonly lockDirs: Map<string, boolean>;
  /** Records how a stage ended and reports it; returns its result. */
  finish(end: StageEnd): StageResult;
  /** True when only one stage of the run is being processed (the caller's). */
  alone(): boolean;
}

/**
 * Notes in `claim` that the stage's command runs in process group `group`.
 * The note serves only a later pivot, should this one be killed (it ends the
 * command then): a full disk fails it, which is said, but neither the
 * command nor the run.
 */
function noteGroup(progress: StageProgress, claim: StageClaim | undefined, group: number): void {
  try {
    claim?.recordGroup(group);
  } catch (error) {
    const cause = firstLine(error instanceof Error ? error.message : String(error));
    progress.say(`pivot: cannot note the command's process group in its claim: ${cause}`);
  }
}

/** The timing, start event and output tail of one stage. */
class StageProgress {
  /** When the work itself began: restoring, or running once a slot was free. */
  #since: number;
  #begun = false;
  readonly #tail: string[] = [];

  constructor(
    readonly env: StageRunEnv,
    readonly name: string,
    readonly index: number,
  ) {
    this.#since = performance.now();
  }

  /** The work begins now (reported once as `stage_start`). */
  begin(): void {
    this.#since = performance.now();
    if (this.#begun) return;
    this.#begun = true;
    this.env.onEvent({
      type: "stage_start",
      stage: this.name,
      index: this.index,
      total: this.env.total,
    });
  }

  /** True once the work began (a failure before then has no time worth showing). */
  get begun(): boolean {
    return this.#begun;
  }

  /** A line the stage printed. */
  readonly log = (line: string, stream: "stdout" | "stderr"): void => {
    this.#tail.push(line);
    if (this.#tail.length > LOG_TAIL) this.#tail.shift();
    this.env.onEvent({ type: "stage_log", stage: this.name, line, stream });
  };

  /** A line pivot says about the stage (waiting, orphans), not kept in its tail. */
  readonly say = (line: string): void => {
    this.env.onEvent({ type: "stage_log", stage: this.name, line, stream: "stderr" });
  };

  /** Ends the stage. */
  end(
    status: StageStatus,
    reason: string,
    more: {
      details?: readonly string[];
      blockedBy?: string | null;
      since?: number | null;
      interrupted?: boolean;
      written?: WrittenLock | null;
    } = {},
  ): StageResult {
    return this.env.finish({
      name: this.name,
      index: this.index,
      status,
      reason,
      since: more.since === undefined ? this.#since : more.since,
      details: more.details ?? [],
      logTail: [...this.#tail],
      blockedBy: more.blockedBy ?? null,
      interrupted: more.interrupted ?? false,
      ...(more.written ? { written: more.written } : {}),
    });
  }
}

/**
 * Processes stage `name` once its `upstream` stages (those of this run) have
 * ended. Never throws for the stage's own failure.
 */
export async function processStage(
  env: StageRunEnv,
  name: string,
  index: number,
  upstream: readonly UpstreamOutcome[],
): Promise<StageResult> {
  const blocked = gate(env, upstream);
  // A stage the stamp vouches for (most of a run after a change) is reported at once: it has
  // no work whose time would be shown, and nothing else to keep (no output tail).
  if (blocked === null && env.knownUpToDate.has(name)) return endKnownUpToDate(env, name, index);
  const progress = new StageProgress(env, name, index);
  if (blocked !== null) return progress.end("blocked", blocked.reason, blocked);
  const plan = env.ctx.plan(name);
  const claimOptions: ClaimOptions = {
    name,
    sentinel: plan.sentinel,
    onLine: progress.say,
    signal: env.signal,
    stats: env.ctx.stats,
    templates: env.ctx.sentinelTemplates,
  };
  // Another process holds it: wait, then judge the stage as that process left it.
  const holder = env.ctx.mayBeRunning(plan.sentinel) ? sentinelHolder(plan.sentinel) : null;
  const still = holder === null ? null : await waitWhileHeld(claimOptions, holder);
  if (still !== null) return endBusy(progress, still);
  try {
    // Outputs this run just wrote upstream: the stage almost surely has work to do.
    const fed = upstream.some(({ status }) => status === "ran" || status === "restored");
    const judged = await judge(env, plan, claimOptions, progress, fed);
    if ("status" in judged) return judged;
    using _reading = judged.marks;
    const settled = await settle(env, plan, judged, claimOptions, progress);
    if ("status" in settled) return settled;
    await using held = settled.claim;
    return await act(env, plan, settled.state, settled.verdict, progress, held);
  } catch (error) {
    if (!(error instanceof PivotError)) throw error;
    const hint = error.hint === undefined ? [] : [`hint: ${error.hint}`];
    // Failed while being judged (an unreadable lock), not while running: no time, as for a
    // missing input, whether the judging took under a millisecond or more.
    const since = progress.begun ? {} : { since: null };
    return progress.end("failed", error.message, { details: hint, ...since });
  }
}

/** Ends stage `name`, known to be up to date, as skipped (no time: nothing was done). */
function endKnownUpToDate(env: StageRunEnv, name: string, index: number): StageResult {
  return env.finish({
    name,
    index,
    status: "skipped",
    reason: "up to date",
    since: null,
    details: [],
    logTail: [],
    blockedBy: null,
    interrupted: false,
  });
}

/** The gate with what the run knows now. */
function gate(env: StageRunEnv, upstream: readonly UpstreamOutcome[]) {
  return gateStage({
    upstream,
    interrupted: env.signal?.aborted ?? false,
    firstFailure: env.firstFailure(),
    keepGoing: env.keepGoing,
  });
}

/** The stage failed: interrupted while waiting for `holder`, doing `what` (`running 'x'`). */
function endBusy(
  progress: StageProgress,
  holder: number,
  what = `running '${progress.name}'`,
): StageResult {
  return progress.end(
    "failed",
    `interrupted while waiting for another pivot process (${describeHolder(holder)}) ${what}`,
    { interrupted: true },
  );
}

/** How the run assesses stage `plan`. */
function assessOptions(env: StageRunEnv, plan: StagePlan): AssessOptions {
  return { force: env.force.has(plan.name), lockDirs: env.lockDirs };
}

/** A verdict and the state it was taken from. */
interface Assessed {
  readonly state: StageState;
  readonly verdict: Verdict;
}

/**
 * The verdict. A stage with work to do (or missing inputs) first marks the
 * stages whose outputs it reads, and the verdict it acts on is taken with
 * the marks held; they are held until the stage is recorded, so the input
 * hashes in its lock are those of what its command read (see
 * `reader_marks.ts`, also for why this never deadlocks). An up-to-date stage
 * records nothing and needs no marks. A stage whose upstream stages of the
 * run wrote outputs (`fed`) almost surely has work to do: its marks are
 * taken first and its one verdict is taken with them held (released at once
 * when it turns out up to date), rather than a first verdict, the marks and
 * a look at whether its inputs changed in between (for a fan-in, a thousand
 * inputs looked at twice).
 */
async function judge(
  env: StageRunEnv,
  plan: StagePlan,
  claimOptions: ClaimOptions,
  progress: StageProgress,
  fed: boolean,
): Promise<(Assessed & { readonly marks: Disposable | undefined }) | StageResult> {
  const options = assessOptions(env, plan);
  if (fed) return await judgeMarked(env, plan, claimOptions, progress);
  const first = await assessStage(env.ctx, plan, options);
  if (first.verdict.action === "skip") return { ...first, marks: undefined };
  const reading = await markReading(plan.producers, claimOptions);
  if (reading.marks === undefined) {
    return endBusy(progress, reading.busy.holder, `writing input '${reading.busy.name}'`);
  }
  try {
    // Another process may have rewritten an input before the marks were taken.
    const unchanged = !reading.waited &&
      await upstreamOutputsUnchanged(env.ctx, plan, first.state);
    return {
      ...(unchanged ? first : await assessStage(env.ctx, plan, options)),
      marks: reading.marks,
    };
  } catch (error) {
    reading.marks[Symbol.dispose]();
    throw error;
  }
}

/** The verdict taken with the stage's marks held (kept only when it has work to do). */
async function judgeMarked(
  env: StageRunEnv,
  plan: StagePlan,
  claimOptions: ClaimOptions,
  progress: StageProgress,
): Promise<(Assessed & { readonly marks: Disposable | undefined }) | StageResult> {
  const reading = await markReading(plan.producers, claimOptions);
  if (reading.marks === undefined) {
    return endBusy(progress, reading.busy.holder, `writing input '${reading.busy.name}'`);
  }
  try {
    const assessed = await assessStage(env.ctx, plan, assessOptions(env, plan));
    if (assessed.verdict.action !== "skip") return { ...assessed, marks: reading.marks };
    reading.marks[Symbol.dispose]();
    return { ...assessed, marks: undefined };
  } catch (error) {
    reading.marks[Symbol.dispose]();
    throw error;
  }
}

/**
 * The stage claimed when there is work to do. After waiting for another
 * process the stage is judged again: that process has probably just done
 * the work; so it is when the stage's lock changed since the verdict (that
 * process claimed, ran and let go between the verdict and this claim). Once
 * claimed, other processes reading its outputs are waited for.
 */
async function settle(
  env: StageRunEnv,
  plan: StagePlan,
  assessed: Assessed,
  claimOptions: ClaimOptions,
  progress: StageProgress,
): Promise<(Assessed & { readonly claim: StageClaim | undefined }) | StageResult> {
  let { state, verdict } = assessed;
  if (verdict.action === "skip" || verdict.action === "fail") {
    return { state, verdict, claim: undefined };
  }
  const claimed = await claimStage(claimOptions);
  if (claimed.claim === undefined) return endBusy(progress, claimed.busy);
  try {
    // Judged again after waiting, and when another process recorded the stage between the
    // verdict and the claim (it claimed, ran and let go in between: the lock was replaced).
    if (
      claimed.claim.waited ||
      fileSignatureText(env.ctx.stats, plan.lockFile) !== state.lockSeen
    ) {
      ({ state, verdict } = await assessStage(env.ctx, plan, assessOptions(env, plan)));
    }
    const reader = verdict.action === "skip" || verdict.action === "fail"
      ? null
      : await waitWhileRead(claimOptions);
    if (reader !== null) {
      await claimed.claim[Symbol.asyncDispose]();
      return endBusy(progress, reader, `reading '${plan.name}'`);
    }
  } catch (error) {
    await claimed.claim[Symbol.asyncDispose]();
    throw error;
  }
  return { state, verdict, claim: claimed.claim };
}

/** Acts on the verdict: nothing, a restore, the run cache, or a run. */
async function act(
  env: StageRunEnv,
  plan: StagePlan,
  state: StageState,
  verdict: Verdict,
  progress: StageProgress,
  claim: StageClaim | undefined,
): Promise<StageResult> {
  const { ctx, noCommit } = env;
  switch (verdict.action) {
    case "fail":
      return progress.end("failed", verdict.reason, { since: null });
    case "skip":
      return progress.end("skipped", "up to date");
    case "restore": {
      // --no-commit writes no cache: content to re-cache stays where it is, in the workspace.
      if (noCommit && verdict.outs.length === 0) return progress.end("skipped", "up to date");
      progress.begin();
      if (noCommit || !(await restoreOutputs(ctx, verdict.outs))) break;
      await recacheOutputs(ctx, verdict.recache);
      const repaired = [
        ...(verdict.outs.length > 0 ? ["outputs restored from the cache"] : []),
        ...(verdict.recache.length > 0 ? ["content re-cached from the workspace"] : []),
      ];
      return progress.end("restored", repaired.join(", "), {
        details: [...verdict.outs, ...verdict.recache].map(({ out }) => out.display),
      });
    }
    case "run": {
      if (noCommit || env.force.has(plan.name)) break;
      const tried = performance.now();
      const restored = await restoreFromRunCache(ctx, plan, state);
      if (restored === null) break;
      env.onEvent({
        type: "stage_start",
        stage: plan.name,
        index: progress.index,
        total: env.total,
      });
      return progress.end("restored", `restored from the run cache (${verdict.reason})`, {
        since: tried,
        details: verdict.details,
        written: restored.written,
      });
    }
  }
  return await runAndRecord(env, plan, state, verdict, progress, claim);
}

/** Runs the stage's job once a slot is free, then records it (or checks its outputs). */
async function runAndRecord(
  env: StageRunEnv,
  plan: StagePlan,
  state: StageState,
  verdict: Verdict,
  progress: StageProgress,
  claim: StageClaim | undefined,
): Promise<StageResult> {
  const reason = verdict.action === "run" ? verdict.reason : "outputs missing from cache";
  const details = verdict.action === "run" ? verdict.details : [];
  const { def } = plan.stage;
  // A job may wait on a worker for one it runs to end (see `worker_pool.ts`), where the
  // runner can hand jobs of its kind over so (commands pivot runs itself start at once); with
  // one job the stages run strictly one after another.
  let runner = env.workers();
  const ahead = env.jobs > 1 && runner.runAhead !== undefined &&
    (def.action.kind === "run" || runner.commandsAhead === true);
  const release = await env.slots.acquire(def.mutex, { ahead, command: def.action.kind === "cmd" });
  let outcome: JobOutcome;
  try {
    const blocked = gate(env, []);
    if (blocked !== null) return progress.end("blocked", blocked.reason, blocked);
    progress.begin();
    await clearOutputs(env.ctx, plan);
    // A function gets its params in its context: only a command reads them from a file.
    const job = buildJob(
      plan,
      def.action.kind === "cmd" ? env.params.fileFor(def.params) : "",
      env.moduleUrls,
    );
    let commandGroup: number | null = null;
    const onGroup = (group: number) => {
      commandGroup = group;
      env.commandGroups.add(group);
      noteGroup(progress, claim, group);
    };
    try {
      for (;; runner = env.workers()) {
        using _writing = await writeWhileAlone(env, def.stateDir);
        const ended = ahead && runner.runAhead !== undefined
          ? await runner.runAhead(job, progress.log, onGroup)
          : await runner.run(job, progress.log, onGroup);
        if (ended !== NOT_STARTED) {
          outcome = ended;
          break;
        }
        // Handed over ahead of its turn and never started: the run may have failed since.
        const blocked = gate(env, []);
        if (blocked !== null) return progress.end("blocked", blocked.reason, blocked);
      }
    } finally {
      if (commandGroup !== null) env.commandGroups.delete(commandGroup);
    }
  } finally {
    release();
  }
  // After Ctrl-C nothing is recorded, even for a command that still exited 0.
  if (outcome !== null || env.signal?.aborted) {
    // Places in the project's files are shown relative to its root, as every path pivot prints.
    const lines = relativeFileUrls(outcome ?? "", env.ctx.project.root).split("\n");
    const interrupted = env.signal?.aborted ?? false;
    const why = interrupted ? "interrupted" : lines[0]!;
    return progress.end("failed", why, {
      details: outcome === null ? [] : lines.slice(1),
      interrupted,
    });
  }
  if (env.noCommit) {
    checkProduced(plan);
    return progress.end("ran", reason, { details });
  }
  // The slot freed above lets the next stage hand its command over (unless one waited behind on
  // the worker, which started it): all its steps to that run within this turn of the event
  // loop, so the command starts before this one is recorded.
  if (def.action.kind === "cmd") await new Promise((resolve) => setImmediate(resolve));
  const written = await recordStage(env.ctx, plan, state, env.runId);
  return progress.end("ran", reason, { details, written });
}

/**
 * For the run's only stage under way (the last of a fan-in), whose job is
 * about to be handed over: the coordinator has nothing to do but wait for
 * that job, so the records the `state.db` of `stateDir` holds (see
 * `StateDb.writeHeldRecords`) are written meanwhile rather than after it,
 * once the job has been sent: two turns of the event loop from now (the
 * pool sends a job handed over ahead at the end of the turn it is handed
 * over in). Disposing of the result first cancels the write: the records
 * stay held, written later as before. `undefined` when other stages are
 * under way, or nothing is recorded.
 */
async function writeWhileAlone(
  env: StageRunEnv,
  stateDir: string,
): Promise<Disposable | undefined> {
  if (!env.alone() || env.noCommit) return undefined;
  const db = await env.ctx.db(stateDir);
  let timer = setTimeout(() => {
    timer = setTimeout(() => db.writeHeldRecords(), 0);
  }, 0);
  return { [Symbol.dispose]: () => clearTimeout(timer) };
}

/**
 * Removes the declared outputs and creates their directories (never through
 * a symlink out, the directories above an output looked at again before
 * anything is removed or made there). In a fresh run nothing is there: an
 * output found absent and a directory found present are left as they are (no
 * exception, no `mkdir`, no second look).
 */
async function clearOutputs(ctx: EngineContext, plan: StagePlan): Promise<void> {
  for (const out of plan.outs) ctx.paths.assertParentInside(out.path, "cannot write output");
  const clearing: { path: string; absent: boolean; inDirectory: boolean }[] = [];
  for (const out of plan.outs) {
    const parent = ctx.stats.stat(path.dirname(out.path));
    const inDirectory = parent !== null && parent !== PATH_ABSENT && parent.kind === "directory";
    // In a directory, an output found absent is plainly so (no need to look above it again).
    const absent = inDirectory
      ? ctx.stats.stat(out.path, false) === PATH_ABSENT
      : plainlyAbsent(ctx.stats, out.path, false);
    if (!(absent && inDirectory)) clearing.push({ path: out.path, absent, inDirectory });
  }
  if (clearing.length === 0) return;
  // About to delete or create: a command run since the guard looked (another stage's) may
  // have put a symlink out of the project where a directory above an output was.
  recheckOutputDirs(ctx, clearing);
  for (const { path: out, absent, inDirectory } of clearing) {
    ctx.paths.assertParentInside(out, "cannot write output");
    if (!absent) await removePath(out);
    if (!inDirectory) Deno.mkdirSync(path.dirname(out), { recursive: true });
  }
}

/**
 * `--no-commit` records nothing, but a stage that did not produce its
 * outputs still failed.
 *
 * @throws {PivotError} naming the missing outputs
 */
function checkProduced(plan: StagePlan): void {
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
