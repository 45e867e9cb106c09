/**
 * `.running` sentinels: a file holding the PID of the process running a
 * stage, so two pivot processes never run one stage at once. A sentinel
 * whose process is gone is taken over.
 *
 * @module
 */
import * as path from "node:path";
import { tempPathBeside } from "../util/atomic_write.ts";
import { ensureDirSync } from "../util/ensure_dir.ts";

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

/**
 * The PID written in `sentinel` (`NaN` when it is not a number), or `null`
 * when there is no sentinel.
 */
function readHolder(sentinel: string): number | null {
  try {
    return Number.parseInt(Deno.readTextFileSync(sentinel).trim(), 10);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * Claims `sentinel` for this process.
 *
 * @returns `null` when claimed, else the PID of the live process holding it
 */
export function claimSentinel(sentinel: string): number | null {
  ensureDirSync(path.dirname(sentinel));
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = Deno.openSync(sentinel, { write: true, createNew: true });
      file.writeSync(new TextEncoder().encode(`${Deno.pid}\n`));
      file.close();
      return null;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const holder = readHolder(sentinel);
    if (holder === null) continue;
    if (holder !== Deno.pid && processAlive(holder)) return holder;
    // Stale: take it over by rename, then check nobody else did the same.
    const temp = tempPathBeside(sentinel);
    Deno.writeTextFileSync(temp, `${Deno.pid}\n`);
    Deno.renameSync(temp, sentinel);
    if (readHolder(sentinel) === Deno.pid) return null;
  }
  const holder = readHolder(sentinel);
  return holder === null || Number.isNaN(holder) ? -1 : holder;
}

/**
 * The PID of a live process other than this one holding `sentinel`, or
 * `null`: a cheap check (one `stat` when free) before deciding to claim it.
 */
export function sentinelHolder(sentinel: string): number | null {
  const holder = readHolder(sentinel);
  return holder !== null && holder !== Deno.pid && processAlive(holder) ? holder : null;
}

/** Removes `sentinel` if this process holds it. */
export function releaseSentinel(sentinel: string): void {
  if (readHolder(sentinel) !== Deno.pid) return;
  try {
    Deno.removeSync(sentinel);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
