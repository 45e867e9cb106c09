/**
 * `repro --watch`: run once, then watch the project and re-run what each
 * change affects, until the signal ends it. Every iteration opens its own
 * session (state databases, caches, code fingerprints, workers) and disposes
 * of it, so nothing but the pipeline in use carries over; a reload that
 * fails keeps the last good pipeline, and a failure of any kind is reported
 * and waited out. With `serve`, a control socket drives the same loop.
 *
 * @module
 */
import * as path from "node:path";
import { findProjectRoot } from "../discovery/mod.ts";
import { FileWatcher, type TakenChanges } from "../engine/file_watcher.ts";
import type { WatchEvent } from "../engine/watch_events.ts";
import { withDownstream } from "../engine/change_map.ts";
import { configNumber, projectConfigFile, userConfigFile } from "../project/mod.ts";
import { openSession, type Session, sessionFor } from "../session/mod.ts";
import { type EnvReader, processEnv } from "../util/env_reader.ts";
import { PivotError } from "../util/errors.ts";
import { relativePosix } from "../util/paths.ts";
import { Wakeup } from "../util/wakeup.ts";
import { EventLog } from "./_event_log.ts";
import { comparePipelines, type WatchedPipeline, watchPipeline } from "./_watch_pipeline.ts";
import { AgentError, type AgentMethods, RPC_ERROR } from "./agent_rpc.ts";
import { AgentSocket } from "./agent_socket.ts";
import { reproStages } from "./repro_stages.ts";
import { selectTargets } from "./select_targets.ts";
import { stageStatus } from "./stage_status.ts";

/** The quiet period when neither the option nor the config sets one. */
const DEFAULT_DEBOUNCE_MS = 300;

/** Changes that keep coming are taken after this long at most (or the quiet period, if longer). */
const MAX_WAIT_MS = 5_000;

/** How many events the control socket's `events_since` can go back. */
const EVENT_LOG_SIZE = 1_000;

/** Options for {@linkcode watchRepro}. */
export interface WatchReproOptions {
  /** Where the command runs. */
  cwd: string;
  /** The environment variables the command sees (config and cache locations). @default {processEnv} */
  env?: EnvReader;
  /** Stages or identities; none means every stage. */
  targets: readonly string[];
  /** Merge every pipeline of the project, re-discovered on each reload. @default {false} */
  all?: boolean;
  /** Run the first iteration's stages even when up to date. @default {false} */
  force?: boolean;
  /** Keep going past a failure (only its downstream is blocked). @default {false} */
  keepGoing?: boolean;
  /** Stages at once. @default {the config's `core.jobs`, else the CPU count} */
  jobs?: number;
  /** Run without recording anything. @default {false} */
  noCommit?: boolean;
  /** The quiet period after a change, in milliseconds. @default {the config's `watch.debounce`} */
  debounceMs?: number;
  /** Serve the control socket `.pivot/agent.sock`. @default {false} */
  serve?: boolean;
  /** Receives every event: the runs', and watch mode's own. */
  onEvent: (event: WatchEvent) => void;
  /** Told about recoverable problems. */
  warn: (message: string) => void;
  /** Ends watching (Ctrl-C): a running iteration is stopped, nothing half-done recorded. */
  signal: AbortSignal;
}

/** What starts an iteration. */
interface Trigger {
  readonly source: "initial" | "change" | "request";
  readonly reload: boolean;
  /** Absolute paths that changed. */
  readonly paths: readonly string[];
  /** DAG names of the stages the change reaches first, or that were asked for. */
  readonly stages: readonly string[];
  readonly force: boolean;
  /** What a request named (null: the watch's targets). */
  readonly targets: readonly string[] | null;
}

/** The run going on, for `status` and `cancel`. */
interface ActiveRun {
  readonly controller: AbortController;
  readonly running: Set<string>;
  readonly pending: Set<string>;
}

/**
 * Watches the project of `options.cwd` and re-runs what changes affect,
 * until `options.signal` is aborted.
 *
 * @throws {PivotError} when there is no project, the project cannot be
 *   watched or (with `serve`) another watcher serves the control socket,
 *   and when watching stops (its process ended); any other later problem is
 *   an event
 */
