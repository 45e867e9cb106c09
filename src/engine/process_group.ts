/**
 * Process groups of stage commands: each command is started in a session
 * (and process group) of its own, so a later pivot can find and end the
 * command of a pivot that was killed (`kill -9`) while it ran.
 *
 * @module
 */

/** How long a group gets to exit after SIGTERM before it gets SIGKILL. */
const TERM_GRACE_MS = 3_000;
const POLL_MS = 50;

/**
 * PIDs of the processes of process group `group` that still run (zombies
 * left out). Reads Linux's `/proc`; elsewhere always empty.
 */
export function groupMembers(group: number): number[] {
  const members: number[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync("/proc")];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return members;
    throw error;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry.name)) continue;
    let stat: string;
    try {
      stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
    } catch (error) {
      // Exited while being listed.
      if (processGone(error)) continue;
      throw error;
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === group && state !== "Z" && state !== "X") {
      members.push(Number(entry.name));
    }
  }
  return members;
}

/**
 * True for the error of reading `/proc/<pid>/…` of a process that has just
 * exited: `NotFound`, or `ESRCH` ("No such process (os error 3)", which Deno
 * gives no class of its own) when it exits during the read.
 */
function processGone(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound ||
    (error instanceof Error && /\(os error 3\)/.test(error.message));
}

/**
 * True when process `pid` was started with `PIVOT_STAGE=<stage>` in its
 * environment (false when it is gone or not ours to read).
 */
function runsStage(pid: number, stage: string): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0").includes(
      `PIVOT_STAGE=${stage}`,
    );
  } catch (error) {
    if (processGone(error) || error instanceof Deno.errors.PermissionDenied) return false;
    throw error;
  }
}

/**
 * The processes of the command of stage `stage` started in group `group`:
 * the group's members, and process `group` itself while it runs that stage
 * outside the group (a command is started through `setsid`, which makes the
 * group a moment after it starts: a pivot killed in between leaves it there;
 * a zombie's environment reads empty, so it is left out).
 */
function commandProcesses(group: number, stage: string): number[] {
  const members = groupMembers(group);
  if (!members.includes(group) && runsStage(group, stage)) members.push(group);
  return members;
}

/**
 * Sends `signal` to group `group`, and to process `group` itself when it
 * runs `stage` outside the group (see {@linkcode commandProcesses}).
 */
function signalCommand(group: number, stage: string, signal: Deno.Signal): void {
  const targets = runsStage(group, stage) ? [-group, group] : [-group];
  for (const target of targets) {
    try {
      Deno.kill(target, signal);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/** Polls until the command has no running process or `deadline` passes; true when it is gone. */
async function waitGone(
  group: number,
  stage: string,
  deadline: number,
  signal?: AbortSignal,
): Promise<boolean> {
  for (;;) {
    if (commandProcesses(group, stage).length === 0) return true;
    if (Date.now() >= deadline || signal?.aborted) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Ends process group `group` if it still runs a command of stage `stage`
 * (a process in it has `PIVOT_STAGE=<stage>`, so a group id reused by an
 * unrelated program is left alone): SIGTERM, up to 3 s to exit, then
 * SIGKILL, and waits until it is gone (or `signal` aborts).
 *
 * @returns true when there was such a command to end
 */
export async function endStageCommand(
  group: number,
  stage: string,
  signal?: AbortSignal,
): Promise<boolean> {
  if (!Number.isSafeInteger(group) || group <= 1) return false;
  if (!commandProcesses(group, stage).some((pid) => runsStage(pid, stage))) return false;
  signalCommand(group, stage, "SIGTERM");
  if (await waitGone(group, stage, Date.now() + TERM_GRACE_MS, signal)) return true;
  signalCommand(group, stage, "SIGKILL");
  await waitGone(group, stage, Number.POSITIVE_INFINITY, signal);
  return true;
}
