/**
 * Process groups of stage commands: each command is started in a session
 * (and process group) of its own, so a later pivot can find and end the
 * command of a pivot that was killed (`kill -9`) while it ran: by the group
 * the killed pivot noted ({@linkcode endStageCommand}), or by the claim
 * marker in the environment of the command's processes
 * ({@linkcode endMarkedCommands}), which they carry from their first
 * instruction on.
 *
 * @module
 */

/** How long a command gets to exit after SIGTERM before it gets SIGKILL. */
const TERM_GRACE_MS = 3_000;
const POLL_MS = 50;

/** A process listed in `/proc`, with its process group. */
interface ProcessEntry {
  readonly pid: number;
  readonly group: number;
}

/**
 * The processes that still run (zombies left out), each with its process
 * group. Reads Linux's `/proc`; elsewhere always empty.
 */
function runningProcesses(): ProcessEntry[] {
  const found: ProcessEntry[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync("/proc")];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return found;
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
    if (state !== "Z" && state !== "X") {
      found.push({ pid: Number(entry.name), group: Number(pgrp) });
    }
  }
  return found;
}

/**
 * PIDs of the processes of process group `group` that still run (zombies
 * left out). Reads Linux's `/proc`; elsewhere always empty.
 */
export function groupMembers(group: number): number[] {
  return runningProcesses().filter((entry) => entry.group === group).map((entry) => entry.pid);
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
 * True when process `pid` was started with `variable` (`NAME=value`) in its
 * environment (false when it is gone, a zombie, or not ours to read).
 */
function carries(pid: number, variable: string): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0").includes(variable);
  } catch (error) {
    if (processGone(error) || error instanceof Deno.errors.PermissionDenied) return false;
    throw error;
  }
}

/** True when process `pid` was started with `PIVOT_STAGE=<stage>` in its environment. */
function runsStage(pid: number, stage: string): boolean {
  return carries(pid, `PIVOT_STAGE=${stage}`);
}

/** Sends `signal` to each of `targets` (a negative one is a process group) that still exists. */
function sendAll(targets: Iterable<number>, signal: Deno.Signal): void {
  for (const target of targets) {
    try {
      Deno.kill(target, signal);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/** The processes of one command, looked up afresh each time, and how to signal them. */
interface Command {
  /** PIDs of its processes that still run. */
  running(): number[];
  /** Sends `signal` to its processes. */
  send(signal: Deno.Signal): void;
}

/**
 * Ends `command`: SIGTERM, up to 3 s to exit, then SIGKILL (again at every
 * look, for a process that appeared since), and waits until it is gone; when
 * `signal` aborts, SIGKILL at once and no more waiting.
 */
async function endCommand(command: Command, signal?: AbortSignal): Promise<void> {
  command.send("SIGTERM");
  const graceEnd = Date.now() + TERM_GRACE_MS;
  for (;;) {
    if (command.running().length === 0) return;
    if (signal?.aborted || Date.now() >= graceEnd) command.send("SIGKILL");
    if (signal?.aborted) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
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
 * Ends process group `group` if it still runs a command of stage `stage`
 * (a process in it has `PIVOT_STAGE=<stage>`, so a group id reused by an
 * unrelated program is left alone), and process `group` itself when it runs
 * `stage` outside the group (see {@linkcode commandProcesses}): SIGTERM, up
 * to 3 s to exit, then SIGKILL, and waits until it is gone (or `signal`
 * aborts).
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
  await endCommand({
    running: () => commandProcesses(group, stage),
    send: (sent) => sendAll(runsStage(group, stage) ? [-group, group] : [-group], sent),
  }, signal);
  return true;
}

/** What {@linkcode endMarkedCommands} ended. */
export interface MarkedCommands {
  /** Process groups ended as a whole: each led by a process carrying the marker. */
  readonly groups: readonly number[];
  /** Processes carrying the marker outside those groups, ended one by one. */
  readonly processes: readonly number[];
}

/**
 * Ends every process other than this one whose environment holds
 * `variable` (`PIVOT_CLAIM=4242:/…/train.running`, which marks each command
 * pivot starts with the claim it runs under), with the whole process group
 * of each that leads one (a command's shell leads the group `setsid` made
 * for it; the group's other members may have dropped the variable), never
 * this process's own group: SIGTERM, up to 3 s to exit, then SIGKILL, and
 * waits until they are gone (or `signal` aborts). A process that does not
 * carry the variable is only signalled as a member of such a group. Each
 * signal follows a fresh look, so only a PID freed and handed out again in
 * the microseconds between the two could be hit. Reads Linux's `/proc`;
 * elsewhere it finds nothing.
 *
 * @returns the groups and processes it ended (none when nothing carried it)
 */
export async function endMarkedCommands(
  variable: string,
  signal?: AbortSignal,
): Promise<MarkedCommands> {
  const look = () => {
    const all = runningProcesses();
    const marked = all.filter((entry) => entry.pid !== Deno.pid && carries(entry.pid, variable));
    return { all, marked };
  };
  const first = look();
  const own = first.all.find((entry) => entry.pid === Deno.pid)?.group;
  // A group stays the same while it has members: the kernel reuses no PID still in use as a
  // group id, so once led by a marked process it is the command's until it is empty.
  const groups = new Set(
    first.marked.filter((entry) => entry.pid === entry.group && entry.group !== own)
      .map((entry) => entry.group),
  );
  const processes = first.marked.filter((entry) => !groups.has(entry.group))
    .map((entry) => entry.pid);
  if (first.marked.length === 0) return { groups: [], processes: [] };
  await endCommand({
    running: () => {
      const { all, marked } = look();
      return [...all.filter((entry) => groups.has(entry.group)), ...marked]
        .map((entry) => entry.pid);
    },
    send: (sent) => {
      const { all, marked } = look();
      const live = [...groups].filter((group) => all.some((entry) => entry.group === group));
      const alone = marked.filter((entry) => !groups.has(entry.group));
      sendAll([...live.map((group) => -group), ...alone.map((entry) => entry.pid)], sent);
    },
  }, signal);
  return { groups: [...groups], processes };
}