export async function watchRepro(options: WatchReproOptions): Promise<void> {
  const root = findProjectRoot(options.cwd);
  const wakeup = new Wakeup();
  const userConfig = userConfigFile(options.env ?? processEnv);
  await using watcher = await FileWatcher.open({
    root,
    extraDirs: userConfig === null ? [] : [path.dirname(userConfig)],
    keep: [projectConfigFile(root)],
    onChange: wakeup.wake,
    warn: options.warn,
  });
  const loop = new WatchLoop(root, options, watcher, wakeup);
  await using _socket = options.serve ? await AgentSocket.listen(root, loop.methods()) : null;
  options.signal.addEventListener("abort", wakeup.wake);
  try {
    await loop.run();
  } finally {
    options.signal.removeEventListener("abort", wakeup.wake);
  }
}

/** The loop of one watch session and what it keeps between iterations. */
class WatchLoop {
  readonly #root: string;
  readonly #options: WatchReproOptions;
  readonly #watcher: FileWatcher;
  readonly #wakeup: Wakeup;
  /** The latest events, for `events_since` (kept only when serving the control socket). */
  readonly #log: EventLog<WatchEvent> | null;
  readonly #requests: Trigger[] = [];
  #pipeline: WatchedPipeline | null = null;
  #loadError: string | null = null;
  #loads = 0;
  #run: ActiveRun | null = null;

  constructor(root: string, options: WatchReproOptions, watcher: FileWatcher, wakeup: Wakeup) {
    this.#root = root;
    this.#options = options;
    this.#watcher = watcher;
    this.#wakeup = wakeup;
    this.#log = options.serve ? new EventLog(EVENT_LOG_SIZE) : null;
  }

