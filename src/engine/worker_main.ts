/**
 * The code a pool worker runs: it receives `run` stages' jobs and calls their
 * functions one after another (a job handed over while one runs waits its
 * turn), or receives `cmd` stages' jobs, several at a time, and runs their
 * shells (one handed over behind every place taken starts when one of its
 * commands ends, in its place); it streams their output lines back and
 * reports success or the error of each. Workers never write state.
 *
 * @module
 */
import { writeFileMakingDirSync } from "../util/fs.ts";
import { interceptExit } from "../util/intercept_exit.ts";
import {
  findShells,
  newReadBuffers,
  type ReadBuffers,
  runCommand,
  type Shells,
} from "./run_command.ts";
import { lazyDeps, UnreadableDep } from "./stage_deps.ts";
import type { FromWorker, RunJob, ToWorker } from "./stage_job.ts";
import { StageModules } from "./stage_modules.ts";
import { ZeroDelayTimers } from "./zero_delay_timers.ts";

/** The worker's global scope, as far as this module uses it. */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  addEventListener(type: "error", listener: (event: ErrorEvent) => void): void;
  addEventListener(
    type: "unhandledrejection",
    listener: (event: PromiseRejectionEvent) => void,
  ): void;
}

/** The `run` job under way: whether its function has returned, and whether it already failed. */
interface RunningFunction {
  readonly id: number;
  returned: boolean;
  crashed: boolean;
}

/** Starts answering jobs; call once, inside a worker. */
export function startWorker(): void {
  const scope = globalThis as unknown as WorkerScope;
  const post = (message: FromWorker) => scope.postMessage(message);
  let current = 0;
  let running: RunningFunction | null = null;
  let shells: Shells | null = null;
  const state: WorkerState = {
    shells: () => (shells ??= findShells()),
    spareBuffers: [],
    modules: new StageModules(),
    timers: new ZeroDelayTimers(),
    stops: new Map(),
    post,
  };
  state.timers.install(globalThis);
  captureConsole((lines, stream) => post({ type: "log", id: current, lines, stream }));
  // Deno.exit() in a worker ends it silently: say so first, so the job fails instead of hanging.
  interceptExit((call) => post({ type: "exit", call }));
  reportStrayErrors(scope, post, () => running);
  // `run` jobs handed over while one runs: started one after another, in the order given.
  const queued: Extract<ToWorker, { type: "job" }>[] = [];
  let serving = false;
  // After a function failed, no `run` job starts until the coordinator, told of the failure,
  // says "resume": those handed over before it are handed back unstarted.
  let paused = false;
  const behind = new CommandsBehind(post);
  const serve = async (message: Extract<ToWorker, { type: "job" }>) => {
    current = message.id;
    const call: RunningFunction | null = message.job.kind === "run"
      ? (running = { id: message.id, returned: false, crashed: false })
      : null;
    if (call !== null) serving = true;
    else behind.started();
    let error: string | null;
    try {
      error = await execute(message, state, call);
    } finally {
      if (call !== null) running = null;
    }
    // A crashed job was answered already; its worker is being replaced (with the jobs queued).
    if (call?.crashed) return;
    if (call === null) return behind.ended(message.id, error, serve);
    post({ type: "done", id: message.id, error });
    serving = false;
    // After a failure the coordinator decides whether the queued jobs start at all.
    if (error !== null) {
      paused = true;
      for (const next of queued.splice(0)) post({ type: "unstarted", id: next.id });
    }
    const next = queued.shift();
    if (next !== undefined) void serve(next);
  };
  scope.onmessage = (event) => {
    const message = event.data;
    if (message.type === "resume") {
      paused = false;
      behind.resume();
      return;
    }
    if (message.type === "cancel") {
      const at = queued.findIndex((job) => job.id === message.id);
      if (at >= 0) queued.splice(at, 1);
      if (at >= 0 || behind.cancel(message.id)) post({ type: "unstarted", id: message.id });
      else state.stops.get(message.id)?.();
      return;
    }
    const jobs = message.type === "jobs"
      ? message.jobs.map(({ id, job, behind }) => ({ type: "job" as const, id, job, behind }))
      : [{ ...message, behind: false }];
    for (const { behind: waits, ...job } of jobs) {
      if (job.job.kind === "cmd" && waits) behind.offer(job);
      else if (job.job.kind === "run" && paused) post({ type: "unstarted", id: job.id });
      else if (job.job.kind === "run" && serving) queued.push(job);
      else void serve(job);
    }
  };
  post({ type: "ready" });
}

