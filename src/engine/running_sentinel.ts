/**
 * `.running` sentinels: a file naming the process that runs a stage, so two
 * pivot processes never run one stage at once. A sentinel whose process is
 * gone is taken over.
 *
 * The file holds the holder's PID on its first line and, once the holder has
 * started the stage's command, `group <process group> <PID that started it>`.
 * A takeover writes its own PID, carries the earlier lines over and adds
 * `killed <PID of the holder it replaced>`; here 4242 was killed while it ran
 * the command in group 4250, and 4260 took the stage over and runs its own:
 *
 * ```
 * 4260
 * group 4250 4242
 * killed 4242
 * group 4275 4260
 * ```
 *
 * The group line is written only for a command still running a moment after
 * it started (see `run_command.ts`: most commands of a big run end sooner),
 * so a holder killed before then leaves none. What finds such a command is
 * the environment: every command a holder starts carries
 * `PIVOT_CLAIM=<holder PID>:<sentinel path>` ({@linkcode claimMarker}) from
 * its first instruction on, and so does every process it starts that keeps
 * its environment. The process taking over ends each `killed` holder's
 * marked processes (and the groups they lead) as well as the noted groups
 * ({@linkcode endOrphanedCommands}).
 *
 * No reader ever sees a sentinel without its PID: a claim hard-links a file
 * already holding it to the sentinel's name (the link fails when the name is
 * taken): a temp file of its own, or this process's template for the
 * directory (see `sentinel_templates.ts`); a takeover replaces it by rename,
 * and so does the holder when it adds the `group` line (the file may be the
 * template other sentinels share, which is never written to). Only lines
 * that end in a newline count, so a line torn by an older pivot, which
 * appended it, can only be missed, never misread.
 *
 * @module
 */
import * as path from "node:path";
import { atomicWrite, tempPathBeside } from "../util/atomic_write.ts";
import { readTextOrNullSync, writeNewTextFileSync } from "../util/fs.ts";
import { endMarkedCommands, endStageCommand } from "./process_group.ts";
import { removeTemplatesOf, type SentinelTemplates } from "./sentinel_templates.ts";

/**
 * The file whose `flock` takeovers of a stale sentinel in one directory take
 * turns under; it stays (removing a lock file is racy) and is no sentinel.
 */
export const TAKEOVER_LOCK = ".takeover.running";

/** The environment variable that marks a stage command with the claim it runs under. */
export const CLAIM_VARIABLE = "PIVOT_CLAIM";

/**
 * The value of {@linkcode CLAIM_VARIABLE} for the commands that `holder`
 * (default: this process) runs under `sentinel`: `4242:/…/train.running`.
 */
export function claimMarker(sentinel: string, holder: number = Deno.pid): string {
  return `${holder}:${sentinel}`;
}

/**
 * The holder reported for a sentinel that holds no PID yet: only an older
 * pivot, which created the file and then wrote its PID, leaves one.
 */
export const UNKNOWN_HOLDER = -1;

/**
 * A sentinel without a PID is taken for one being claimed by an older pivot
 * until it is this old, then for the leftover of one killed in between.
 */
const PARTIAL_CLAIM_MS = 2_000;

/** What a sentinel says. */
interface SentinelContent {
  /** The holder's PID; `null` when the file holds none. */
  readonly pid: number | null;
  /** The `group …` lines: process groups of the stage's commands. */
  readonly groups: readonly { readonly group: number; readonly startedBy: number }[];
  /** The PIDs of the `killed …` lines: holders it was taken over from. */
  readonly killed: readonly number[];
  /** The `group …` and `killed …` lines as written, carried over by a takeover. */
  readonly carried: string;
  /** When the file was last changed (epoch ms); only read when `pid` is null. */
  readonly changedMs: number;
}

/** True when a process with `pid` exists. */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (Deno.build.os === "linux") return false;
  return new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" }).outputSync()
    .success;
}