  /** Runs iterations until the signal ends the session. */
  async run(): Promise<void> {
    let trigger: Trigger | null = {
      source: "initial",
      reload: true,
      paths: [],
      stages: [],
      force: this.#options.force ?? false,
      targets: null,
    };
    while (trigger !== null && !this.#options.signal.aborted) {
      try {
        await this.#iterate(trigger);
      } catch (error) {
        // A problem pivot can name (a full disk while recording, a damaged database) ends
        // the iteration, not the session; anything else is a bug and ends both.
        const problems = pivotErrors(error);
        if (problems === null) throw error;
        problems.forEach((problem) => this.#emitError(problem));
      }
      trigger = await this.#next();
    }
  }

  /** The control socket's methods, acting on this loop. */
  methods(): AgentMethods {
    return {
      run: async (stages, force) => {
        const pipeline = this.#usable();
        const names = stages === null || stages.length === 0
          ? []
          : await this.#resolve(pipeline, stages);
        this.#requests.push({
          source: "request",
          reload: false,
          paths: [],
          stages: names,
          force,
          targets: stages === null || stages.length === 0 ? null : stages,
        });
        this.#wakeup.wake();
        return "accepted";
      },
      cancel: () => {
        this.#requests.length = 0;
        this.#run?.controller.abort();
        return "accepted";
      },
      status: () => ({
        state: this.#run === null ? "idle" : "active",
        running: [...this.#run?.running ?? []],
        pending: [...this.#run?.pending ?? []].filter((name) => !this.#run?.running.has(name)),
        pipeline_error: this.#loadError,
      }),
      stages: () => ({ stages: [...this.#pipeline?.project.dag.order ?? []] }),
      explain: async (stage) => {
        const pipeline = this.#usable();
        const names = await this.#resolve(pipeline, [stage]);
        if (names.length !== 1) {
          throw new AgentError(
            RPC_ERROR.invalidParams,
            `'${stage}' names ${names.length} stages (${names.join(", ")}): explain one of them`,
          );
        }
        await using session = await sessionFor(pipeline.project, { warn: this.#options.warn });
        const reports = await stageStatus(session, { targets: names });
        return reports.find((report) => report.stage === names[0]);
      },
      eventsSince: (version) =>
        this.#log?.since(version) ?? { version: 0, events: [], truncated: false },
    };
  }

  /** One iteration: reload when needed, then run what the trigger reaches. */
  async #iterate(trigger: Trigger): Promise<void> {
    this.#emit({
      type: "watch_trigger",
      source: trigger.source,
      paths: withoutAncestors(trigger.paths).map((file) => relativePosix(this.#root, file)),
      stages: trigger.stages,
      reload: trigger.reload,
    });
    const reloaded = trigger.reload ? await this.#load() : null;
    const pipeline = this.#pipeline;
    if (pipeline === null) return;
    await using session = reloaded ??
      await sessionFor(pipeline.project, { warn: this.#options.warn });
    const targets = this.#targetsOf(trigger, pipeline, reloaded !== null);
    if (targets !== null) await this.#runStages(session, pipeline, targets, trigger.force);
  }

  /**
   * Loads the pipeline again: the new session on success (the pipeline in
   * use replaced), `null` when it failed (the last good one stays).
   */
  async #load(): Promise<Session | null> {
    const first = this.#loads++ === 0;
    let session: Session;
    try {
      session = await openSession({
        cwd: this.#options.cwd,
        all: this.#options.all ?? false,
        warn: this.#options.warn,
        env: this.#options.env ?? processEnv,
        signal: this.#options.signal,
      });
    } catch (error) {
      // Stopped while a pipeline module loaded: watching ends, nothing to report.
      if (this.#options.signal.aborted) return null;
      if (!(error instanceof PivotError)) throw error;
      this.#loadError = error.message;
      if (first) this.#emitError(error);
      else {
        this.#emit({
          type: "pipeline_reloaded",
          stages: [...this.#pipeline?.project.dag.order ?? []],
          stages_added: [],
          stages_removed: [],
          stages_modified: [],
          error: error.message,
          hint: error.hint ?? null,
        });
      }
      return null;
    }
    try {
      const fresh = await watchPipeline(session, this.#options.targets);
      session.project.warnings.forEach(this.#options.warn);
      if (!first) {
        this.#emit({
          type: "pipeline_reloaded",
          stages: [...fresh.project.dag.order],
          ...comparePipelines(this.#pipeline, fresh),
          error: null,
          hint: null,
        });
      }
      this.#pipeline = fresh;
      this.#loadError = null;
      return session;
    } catch (error) {
      await session[Symbol.asyncDispose]();
      throw error;
    }
  }

  /**
   * What to run for `trigger`: the watch's targets after a (re)load, the
   * stages a change reaches and their downstream, or what a request named;
   * `null` for nothing.
   */
  #targetsOf(
    trigger: Trigger,
    pipeline: WatchedPipeline,
    reloaded: boolean,
  ): readonly string[] | null {
    if (trigger.source === "request") return trigger.targets ?? this.#options.targets;
    if (pipeline.selected instanceof PivotError) {
      this.#emitError(pipeline.selected);
      return null;
    }
    if (reloaded || trigger.source === "initial") return this.#options.targets;
    const known = trigger.stages.filter((name) => pipeline.project.dag.stages.has(name));
    const stages = withDownstream(pipeline.project.dag, known, pipeline.selected);
    return stages.length === 0 ? null : stages;
  }

  /** Runs `targets` (and their upstream) in `session`, its outputs' changes left out. */
  async #runStages(
    session: Session,
    pipeline: WatchedPipeline,
    targets: readonly string[],
    force: boolean,
  ): Promise<void> {
    const { project } = session;
    let order: string[];
    try {
      order = await selectTargets(project, targets, true);
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      this.#emitError(error);
      return;
    }
    // The run's own controller: `cancel` stops this run, Ctrl-C (forwarded) the session.
    const controller = new AbortController();
    const forward = () => controller.abort();
    this.#options.signal.addEventListener("abort", forward);
    if (this.#options.signal.aborted) controller.abort();
    this.#run = { controller, running: new Set(), pending: new Set(order) };
    this.#watcher.suppressWhile(pipeline.changes.outputsOf(order));
    // The summary ends the iteration for whoever reads it: held back until the run's own writes
    // are seen and no longer left out, so that a change made once it shows (the removal of a
    // directory around an output) is not taken for one of them.
    let summary: WatchEvent | null = null;
    try {
      await reproStages(session, {
        targets,
        mode: "repro",
        force,
        keepGoing: this.#options.keepGoing ?? false,
        jobs: this.#options.jobs ?? configNumber(project.config, "core.jobs") ??
          navigator.hardwareConcurrency,
        noCommit: this.#options.noCommit ?? false,
        onEvent: (event) => {
          if (event.type === "summary") summary = event;
          else this.#emit(event);
        },
        signal: controller.signal,
      });
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      this.#emitError(error);
    } finally {
      this.#options.signal.removeEventListener("abort", forward);
      this.#run = null;
      // The run's own writes may still be on their way: wait for them before listening again.
      await this.#watcher.settle();
      this.#watcher.suppressWhile(null);
      if (summary !== null) this.#emit(summary);
    }
  }

  /** Waits for the next trigger: a request, or changes after their quiet period; `null` when ended. */
  async #next(): Promise<Trigger | null> {
    while (!this.#options.signal.aborted) {
      const request = this.#requests.shift();
      if (request !== undefined) return request;
      const watcher = this.#watcher;
      // Watching without seeing changes would wait for ever.
      if (watcher.failure !== null) throw watcher.failure;
      if (watcher.pendingCount === 0) {
        await this.#wakeup.wait();
        continue;
      }
      const debounce = this.#debounce();
      const now = performance.now();
      const quietLeft = watcher.lastChangeAt + debounce - now;
      const waitLeft = watcher.firstChangeAt + Math.max(MAX_WAIT_MS, debounce) - now;
      if (quietLeft > 0 && waitLeft > 0) {
        await this.#wakeup.wait(Math.min(quietLeft, waitLeft));
        continue;
      }
      const trigger = this.#classify(watcher.take());
      if (trigger !== null) return trigger;
    }
    return null;
  }

  /** The trigger for changed paths, or `null` when they matter to no selected stage. */
  #classify(taken: TakenChanges): Trigger | null {
    const pipeline = this.#pipeline;
    const change = { source: "change", force: false, targets: null } as const;
    if (pipeline === null || taken.rescan) {
      return { ...change, reload: true, paths: taken.paths, stages: [] };
    }
    // The selection holds every stage upstream of its members, so a stage outside it reaches none.
    const selected = pipeline.selected instanceof PivotError
      ? new Set<string>()
      : pipeline.selected;
    const { reload, data, stages } = pipeline.changes.classify(taken.paths, selected);
    // A reload runs every selected stage that is stale: the files that caused it say enough.
    if (reload.length > 0) return { ...change, reload: true, paths: reload, stages };
    if (stages.length === 0) return null;
    return { ...change, reload: false, paths: data, stages };
  }

  /** The pipeline in use, for a request. @throws {AgentError} when none ever loaded */
  #usable(): WatchedPipeline {
    if (this.#pipeline !== null) return this.#pipeline;
    throw new AgentError(
      RPC_ERROR.unknownStage,
      `no pipeline loaded: ${this.#loadError ?? "the first load has not finished"}`,
    );
  }

  /** DAG names of `targets`. @throws {AgentError} for a target that is not a stage */
  async #resolve(pipeline: WatchedPipeline, targets: readonly string[]): Promise<string[]> {
    try {
      return await selectTargets(pipeline.project, targets, false);
    } catch (error) {
      if (!(error instanceof PivotError)) throw error;
      throw new AgentError(RPC_ERROR.unknownStage, error.message);
    }
  }

  #debounce(): number {
    return this.#options.debounceMs ??
      (this.#pipeline === null
        ? undefined
        : configNumber(this.#pipeline.project.config, "watch.debounce")) ??
      DEFAULT_DEBOUNCE_MS;
  }

  #emit(event: WatchEvent): void {
    const run = this.#run;
    if (run !== null && event.type === "stage_start") run.running.add(event.stage);
    if (run !== null && event.type === "stage_complete") {
      run.running.delete(event.stage);
      run.pending.delete(event.stage);
    }
    this.#log?.push(event);
    this.#options.onEvent(event);
  }

  #emitError(error: PivotError): void {
    this.#emit({ type: "watch_error", message: error.message, hint: error.hint ?? null });
  }
}

/** `paths` without those that are directories around another of them (`sub` beside `sub/pivot.yaml`). */
function withoutAncestors(paths: readonly string[]): string[] {
  const sorted = [...paths].sort();
  return sorted.filter((file, i) => !(sorted[i + 1]?.startsWith(`${file}${path.sep}`) ?? false));
}

/**
 * The pivot errors `error` consists of (a `SuppressedError` when closing
 * the session failed after the iteration had failed), or `null` when any
 * part is not one.
 */
function pivotErrors(error: unknown): PivotError[] | null {
  if (error instanceof PivotError) return [error];
  if (!(error instanceof SuppressedError)) return null;
  const parts = [pivotErrors(error.suppressed), pivotErrors(error.error)];
  return parts.every((part) => part !== null) ? parts.flat() as PivotError[] : null;
}