/** A job as the worker serves it. */
type Job = Extract<ToWorker, { type: "job" }>;

/**
 * `cmd` jobs handed over behind every place taken: each waits for a command
 * of this worker to end and starts in its place (the coordinator is told
 * which); one that finds no command running, or comes after a command
 * failed and before the coordinator says "resume", goes back unstarted.
 */
class CommandsBehind {
  readonly #post: (message: FromWorker) => void;
  readonly #waiting: Job[] = [];
  #running = 0;
  #paused = false;

  constructor(post: (message: FromWorker) => void) {
    this.#post = post;
  }

  /** A command starts. */
  started(): void {
    this.#running++;
  }

  /**
   * Command `id` ended with `error`: the first waiting starts at once (with
   * `start`) in its place, then the end is reported; after a failure those
   * waiting go back unstarted.
   */
  ended(id: number, error: string | null, start: (job: Job) => void): void {
    this.#running--;
    const next = error === null && !this.#paused ? this.#waiting.shift() : undefined;
    if (next !== undefined) start(next);
    this.#post({ type: "done", id, error, ...(next === undefined ? {} : { next: next.id }) });
    if (error === null) return;
    this.#paused = true;
    for (const job of this.#waiting.splice(0)) this.#post({ type: "unstarted", id: job.id });
  }

  /** A command handed over behind: it waits, or goes back unstarted. */
  offer(job: Job): void {
    if (this.#paused || this.#running === 0) this.#post({ type: "unstarted", id: job.id });
    else this.#waiting.push(job);
  }

  /** Takes job `id` out of those waiting; false when it does not wait. */
  cancel(id: number): boolean {
    const at = this.#waiting.findIndex((job) => job.id === id);
    if (at >= 0) this.#waiting.splice(at, 1);
    return at >= 0;
  }

  /** The coordinator knows of the failure: commands handed over behind wait again. */
  resume(): void {
    this.#paused = false;
  }
}

/** What a worker keeps across the jobs it runs. */
interface WorkerState {
  /**
   * The programs commands start, looked for on `PATH` by the first command
   * (a worker running only stage functions never looks).
   */
  readonly shells: () => Shells;
  /** Read buffers of commands that ended, for the next ones (one pair per command under way). */
  readonly spareBuffers: ReadBuffers[];
  readonly modules: StageModules;
  readonly timers: ZeroDelayTimers;
  /** How to stop each command under way, by job id. */
  readonly stops: Map<number, () => void>;
  readonly post: (message: FromWorker) => void;
}

/**
 * Runs one job and returns its error text (`null`: success); `call` notes
 * when a function returned.
 */
async function execute(
  message: Extract<ToWorker, { type: "job" }>,
  state: WorkerState,
  call: RunningFunction | null,
): Promise<string | null> {
  const { shells, spareBuffers, modules, timers, stops, post } = state;
  const log = (lines: readonly string[], stream: "stdout" | "stderr") =>
    post({ type: "log", id: message.id, lines, stream });
  try {
    if (message.job.kind === "cmd") {
      const onGroup = (group: number) => post({ type: "group", id: message.id, group });
      const buffers = spareBuffers.pop() ?? newReadBuffers();
      try {
        return await runCommand(
          message.job,
          shells(),
          buffers,
          log,
          (stop) => stops.set(message.id, stop),
          onGroup,
        );
      } finally {
        spareBuffers.push(buffers);
      }
    }
    await runFunction(message.job, modules, () => (call!.returned = true));
    // A timer the stage set with no delay (or while its module loaded) fires now, and a
    // promise it left rejected is reported, so their errors fail the stage instead of
    // surfacing after the stage was recorded.
    await timers.settle();
    return null;
  } catch (caught) {
    // An input that does not parse: its message names the file and the format, and says it all.
    return caught instanceof StageFailure || caught instanceof UnreadableDep
      ? caught.message
      : describeThrown(caught);
  } finally {
    stops.delete(message.id);
  }
}

/**
 * Handles an error user code throws outside the stage function's call (from
 * a timer, a callback, a promise nobody awaits): left to Deno, it is printed
 * raw on pivot's stderr, whatever the parent does with the worker's error
 * event. It fails the `run` job under way (`running()`), once; with none, the
 * coordinator is told as a warning.
 */
function reportStrayErrors(
  scope: WorkerScope,
  post: (message: FromWorker) => void,
  running: () => RunningFunction | null,
): void {
  const stray = (what: string, error: string, afterReturn: boolean) => {
    const call = running();
    if (call?.crashed) return;
    if (call === null) {
      post({
        type: "stray",
        message: `the code of a stage function ${what} after its stage finished: ${error}`,
      });
      return;
    }
    call.crashed = true;
    const when = afterReturn && call.returned ? " after the stage function returned" : "";
    post({ type: "crash", id: call.id, error: `the stage's code ${what}${when}: ${error}` });
  };
  scope.addEventListener("error", (event) => {
    event.preventDefault();
    const at = event.filename ? `${event.filename}:${event.lineno}:${event.colno}` : null;
    stray("threw from a timer or callback", describeError(event.error ?? event.message, at), true);
  });
  scope.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    // Reported once the function's own work is done, so "after it returned" would mislead.
    stray("left a promise rejected", describeError(event.reason, null), false);
  });
}

