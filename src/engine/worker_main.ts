/**
 * The code a pool worker runs: it receives one job at a time, runs a `cmd`
 * stage's shell or calls a `run` stage's function, streams its output lines
 * back, and reports success or the error. Workers never write state.
 *
 * @module
 */
import * as path from "node:path";
import { processEnv } from "../util/env_reader.ts";
import { interceptExit } from "../util/intercept_exit.ts";
import type { CmdJob, FromWorker, RunJob, ToWorker } from "./stage_job.ts";

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
  let cancel: (() => void) | null = null;
  let current = 0;
  let running: RunningFunction | null = null;
  const shells = findShells();
  const buffers: ReadBuffers = { stdout: newReadBuffer(), stderr: newReadBuffer() };
  const modules = new ModuleCache();
  captureConsole((lines, stream) => post({ type: "log", id: current, lines, stream }));
  // Deno.exit() in a worker ends it silently: say so first, so the job fails instead of hanging.
  interceptExit((call) => post({ type: "exit", call }));
  // An error user code throws outside the stage function's call (from a timer, a callback, a
  // promise nobody awaits) is handled here: left to Deno, it is printed raw on pivot's stderr,
  // whatever the parent does with the worker's error event.
  const stray = (what: string, error: string, afterReturn: boolean) => {
    if (running?.crashed) return;
    if (running === null) {
      post({
        type: "stray",
        message: `the code of a stage function ${what} after its stage finished: ${error}`,
      });
      return;
    }
    running.crashed = true;
    const when = afterReturn && running.returned ? " after the stage function returned" : "";
    post({ type: "crash", id: running.id, error: `the stage's code ${what}${when}: ${error}` });
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
  scope.onmessage = async (event) => {
    const message = event.data;
    if (message.type === "cancel") {
      if (message.id === current) cancel?.();
      return;
    }
    current = message.id;
    const log = (lines: readonly string[], stream: "stdout" | "stderr") =>
      post({ type: "log", id: message.id, lines, stream });
    let error: string | null = null;
    const call: RunningFunction | null = message.job.kind === "run"
      ? (running = { id: message.id, returned: false, crashed: false })
      : null;
    try {
      if (message.job.kind === "cmd") {
        const onGroup = (group: number) => post({ type: "group", id: message.id, group });
        await runCommand(message.job, shells, buffers, log, (stop) => (cancel = stop), onGroup);
      } else {
        await runFunction(message.job, modules, () => (call!.returned = true));
        // A timer the stage set with no delay (or while its module loaded) fires now, so its
        // error fails the stage instead of surfacing after the stage was recorded.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } catch (caught) {
      error = caught instanceof StageFailure ? caught.message : describeThrown(caught);
    } finally {
      cancel = null;
      running = null;
    }
    // A crashed job was answered already; its worker is being replaced.
    if (call?.crashed) return;
    post({ type: "done", id: message.id, error });
  };
  post({ type: "ready" });
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

/** The programs `cmd` jobs start, found once per worker. */
interface Shells {
  /** The shell (`sh`): its path on `PATH`, else the bare name. */
  readonly sh: string;
  /** `setsid` (util-linux, BusyBox) on `PATH`, or `null` where there is none (macOS). */
  readonly setsid: string | null;
}

/** Finds `sh` and `setsid` on `PATH` (none on Windows, where commands get no process group). */
function findShells(): Shells {
  if (Deno.build.os === "windows") return { sh: "sh", setsid: null };
  const dirs = (processEnv("PATH") ?? "").split(path.delimiter).filter((dir) => dir !== "");
  const find = (name: string) => {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      let info: Deno.FileInfo;
      try {
        info = Deno.statSync(candidate);
      } catch (error) {
        if (
          error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory ||
          error instanceof Deno.errors.PermissionDenied
        ) continue;
        throw error;
      }
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return candidate;
    }
    return null;
  };
  return { sh: find("sh") ?? "sh", setsid: find("setsid") };
}

/**
 * Runs a `cmd` job through `sh -c`, in a session and process group of its
 * own, so a later pivot can end the command if this one is killed, and
 * cancelling ends the whole group: started through `setsid`, which calls
 * `setsid()` and then execs the shell in its own process (the shell's PID is
 * the group's id, reported through `onGroup`). Where there is no `setsid`
 * program, `detached` does the same, but the runtime then forks the whole
 * pivot process to start it (with its memory's page tables: ~3 ms a
 * command at 200 MB, and every page pivot writes afterwards faults once),
 * where a plain start shares the memory until the exec. On Windows there
 * are no process groups.
 */
async function runCommand(
  job: CmdJob,
  shells: Shells,
  buffers: ReadBuffers,
  log: (lines: readonly string[], stream: "stdout" | "stderr") => void,
  onCancel: (stop: () => void) => void,
  onGroup: (group: number) => void,
): Promise<void> {
  const grouped = Deno.build.os !== "windows";
  const shell = ["-c", job.command];
  const child = new Deno.Command(grouped && shells.setsid !== null ? shells.setsid : shells.sh, {
    args: grouped && shells.setsid !== null ? [shells.sh, ...shell] : shell,
    cwd: job.cwd,
    env: { ...job.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: grouped && shells.setsid === null,
  }).spawn();
  const group = grouped ? child.pid : null;
  if (group !== null) onGroup(group);
  onCancel(() => killTree(child.pid, group));
  await Promise.all([
    streamLines(child.stdout, buffers.stdout, (lines) => log(lines, "stdout")),
    streamLines(child.stderr, buffers.stderr, (lines) => log(lines, "stderr")),
  ]);
  const status = await child.status;
  if (!status.success) {
    throw new StageFailure(
      status.signal === null
        ? `command exited with status ${status.code}`
        : `command was killed by ${status.signal}`,
    );
  }
}

/**
 * Sends SIGTERM to process group `group` when the command has one (or to
 * `pid`, when `setsid` has not made the group yet: then it is `setsid`
 * itself, which dies of it); else to `pid` and then every process below it
 * (a shell's children would otherwise outlive it), using Linux's
 * `/proc/<pid>/task/<tid>/children`; elsewhere only `pid` itself.
 */
function killTree(pid: number, group: number | null): void {
  if (group !== null) {
    try {
      Deno.kill(-group, "SIGTERM");
    } catch {
      try {
        Deno.kill(pid, "SIGTERM");
      } catch { /* already gone */ }
    }
    return;
  }
  const descendants: number[] = [];
  const collect = (parent: number) => {
    let text = "";
    try {
      for (const task of Deno.readDirSync(`/proc/${parent}/task`)) {
        text += ` ${Deno.readTextFileSync(`/proc/${parent}/task/${task.name}/children`)}`;
      }
    } catch { /* gone, or no /proc */ }
    for (const child of text.split(/\s+/).filter((item) => item !== "").map(Number)) {
      collect(child);
      descendants.push(child);
    }
  };
  collect(pid);
  // The shell first, so it cannot go on to its next command when a child dies.
  for (const target of [pid, ...descendants.reverse()]) {
    try {
      Deno.kill(target, "SIGTERM");
    } catch { /* already gone */ }
  }
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

/** How many bytes one read of a command's stdout or stderr takes at most. */
const READ_BUFFER_BYTES = 64 * 1024;

/** The memory every read of one of a worker's output streams goes into, reused job after job. */
interface ReadBuffer {
  bytes: ArrayBuffer;
}

/** One {@linkcode ReadBuffer} for the stdout and one for the stderr of the worker's commands. */
interface ReadBuffers {
  readonly stdout: ReadBuffer;
  readonly stderr: ReadBuffer;
}

function newReadBuffer(): ReadBuffer {
  return { bytes: new ArrayBuffer(READ_BUFFER_BYTES) };
}

/**
 * Reads `stream` to its end into `buffer` and hands `emit` the complete
 * lines of each read at once (a final line without a newline at the end),
 * decoded as UTF-8 with one decoder (no decoding stream: most commands print
 * nothing, and a stream per pipe costs more than the reads). The reads go
 * into the worker's own buffer (a BYOB reader): a stream's default reader
 * allocates 64 KiB outside the JavaScript heap for every read, the last
 * empty one included, which a worker running thousands of commands piled
 * up faster than the garbage collector freed it (~30 MB per worker over
 * 5,000 commands).
 */
async function streamLines(
  stream: ReadableStream<Uint8Array>,
  buffer: ReadBuffer,
  emit: (lines: readonly string[]) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader({ mode: "byob" });
  let pending = "";
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read(new Uint8Array(buffer.bytes));
    } catch (error) {
      // The buffer went to the failed read: the next job gets a new one.
      buffer.bytes = new ArrayBuffer(READ_BUFFER_BYTES);
      throw error;
    }
    // A read hands the buffer back, as the memory of what it read.
    buffer.bytes = chunk.value?.buffer as ArrayBuffer | undefined ??
      new ArrayBuffer(READ_BUFFER_BYTES);
    if (chunk.done) break;
    const parts = (pending + decoder.decode(chunk.value, { stream: true })).split("\n");
    pending = parts.pop() ?? "";
    if (parts.length > 0) emit(parts.map((line) => line.replace(/\r$/, "")));
  }
  pending += decoder.decode();
  if (pending !== "") emit([pending]);
}

/**
 * The modules a worker's `run` jobs use, each imported once per worker (on
 * its first job) rather than once per job: the format libraries, and each
 * stage module.
 */
class ModuleCache {
  #formats: Promise<typeof import("../formats/mod.ts")> | null = null;
  readonly #stages = new Map<string, Promise<Record<string, unknown>>>();

  /** The format libraries, loaded on first use: workers that only run commands never pay for them. */
  formats(): Promise<typeof import("../formats/mod.ts")> {
    return this.#formats ??= import("../formats/mod.ts");
  }

  /** The stage module at `url` (a failed import is tried again by the next job). */
  stage(url: string): Promise<Record<string, unknown>> {
    let module = this.#stages.get(url);
    if (module === undefined) {
      module = import(url) as Promise<Record<string, unknown>>;
      this.#stages.set(url, module);
      module.catch(() => this.#stages.delete(url));
    }
    return module;
  }
}

/**
 * Calls a `run` job's function with its inputs and writes what it returned
 * (synchronously: this is the worker's own thread); `onReturned` is told
 * when the function has returned (or settled).
 */
async function runFunction(
  job: RunJob,
  modules: ModuleCache,
  onReturned: () => void,
): Promise<void> {
  const { encodeValue, readValue } = await modules.formats();
  const module = await modules.stage(job.moduleUrl);
  let fn: unknown = module;
  for (const key of job.exportPath) fn = (fn as Record<string, unknown> | undefined)?.[key];
  if (typeof fn !== "function") {
    throw new StageFailure(`${job.exportPath.join(".")} in ${job.moduleUrl} is not a function`);
  }
  const deps: Record<string, unknown> = {};
  const depPaths: Record<string, string | string[]> = {};
  for (const dep of job.deps) {
    const values = await Promise.all(
      dep.items.map((item) => item.format === null ? item.path : readValue(item.path, item.format)),
    );
    deps[dep.name] = dep.list ? values : values[0];
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
    Deno.mkdirSync(path.dirname(out.path), { recursive: true });
    Deno.writeFileSync(out.path, bytes);
  }
}