/** Reads `sentinel`, or `null` when there is none. */
function readSentinel(sentinel: string): SentinelContent | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(sentinel);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const [first = "", ...rest] = text.split("\n");
  // The last piece follows the last newline: empty, or a line still being written.
  rest.pop();
  const pid = /^\d+$/.test(first.trim()) ? Number(first.trim()) : null;
  const groups = [];
  const killed = [];
  const carried = [];
  for (const line of rest) {
    const group = /^group (\d+) (\d+)$/.exec(line);
    const holder = /^killed (\d+)$/.exec(line);
    if (group !== null) groups.push({ group: Number(group[1]), startedBy: Number(group[2]) });
    else if (holder !== null) killed.push(Number(holder[1]));
    else continue;
    carried.push(`${line}\n`);
  }
  let changedMs = 0;
  if (pid === null) {
    try {
      changedMs = Deno.statSync(sentinel).mtime?.getTime() ?? 0;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }
  return { pid, groups, killed, carried: carried.join(""), changedMs };
}

/**
 * The PID of the live process other than this one holding a sentinel with
 * `content`, {@linkcode UNKNOWN_HOLDER} for a young one without a PID, or
 * `null` when it is free to take (ours, or its process is gone).
 */
function liveHolder(content: SentinelContent): number | null {
  if (content.pid === null) {
    return Date.now() - content.changedMs < PARTIAL_CLAIM_MS ? UNKNOWN_HOLDER : null;
  }
  return content.pid !== Deno.pid && processAlive(content.pid) ? content.pid : null;
}

/**
 * Creates `file` holding `text`, atomically: the text goes to a temp file that
 * is then hard-linked to `file`, which fails when `file` exists.
 *
 * @returns false when `file` exists
 */
function createWithContent(file: string, text: string): boolean {
  const temp = tempPathBeside(file);
  writeNewTextFileSync(temp, text);
  try {
    Deno.linkSync(temp, file);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    if (
      !(error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotSupported)
    ) {
      throw error;
    }
    // A file system without hard links: exclusive create, then write. Readers
    // take the moment it is still empty for a claim in progress (PARTIAL_CLAIM_MS).
    try {
      Deno.writeTextFileSync(file, text, { createNew: true });
      return true;
    } catch (fallbackError) {
      if (fallbackError instanceof Deno.errors.AlreadyExists) return false;
      throw fallbackError;
    }
  } finally {
    Deno.removeSync(temp);
  }
}

/**
 * Replaces the stale `sentinel` with a claim of this process, carrying over
 * its `group` and `killed` lines and adding `killed <its holder>` (for
 * {@linkcode endOrphanedCommands}).
 *
 * Why exactly one of several processes that found it stale wins: takeovers
 * in one directory run one at a time, under an exclusive `flock` of
 * `.takeover.running` beside it (the kernel drops it with its process, so a
 * takeover killed midway blocks nobody). Inside, the sentinel is read again
 * and replaced by rename only if it is still stale. Nothing else can change a
 * stale sentinel meanwhile: a fresh claim needs the name free (and the rename
 * never frees it), and only its holder, who is gone, updates or removes it.
 * So the first taker replaces it, and every later one finds a live claim.
 *
 * @returns false when it was no longer stale (held again, or released)
 */
function takeOver(sentinel: string): boolean {
  using lock = Deno.openSync(path.join(path.dirname(sentinel), TAKEOVER_LOCK), {
    read: true,
    write: true,
    create: true,
  });
  lock.lockSync(true);
  const content = readSentinel(sentinel);
  if (content === null || liveHolder(content) !== null) return false;
  const gone = content.pid === null || content.pid === Deno.pid ? null : content.pid;
  atomicWrite(
    sentinel,
    `${Deno.pid}\n${content.carried}${gone === null ? "" : `killed ${gone}\n`}`,
  );
  // The claim templates it left here are garbage now (its other sentinels keep their content).
  if (gone !== null) removeTemplatesOf(path.dirname(sentinel), gone);
  return true;
}

/**
 * How {@linkcode takeSentinel} went: claimed (`created`: the sentinel was
 * made just now, so it names no command of an earlier holder), or the PID
 * of the live process holding it.
 */
export type SentinelTaken = { readonly created: boolean } | number;

/**
 * Claims `sentinel` for this process: creates it (and its directory), or
 * takes it over when its process is gone (or it is a leftover without a PID).
 * With `templates`, a sentinel is created as a link to this process's
 * template (for a stage whose sentinel gets no `group` line: it shares that
 * file).
 *
 * @returns how it was claimed, else the PID of the live process holding it
 *   ({@linkcode UNKNOWN_HOLDER} while an older pivot is still writing its PID)
 */