/** Sends `console` output of stage functions to the coordinator, the lines of each call at once. */
function captureConsole(
  emit: (lines: readonly string[], stream: "stdout" | "stderr") => void,
): void {
  const format = (args: unknown[]) =>
    args.map((arg) => typeof arg === "string" ? arg : Deno.inspect(arg)).join(" ");
  const to = (stream: "stdout" | "stderr") => (...args: unknown[]) => {
    emit(format(args).split("\n"), stream);
  };
  Object.assign(console, {
    log: to("stdout"),
    info: to("stdout"),
    debug: to("stdout"),
    warn: to("stderr"),
    error: to("stderr"),
  });
}

/**
 * What a stage threw, for its failure: an error's stack (without pivot's
 * frames), a string as it is, anything else as `the stage threw undefined`.
 */
function describeThrown(caught: unknown): string {
  if (caught instanceof Error) return userStack(caught);
  if (typeof caught === "string") return caught;
  return `the stage threw ${caught === undefined ? "undefined" : Deno.inspect(caught)}`;
}

/** An error's stack without the frames of pivot's own worker code. */
function userStack(error: Error): string {
  const lines = (error.stack ?? error.message).split("\n");
  return lines.filter((line) =>
    !/^\s+at /.test(line) || !/engine\/worker_main\.ts|ext:|pivot\.js:/.test(line)
  ).join("\n");
}

/**
 * `Error: timer boom (file:///…/pipeline.ts:1:26)`: the error's first line and
 * the first place in user code it names (`at`, else its stack's first frame
 * outside pivot and Deno).
 */
function describeError(error: unknown, at: string | null): string {
  const text = error instanceof Error
    ? String(error).split("\n")[0]!
    : error === undefined
    ? "undefined"
    : Deno.inspect(error);
  const frame = error instanceof Error ? firstUserFrame(error) : null;
  const where = frame ?? at;
  return where === null ? text : `${text} (${where})`;
}

