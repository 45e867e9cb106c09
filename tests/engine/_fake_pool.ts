/**
 * A stand-in for the worker pool, for tests of the coordinator without
 * spawning: it "runs" a `cmd` job by writing `<stage>\n` into every output
 * its environment names (`PIVOT_OUT`, `PIVOT_OUT_<KEY>`), records what it
 * received and how many jobs ran at once, and can fail, hang or delay chosen
 * stages. Also an engine context that is a real session except for its
 * workers.
 *
 * @module
 */
import {
  type EngineContext,
  type JobOutcome,
  type JobRunner,
  newRunId,
  type RunResult,
  runStages,
} from "../../src/engine/mod.ts";
import type { StageJob } from "../../src/engine/stage_job.ts";
import { openSession, type Session } from "../../src/session/mod.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";

/** What the fake does with one stage's job. */
export interface FakeBehaviour {
  /** End with this outcome (an error text) instead of succeeding. */
  readonly fail?: string;
  /** Never end on its own: only `cancelAll` or `close` end it ("interrupted"). */
  readonly hang?: boolean;
  /** Milliseconds to take before ending. */
  readonly delayMs?: number;
  /** End only after the job of this stage has ended. */
  readonly after?: string;
  /** Write the outputs. @default {true} */
  readonly produce?: boolean;
  /** Called while the job runs (before it ends), with the job. */
  readonly during?: (job: StageJob) => void;
  /** Report the command's process group (4242), as a command running a while has it. @default {true} */
  readonly group?: boolean;
}

/** A {@linkcode JobRunner} that runs nothing, as described at the top. */
export class FakePool implements JobRunner {
  /** The jobs received, in order. */
  readonly jobs: StageJob[] = [];
  /** Stages whose job ended, in order. */
  readonly ended: string[] = [];
  /** Pairs of stages whose jobs ran at the same time (`a|b`, sorted). */
  readonly overlaps = new Set<string>();
  /** The most jobs that ran at once. */
  maxConcurrent = 0;
  /** Calls of `cancelAll` and `close`. */
  cancelled = 0;
  closed = 0;
  readonly #behaviour: Readonly<Record<string, FakeBehaviour>>;
  readonly #running = new Set<string>();
  readonly #hanging = new Set<(outcome: JobOutcome) => void>();
  readonly #endWaiters: (() => void)[] = [];

  /** A fake that treats each stage as `behaviour[stage]` says (default: succeed at once). */
  constructor(behaviour: Readonly<Record<string, FakeBehaviour>> = {}) {
    this.#behaviour = behaviour;
  }

  /** The stages received, in order. */
  get stages(): string[] {
    return this.jobs.map((job) => job.stage);
  }

  /** How many jobs hang now. */
  get hanging(): number {
    return this.#hanging.size;
  }

  async run(
    job: StageJob,
    _onLog: (line: string, stream: "stdout" | "stderr") => void,
    onGroup?: (group: number) => void,
  ): Promise<JobOutcome> {
    const behaviour = this.#behaviour[job.stage] ?? {};
    this.jobs.push(job);
    for (const other of this.#running) this.overlaps.add([job.stage, other].sort().join("|"));
    this.#running.add(job.stage);
    this.maxConcurrent = Math.max(this.maxConcurrent, this.#running.size);
    try {
      if (behaviour.group ?? true) onGroup?.(4242);
      behaviour.during?.(job);
      if (behaviour.hang) {
        return await new Promise<JobOutcome>((resolve) => this.#hanging.add(resolve));
      }
      if (behaviour.delayMs !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
      }
      if (behaviour.after !== undefined) {
        const other = behaviour.after;
        while (!this.ended.includes(other)) {
          await new Promise<void>((wake) => this.#endWaiters.push(wake));
        }
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      if (behaviour.fail !== undefined) return behaviour.fail;
      if (behaviour.produce ?? true) writeOutputs(job);
      return null;
    } finally {
      this.#running.delete(job.stage);
      this.ended.push(job.stage);
      for (const wake of this.#endWaiters.splice(0)) wake();
    }
  }

  /** Ends every hanging job with "interrupted". */
  cancelAll(): void {
    this.cancelled++;
    this.#endHanging();
  }

  /** Ends every hanging job with "interrupted". */
  close(): void {
    this.closed++;
    this.#endHanging();
  }

  #endHanging(): void {
    for (const resolve of this.#hanging) resolve("interrupted");
    this.#hanging.clear();
  }
}

/** Writes `<stage>\n` into every output a `cmd` job's environment names. */
function writeOutputs(job: StageJob): void {
  if (job.kind !== "cmd") throw new Error(`the fake pool runs cmd jobs only, got '${job.stage}'`);
  for (const [name, file] of Object.entries(job.env)) {
    if (name === "PIVOT_OUT" || name.startsWith("PIVOT_OUT_")) {
      Deno.writeTextFileSync(file, `${job.stage}\n`);
    }
  }
}

/**
 * An engine context that is `session` in everything except its workers,
 * which are `pool`; `sizes` receives the pool size each `workers()` call asked for,
 * `inline` whether it asked for `cmd` jobs run inline.
 */
export function withPool(
  session: Session,
  pool: JobRunner,
  sizes: number[] = [],
  inline: boolean[] = [],
): EngineContext {
  return {
    project: session.project,
    cache: session.cache,
    modes: session.modes,
    warn: session.warn,
    paths: session.paths,
    fingerprints: session.fingerprints,
    stats: session.stats,
    sentinelTemplates: session.sentinelTemplates,
    get blobDirs() {
      return session.blobDirs;
    },
    db: (stateDir) => session.db(stateDir),
    projectDb: () => session.projectDb(),
    hasher: (stateDir) => session.hasher(stateDir),
    parseCache: () => session.parseCache(),
    workers: (size, options) => {
      sizes.push(size);
      inline.push(options?.inline ?? false);
      return pool;
    },
    mayBeRunning: (sentinel) => session.mayBeRunning(sentinel),
    hasBlobs: (info) => session.hasBlobs(info),
    plan: (name) => session.plan(name),
  };
}

/** Options of {@linkcode runAFeedsB}. */
export interface AFeedsBOptions {
  /** A file (among `files`) that `a` reads as its input `in`. @default {none} */
  readonly aReads?: string;
  /** Called with the session just before the run. @default {nothing} */
  readonly beforeRun?: (session: Session) => void;
}

/**
 * A project whose stage `a` feeds stage `b` (`cmd` stages, one txt output
 * each), with `files` beside its pivot.yaml, run once with a
 * {@linkcode FakePool} (2 jobs): the project, its open session and the run.
 * Dispose of the session, then the project.
 */
export async function runAFeedsB(
  files: Record<string, string> = {},
  options: AFeedsBOptions = {},
): Promise<{ p: TempProject; session: Session; result: RunResult }> {
  const p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  a:",
      "    cmd: never run",
      ...(options.aReads === undefined ? [] : [`    deps: {in: ${options.aReads}}`]),
      "    outs: txt",
      "  b:",
      "    cmd: never run",
      "    deps: {in: a}",
      "    outs: txt",
      "",
    ].join("\n"),
    ...files,
  });
  const session = await openSession({ cwd: p.root, warn: () => {} });
  options.beforeRun?.(session);
  const result = await runStages(withPool(session, new FakePool()), {
    stages: ["a", "b"],
    jobs: 2,
    runId: newRunId(),
    onEvent: () => {},
  });
  return { p, session, result };
}
