/**
 * After a run that ran or restored stages: looking at every stage once more,
 * as the next no-op would, so that the run can leave the no-op stamp itself
 * and the very next command is answered from it.
 *
 * @module
 */
import { assessStage, type StageState } from "../engine/assess_stage.ts";
import type { StagePlan } from "../engine/stage_plan.ts";
import {
  type RecordedAsWritten,
  recordedAsWritten,
  type WrittenLock,
} from "../engine/written_lock.ts";
import type { Dag } from "../dag/mod.ts";
import type { Session } from "../session/mod.ts";
import type { HashInfo } from "../storage/mod.ts";
import { FINE_RACY_WINDOW_MS } from "../storage/racy_window.ts";
import { PivotError } from "../util/errors.ts";
import type { PreciseStat } from "../util/precise_stat.ts";
import { RememberedStat } from "../util/remembered_stat.ts";
import { checkTrackedInputs } from "./check_tracked_inputs.ts";

/**
 * What a confirmation found (every stage up to date, as a no-op reports
 * them), and when it started reading.
 */
export interface Confirmed {
  /** When the confirmation started reading the project (ms since the epoch). */
  readonly sinceMs: number;
  /** The stages it took the run's word for (not looked at again). */
  readonly earlier: ReadonlySet<string>;
  /**
   * The stages it looked at again, with what it found (for the racy entries
   * of a stamp taken at once; empty after waiting the window out).
   */
  readonly assessed: ReadonlyMap<string, LookedAt>;
  /**
   * What it found of the paths it looked at (after `sinceMs`), each as it
   * first found it: the stamp's signatures of them (see
   * `record_noop_stamp.ts`). A path changed after the look then has a
   * signature other than the one recorded, and the stamp does not hold.
   */
  readonly seen: PreciseStat;
}

/**
 * What the closing look found of a stage it looked at again: the state
 * `assessStage` gave, or what the lock this command wrote records, when the
 * stage was found up to date as written (see `written_lock.ts`).
 */
export type LookedAt =
  & { readonly plan: StagePlan }
  & (
    | { readonly state: StageState; readonly asWritten?: undefined }
    | { readonly asWritten: RecordedAsWritten; readonly state?: undefined }
  );

/**
 * The stages of `stages` a run changed something for: those it ran or
 * restored (`changed`), and every one downstream of them.
 */
export function touchedStages(
  dag: Dag,
  stages: readonly string[],
  changed: Iterable<string>,
): Set<string> {
  const touched = new Set<string>();
  const pending = [...changed];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (touched.has(name)) continue;
    touched.add(name);
    for (const consumer of dag.downstream.get(name) ?? []) pending.push(consumer);
  }
  // Every stage of the project selected (distinct names): no other to leave out.
  if (stages.length === dag.stages.size) return touched;
  const selected = new Set(stages);
  for (const name of touched) if (!selected.has(name)) touched.delete(name);
  return touched;
}

/**
 * Waits until the racy window of file systems with fine times has passed
 * since the run's last write (`writtenMs`; unless `wait` is false: the
 * stamp then holds racy entries, see `vouch_racy_reads.ts`), then checks the tracked inputs
 * and assesses the stages of `stages` the run touched (`touched`, see
 * {@linkcode touchedStages}) again, as a no-op `repro` would; the others the
 * run found up to date, and nothing it wrote is theirs to read. A stage
 * whose lock this command wrote (`written`) is found up to date from that
 * write when everything it recorded still holds (see `written_lock.ts`;
 * what it recorded is what a racy entry is then vouched against), and
 * assessed when anything differs. The
 * stamp taken afterwards holds only signatures taken outside the racy window
 * of that moment, so a file changed during the run, or in the window, keeps
 * it from being written (on a file system with whole-second times, every
 * file the run wrote does: no stamp until a later no-op).
 *
 * @returns when the reading started, and what it found (every stage up to
 *   date: the completions of a no-op), or `null` when a stage is not up to
 *   date, a tracked input does not match, or anything was warned about
 */
export async function confirmUpToDate(
  session: Session,
  stages: readonly string[],
  touched: ReadonlySet<string>,
  writtenMs: number,
  wait = true,
  written: (name: string) => WrittenLock | undefined = () => undefined,
): Promise<Confirmed | null> {
  // Planning reads no file: touched stages are planned while the window passes (as many as
  // it leaves time for, so a run that touched thousands holds no more plans than that).
  const settled = wait ? writtenMs + FINE_RACY_WINDOW_MS + 1 : 0;
  // The window is waited out anyway: what the run learnt is written to `state.db` meanwhile
  // (else when the command ends), once its records are complete.
  if (Date.now() < settled) await flushRecords(session, touched);
  const plans = new Map<string, StagePlan>();
  for (const name of stages) {
    if (Date.now() >= settled) break;
    if (touched.has(name)) plans.set(name, session.plan(name));
  }
  const left = settled - Date.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  const sinceMs = Date.now();
  const seen = new RememberedStat(session.stats);
  const warnings = session.warnings;
  try {
    await checkTrackedInputs(session, stages.filter((name) => touched.has(name)), seen);
  } catch (error) {
    if (error instanceof PivotError) return null;
    throw error;
  }
  const assessed = new Map<string, LookedAt>();
  // The outputs the look below hashed, for the stages reading them (see `recordedAsWritten`).
  const outputs = new Map<string, HashInfo | null>();
  for (const name of stages) {
    if (touched.has(name)) {
      const plan = plans.get(name) ?? session.plan(name);
      plans.delete(name);
      const ours = written(name);
      const asWritten = ours === undefined
        ? null
        : await recordedAsWritten(session, plan, ours, { outputs, seen });
      if (asWritten !== null) {
        if (!wait) assessed.set(name, { plan, asWritten });
        continue;
      }
      const { state, verdict } = await assessStage(session, plan);
      if (verdict.action !== "skip") return null;
      if (!wait) assessed.set(name, { plan, state });
    }
  }
  if (session.warnings !== warnings) return null;
  const earlier = new Set(stages.filter((name) => !touched.has(name)));
  return { sinceMs, earlier, assessed, seen: seen.recalling };
}

/**
 * Writes the records the run holds for the state directories of `stages`
 * (see `StateDb.recordStage`): stages it ran or assessed, whose databases
 * are open.
 */
async function flushRecords(session: Session, stages: Iterable<string>): Promise<void> {
  const dirs = new Set<string>();
  for (const name of stages) {
    const def = session.project.dag.stages.get(name)?.def;
    if (def !== undefined) dirs.add(def.stateDir);
  }
  for (const dir of dirs) (await session.db(dir)).flushRecords();
}