/** The `file://…:line:column` of an error's first stack frame in user code, if any. */
function firstUserFrame(error: Error): string | null {
  for (const line of (error.stack ?? "").split("\n")) {
    if (!/^\s+at /.test(line) || /engine\/worker_main\.ts|ext:|pivot\.js:/.test(line)) continue;
    const match = /(file:\/\/[^\s()]+:\d+:\d+)/.exec(line);
    if (match !== null) return match[1]!;
  }
  return null;
}

/** A failure whose message says everything (no stack trace). */
class StageFailure extends Error {}

/**
 * Calls a `run` job's function with its inputs and writes what it returned
 * (synchronously: this is the worker's own thread); `onReturned` is told
 * when the function has returned (or settled).
 */
async function runFunction(
  job: RunJob,
  modules: StageModules,
  onReturned: () => void,
): Promise<void> {
  const { encodeValue, readValueSync } = await modules.codecs(job);
  const module = await modules.stage(job.moduleUrl);
  let fn: unknown = module;
  for (const key of job.exportPath) fn = (fn as Record<string, unknown> | undefined)?.[key];
  if (typeof fn !== "function") {
    throw new StageFailure(`${job.exportPath.join(".")} in ${job.moduleUrl} is not a function`);
  }
  // Each input is read when the function first uses its value (see `stage_deps.ts`).
  const deps = lazyDeps(job.deps, readValueSync);
  const depPaths: Record<string, string | string[]> = {};
  for (const dep of job.deps) {
    depPaths[dep.name] = dep.list ? dep.items.map((i) => i.path) : dep.items[0]!.path;
  }
  const outPaths: Record<string, string> = {};
  for (const out of job.outs) if (out.key !== null) outPaths[out.key] = out.path;
  const single = job.outs.length === 1 && job.outs[0]!.key === null;
  const context = {
    deps,
    paths: { deps: depPaths, outs: outPaths, out: single ? job.outs[0]!.path : null },
    params: job.params,
    stage: job.stageName,
    // deno-lint-ignore no-console -- console is redirected to the stage's log above
    log: (...args: unknown[]) => console.log(...args),
  };
  // The working directory is shared by every worker of the process, so it is
  // not changed: stage functions get absolute paths in ctx.paths.
  const result = await (fn as (ctx: unknown) => unknown)(context);
  onReturned();
  if (result === undefined) return;
  const writes: { out: RunJob["outs"][number]; value: unknown }[] = [];
  if (single) writes.push({ out: job.outs[0]!, value: result });
  else {
    if (typeof result !== "object" || result === null || Array.isArray(result)) {
      throw new StageFailure(
        `the stage returned ${
          Array.isArray(result) ? "an array" : typeof result
        }; with several outputs it must return an object keyed by output (${
          job.outs.map((o) => o.key).join(", ")
        })`,
      );
    }
    const values = result as Record<string, unknown>;
    const unknown = Object.keys(values).filter((key) => !job.outs.some((o) => o.key === key));
    if (unknown.length > 0) {
      throw new StageFailure(
        `the stage returned unknown output${unknown.length > 1 ? "s" : ""} ${
          unknown.join(", ")
        }; declared: ${job.outs.map((o) => o.key).join(", ")}`,
      );
    }
    for (const out of job.outs) {
      if (values[out.key!] !== undefined) writes.push({ out, value: values[out.key!] });
    }
  }
  for (const { out, value } of writes) {
    let bytes: Uint8Array;
    try {
      bytes = encodeValue(out.format, value);
    } catch (error) {
      const identity = out.key === null ? job.stage : `${job.stage}:${out.key}`;
      throw new StageFailure(`output ${identity} (${out.format}): ${(error as Error).message}`);
    }
    // The coordinator made the directory before sending the job: made here only when gone.
    writeFileMakingDirSync(out.path, bytes);
  }
}
