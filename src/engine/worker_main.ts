/**
 * The code a pool worker runs: it receives one job at a time, runs a `cmd`
 * stage's shell or calls a `run` stage's function, streams its output lines
 * back, and reports success or the error. Workers never write state.
 *
 * @module
 */
import * as path from "node:path";
import { interceptExit } from "../util/intercept_exit.ts";
import type { CmdJob, FromWorker, RunJob, ToWorker } from "./stage_job.ts";

/** The worker's global scope, as far as this module uses it. */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}

/** Starts answering jobs; call once, inside a worker. */
export function startWorker(): void {
  const scope = globalThis as unknown as WorkerScope;
  const post = (message: FromWorker) => scope.postMessage(message);
  let cancel: (() => void) | null = null;
  let current = 0;
  captureConsole((line, stream) => post({ type: "log", id: current, line, stream }));
  // Deno.exit() in a worker ends it silently: say so first, so the job fails instead of hanging.
  interceptExit((call) => post({ type: "exit", call }));
  scope.onmessage = async (event) => {
    const message = event.data;
    if (message.type === "cancel") {
      if (message.id === current) cancel?.();
      return;
    }
    current = message.id;
    const log = (line: string, stream: "stdout" | "stderr") =>
      post({ type: "log", id: message.id, line, stream });
    let error: string | null = null;
    try {
      if (message.job.kind === "cmd") {
        const onGroup = (group: number) => post({ type: "group", id: message.id, group });
        await runCommand(message.job, log, (stop) => (cancel = stop), onGroup);
      } else {
        await runFunction(message.job);
      }
    } catch (caught) {
      error = caught instanceof StageFailure
        ? caught.message
        : caught instanceof Error
        ? userStack(caught)
        : String(caught);
    } finally {
      cancel = null;
    }
    post({ type: "done", id: message.id, error });
  };
  post({ type: "ready" });
}

/** Sends `console` output of stage functions to the coordinator, line by line. */
function captureConsole(emit: (line: string, stream: "stdout" | "stderr") => void): void {
  const format = (args: unknown[]) =>
    args.map((arg) => typeof arg === "string" ? arg : Deno.inspect(arg)).join(" ");
  const to = (stream: "stdout" | "stderr") => (...args: unknown[]) => {
    for (const line of format(args).split("\n")) emit(line, stream);
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
 * Runs a `cmd` job through `sh -c`, in a session and process group of its
 * own (`detached`: the child calls `setsid` before it execs the shell, so
 * the shell's PID is the group's id, reported through `onGroup`): then a
 * later pivot can end the command if this one is killed, and cancelling
 * ends the whole group. On Windows there are no process groups.
 */
async function runCommand(
  job: CmdJob,
  log: (line: string, stream: "stdout" | "stderr") => void,
  onCancel: (stop: () => void) => void,
  onGroup: (group: number) => void,
): Promise<void> {
  const grouped = Deno.build.os !== "windows";
  const child = new Deno.Command("sh", {
    args: ["-c", job.command],
    cwd: job.cwd,
    env: { ...job.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: grouped,
  }).spawn();
  const group = grouped ? child.pid : null;
  if (group !== null) onGroup(group);
  onCancel(() => killTree(child.pid, group));
  await Promise.all([
    streamLines(child.stdout, (line) => log(line, "stdout")),
    streamLines(child.stderr, (line) => log(line, "stderr")),
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
 * Sends SIGTERM to process group `group` when the command has one; else to
 * `pid` and then every process below it (a shell's children would otherwise
 * outlive it), using Linux's `/proc/<pid>/task/<tid>/children`; elsewhere
 * only `pid` itself.
 */
function killTree(pid: number, group: number | null): void {
  if (group !== null) {
    try {
      Deno.kill(-group, "SIGTERM");
    } catch { /* already gone */ }
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

/** An error's stack without the frames of pivot's own worker code. */
function userStack(error: Error): string {
  const lines = (error.stack ?? error.message).split("\n");
  return lines.filter((line) =>
    !/^\s+at /.test(line) || !/engine\/worker_main\.ts|ext:|pivot\.js:/.test(line)
  ).join("\n");
}

/** A failure whose message says everything (no stack trace). */
class StageFailure extends Error {}

async function streamLines(
  stream: ReadableStream<Uint8Array>,
  emit: (line: string) => void,
): Promise<void> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (pending + chunk).split("\n");
    pending = parts.pop() ?? "";
    for (const line of parts) emit(line.replace(/\r$/, ""));
  }
  if (pending !== "") emit(pending);
}

async function runFunction(job: RunJob): Promise<void> {
  // Loaded on first use: workers that only run commands never pay for the format libraries.
  const { encodeValue, readValue } = await import("../formats/mod.ts");
  const module = await import(job.moduleUrl) as Record<string, unknown>;
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
      throw new StageFailure(
        `output ${out.key ?? "(single)"} (${out.format}): ${(error as Error).message}`,
      );
    }
    await Deno.mkdir(path.dirname(out.path), { recursive: true });
    await Deno.writeFile(out.path, bytes);
  }
}
