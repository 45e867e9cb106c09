/**
 * Whether the racy entries of a stamp taken right after a run (see
 * `storage/racy_content.ts`) can stand: the stamp holds while each keeps the
 * content it was taken with, so that content must be what the verdicts it
 * repeats were reached on.
 *
 * @module
 */
import * as path from "node:path";
import { canonical } from "../engine/assess_stage.ts";
import type { Session } from "../session/mod.ts";
import { hashBytes, parseLock } from "../storage/mod.ts";
import { missingGitignoreEntries } from "../util/gitignore.ts";
import { cachedOutputIgnores } from "./ignore_outputs.ts";
import type { RacyRead } from "../storage/racy_content.ts";
import type { LookedAt } from "./confirm_up_to_date.ts";

/** A check of a racy file's bytes against what a verdict read of it. */
type Check = (bytes: Uint8Array) => boolean | Promise<boolean>;

/**
 * True when every racy entry of `reads` holds what the verdicts of
 * `assessed` (the stages looked at again, with what they found) were
 * reached on: a lock file's bytes parse to the lock the verdict read (or,
 * for a stage found up to date as this command wrote its lock, are the
 * bytes written), an input's or output's hash to the hash it compared, a
 * cache directory's names include every blob the session found in it, a
 * `.gitignore` of cached outputs lacks none of the entries `stages` want in
 * it. Any other path (a `.pvt` file, a directory input or output) is not
 * vouched for.
 */
export async function vouchRacyReads(
  session: Session,
  reads: ReadonlyMap<string, RacyRead>,
  assessed: ReadonlyMap<string, LookedAt>,
  stages: readonly string[],
): Promise<boolean> {
  const checks = new Map<string, Check[]>();
  const add = (file: string, check: Check) => {
    if (reads.has(file)) checks.set(file, [...checks.get(file) ?? [], check]);
  };
  for (const { plan, state, asWritten } of assessed.values()) {
    if (asWritten !== undefined) {
      // Its lock holds the text this command wrote, every input and output the content it records.
      add(plan.lockFile, (bytes) => hashBytes(bytes) === asWritten.written.digest);
      for (const out of plan.outs) {
        const hash = asWritten.outs.get(out.key);
        add(out.path, (bytes) => !out.isDir && hashBytes(bytes) === hash);
      }
      for (const dep of plan.deps) {
        for (const input of dep.inputs) {
          if (!reads.has(input.path)) continue;
          const hash = asWritten.deps.get(input.rel);
          add(input.path, (bytes) => hashBytes(bytes) === hash);
        }
      }
      continue;
    }
    const { lock } = state;
    if (lock === null || state.deps === null) return false;
    add(plan.lockFile, async (bytes) => {
      try {
        return canonical(await parseLock(new TextDecoder().decode(bytes))) === canonical(lock);
      } catch {
        return false;
      }
    });
    for (const out of plan.outs) {
      if (!reads.has(out.path)) continue;
      const hash = lock.outs.find((entry) => entry.key === out.key)?.hash;
      add(out.path, (bytes) => !out.isDir && hashBytes(bytes) === hash);
    }
    const deps = state.deps;
    for (const dep of plan.deps) {
      for (const input of dep.inputs) {
        if (!reads.has(input.path)) continue;
        const read = deps.find((entry) => entry.name === dep.name && entry.path === input.rel);
        add(input.path, (bytes) => read?.manifest === undefined && hashBytes(bytes) === read?.hash);
      }
    }
  }
  if ([...reads.keys()].some((file) => path.basename(file) === ".gitignore")) {
    for (const [dir, entries] of cachedOutputIgnores(session.project, stages)) {
      add(
        path.join(dir, ".gitignore"),
        (bytes) => missingGitignoreEntries(new TextDecoder().decode(bytes), entries).length === 0,
      );
    }
  }
  for (const [file, read] of reads) {
    if ("entries" in read) {
      if (!session.blobDirs.has(file)) return false;
      const names = new Set(
        read.entries.filter((entry) => !entry.isDirectory).map((entry) => entry.name),
      );
      for (const blob of session.blobsFound) {
        if (path.dirname(blob) === file && !names.has(path.basename(blob))) return false;
      }
      continue;
    }
    const fileChecks = checks.get(file);
    if (fileChecks === undefined) return false;
    for (const check of fileChecks) if (!await check(read.bytes)) return false;
  }
  return true;
}
