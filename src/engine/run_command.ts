/**
 * Running a `cmd` job's shell command: in a process group of its own, its
 * output streamed as lines, cancelled with its whole group. Pool workers run
 * commands with it, and so does the coordinator itself for a run with only
 * a few stages to run (see `inline_commands.ts`).
 *
 * @module
 */
import * as path from "node:path";
import { processEnv } from "../util/env_reader.ts";
import type { CmdJob } from "./stage_job.ts";

/** The programs `cmd` jobs start, found once per worker (or per coordinator). */
export interface Shells {
  /** The shell (`sh`): its path on `PATH`, else the bare name. */
  readonly sh: string;
  /** `setsid` (util-linux, BusyBox) on `PATH`, or `null` where there is none (macOS). */
  readonly setsid: string | null;
}

/** Finds `sh` and `setsid` on `PATH` (none on Windows, where commands get no process group). */
export function findShells(): Shells {
  if (Deno.build.os === "windows") return { sh: "sh", setsid: null };
  const dirs = (processEnv("PATH") ?? "").split(path.delimiter).filter((dir) => dir !== "");
  const find = (name: string) => {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      let info: Deno.FileInfo;
      try {
        info = Deno.statSync(candidate);
      } catch {
        // Absent, or a directory that cannot be searched (no permission, a name too long, a
        // symlink loop): skipped, as the shell's own `PATH` search does.
        continue;
      }
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return candidate;
    }
    return null;
  };
  return { sh: find("sh") ?? "sh", setsid: find("setsid") };
}

/**
 * How long a command runs before its process group is reported (`onGroup`
 * of {@linkcode runCommand}): most commands of a big run end sooner, and
 * each report costs the coordinator a message and a rewrite of the stage's
 * sentinel. Until then the job's `PIVOT_CLAIM` is what identifies the
 * command (see `running_sentinel.ts`), and cancelling needs no report.
 */
export const GROUP_REPORT_AFTER_MS = 50;

/**
 * Runs a `cmd` job through `sh -c`, in a session and process group of its
 * own, so a later pivot can end the command if this one is killed, and
 * cancelling ends the whole group: started through `setsid`, which calls
 * `setsid()` and then execs the shell in its own process (the shell's PID is
 * the group's id, reported through `onGroup` once the command has run for
 * {@linkcode GROUP_REPORT_AFTER_MS}; until the report has been noted, the
 * job's `PIVOT_CLAIM` is what identifies the command: see
 * `running_sentinel.ts`). Where there is no `setsid` program, `detached`
 * does the same, but the runtime then forks the whole pivot process to start
 * it (with its memory's page tables: ~3 ms a
 * command at 200 MB, and every page pivot writes afterwards faults once),
 * where a plain start shares the memory until the exec. On Windows there
 * are no process groups. Resolves with `null` when the command succeeded,
 * else how it ended (`command exited with status 2`) or why it did not start.
 * The output is read into `buffers`, which no other command may be using.
 */
export async function runCommand(
  job: CmdJob,
  shells: Shells,
  buffers: ReadBuffers,
  log: (lines: readonly string[], stream: "stdout" | "stderr") => void,
  onCancel: (stop: () => void) => void,
  onGroup: (group: number) => void,
): Promise<string | null> {
  const grouped = Deno.build.os !== "windows";
  const shell = ["-c", job.command];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(grouped && shells.setsid !== null ? shells.setsid : shells.sh, {
      args: grouped && shells.setsid !== null ? [shells.sh, ...shell] : shell,
      cwd: job.cwd,
      env: { ...job.env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: grouped && shells.setsid === null,
    }).spawn();
  } catch (error) {
    // `NotFound: Failed to spawn 'sh': …` (the working directory is gone, no shell).
    return String(error);
  }
  const group = grouped ? child.pid : null;
  const report = group === null
    ? undefined
    : setTimeout(() => onGroup(group), GROUP_REPORT_AFTER_MS);
  onCancel(() => killTree(child.pid, group));
  let status: Deno.CommandStatus;
  try {
    await Promise.all([
      streamLines(child.stdout, buffers.stdout, (lines) => log(lines, "stdout")),
      streamLines(child.stderr, buffers.stderr, (lines) => log(lines, "stderr")),
    ]);
    status = await child.status;
  } finally {
    clearTimeout(report);
  }
  if (status.success) return null;
  return status.signal === null
    ? `command exited with status ${status.code}`
    : `command was killed by ${status.signal}`;
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

/** How many bytes one read of a command's stdout or stderr takes at most. */
const READ_BUFFER_BYTES = 64 * 1024;

/** The memory every read of one output stream goes into, reused command after command. */
interface ReadBuffer {
  bytes: ArrayBuffer;
}

/** One {@linkcode ReadBuffer} for a command's stdout and one for its stderr. */
export interface ReadBuffers {
  readonly stdout: ReadBuffer;
  readonly stderr: ReadBuffer;
}

/** New buffers for {@linkcode runCommand}: one pair per command running at a time. */
export function newReadBuffers(): ReadBuffers {
  return {
    stdout: { bytes: new ArrayBuffer(READ_BUFFER_BYTES) },
    stderr: { bytes: new ArrayBuffer(READ_BUFFER_BYTES) },
  };
}

/**
 * Reads `stream` to its end into `buffer` and hands `emit` the complete
 * lines of each read at once (a final line without a newline at the end),
 * decoded as UTF-8 with one decoder (no decoding stream: most commands print
 * nothing, and a stream per pipe costs more than the reads). The reads go
 * into the caller's buffer (a BYOB reader): a stream's default reader
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
      // The buffer went to the failed read: the next command gets a new one.
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