export function takeSentinel(sentinel: string, templates?: SentinelTemplates): SentinelTaken {
  for (let attempt = 0; attempt < 10; attempt++) {
    const linked = templates?.create(sentinel) ?? null;
    if (linked ?? createWithContent(sentinel, `${Deno.pid}\n`)) return { created: true };
    const content = readSentinel(sentinel);
    // Released meanwhile: try again.
    if (content === null) continue;
    if (content.pid === Deno.pid) return { created: false };
    const holder = liveHolder(content);
    if (holder !== null) return holder;
    if (takeOver(sentinel)) return { created: false };
  }
  const content = readSentinel(sentinel);
  return (content === null ? null : liveHolder(content)) ?? UNKNOWN_HOLDER;
}

/**
 * {@linkcode takeSentinel}, saying only whether it was claimed.
 *
 * @returns `null` when claimed, else the PID of the live process holding it
 */
export function claimSentinel(sentinel: string): number | null {
  const taken = takeSentinel(sentinel);
  return typeof taken === "number" ? taken : null;
}

/**
 * The PID of a live process other than this one holding `sentinel`, or
 * `null`: a cheap check (one `stat` when free) before deciding to claim it.
 */
export function sentinelHolder(sentinel: string): number | null {
  const content = readSentinel(sentinel);
  return content === null ? null : liveHolder(content);
}

/** How a holder is named in messages: `PID 4242`. */
export function describeHolder(holder: number): string {
  return holder === UNKNOWN_HOLDER ? "PID not written yet" : `PID ${holder}`;
}

/**
 * Notes in `sentinel`, if this process holds it, that the stage's command
 * runs in process group `group` (see {@linkcode noteCommandGroup}).
 */
export function recordCommandGroup(sentinel: string, group: number): void {
  if (readSentinel(sentinel)?.pid !== Deno.pid) return;
  noteCommandGroup(sentinel, group);
}

/**
 * {@linkcode recordCommandGroup} for a holder that knows the sentinel is its
 * own (a live process's claim is never taken over): the sentinel is replaced
 * by one holding its lines and the `group` line (temp file + rename: it may
 * be a name of the template file that other sentinels share). A sentinel
 * already released is left alone (never made again).
 */
export function noteCommandGroup(sentinel: string, group: number): void {
  const text = readTextOrNullSync(sentinel);
  if (text !== null) atomicWrite(sentinel, `${text}group ${group} ${Deno.pid}\n`);
}

/**
 * After taking over `sentinel` from a pivot that was killed: ends the
 * command it had started, if that still runs, so that the stage never runs
 * twice at once: the process groups noted in `group` lines (see
 * `endStageCommand`), then every process carrying the marker of a `killed`
 * holder (see `endMarkedCommands`), which finds a command whose group was
 * never noted. Call it once claimed, before the stage's outputs are touched;
 * a sentinel this process created (no `killed` line) costs no look at the
 * processes.
 *
 * @returns a line to show for each command ended
 */
export async function endOrphanedCommands(
  sentinel: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const content = readSentinel(sentinel);
  if (content === null || content.pid !== Deno.pid) return [];
  const stage = path.basename(sentinel, ".running");
  const lines: string[] = [];
  for (const { group, startedBy } of content.groups) {
    if (startedBy === Deno.pid || !(await endStageCommand(group, stage, signal))) continue;
    lines.push(
      `taking over '${stage}' from a killed pivot (PID ${startedBy}): ended its command (process group ${group})`,
    );
  }
  for (const holder of new Set(content.killed)) {
    if (holder === Deno.pid) continue;
    const marker = `${CLAIM_VARIABLE}=${claimMarker(sentinel, holder)}`;
    const ended = await endMarkedCommands(marker, signal);
    const what = [
      ...ended.groups.map((group) => `process group ${group}`),
      ...ended.processes.map((pid) => `PID ${pid}`),
    ];
    for (const target of what) {
      lines.push(
        `taking over '${stage}' from a killed pivot (PID ${holder}): ended its command (${target})`,
      );
    }
  }
  return lines;
}

/** Removes `sentinel` if this process holds it. */
export function releaseSentinel(sentinel: string): void {
  if (readSentinel(sentinel)?.pid === Deno.pid) removeOwnSentinel(sentinel);
}

/**
 * {@linkcode releaseSentinel} for a holder that knows the sentinel is its
 * own (a live process's claim is never taken over): no read first.
 */
export function removeOwnSentinel(sentinel: string): void {
  try {
    Deno.removeSync(sentinel);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
