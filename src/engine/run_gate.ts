/**
 * The failure policy of a run, as one pure decision: may a stage start, or
 * is it blocked, and why. Fail-fast (the default) starts nothing new after a
 * failure; keep-going blocks only what depends on one; Ctrl-C starts
 * nothing.
 *
 * @module
 */
import type { StageStatus } from "./run_events.ts";

/** How an upstream stage of this run ended. */
export interface UpstreamOutcome {
  /** Its DAG name. */
  readonly name: string;
  readonly status: StageStatus;
  /**
   * For a blocked stage, the failed stage that blocked it, or `null` when
   * it was blocked by an interruption.
   */
  readonly blockedBy: string | null;
}

/** What the gate decides from. */
export interface GateInput {
  /** The stage's upstream stages that this run selected, with how they ended. */
  readonly upstream: readonly UpstreamOutcome[];
  /** True after Ctrl-C. */
  readonly interrupted: boolean;
  /** The first stage that failed in this run, or `null`. */
  readonly firstFailure: string | null;
  /** `--keep-going`: a failure blocks only its downstream. */
  readonly keepGoing: boolean;
}

/** A blocked stage: why, and the failed stage behind it (`null`: interrupted). */
export interface Blocked {
  readonly reason: string;
  readonly blockedBy: string | null;
}

/**
 * Whether a stage may start: `null` when it may, else why it is blocked.
 * A broken upstream comes first (its downstream can never run), then an
 * interruption, then fail-fast.
 *
 * @example Fail-fast blocks a stage that does not depend on the failure
 * ```ts
 * import assert from "node:assert/strict";
 * import { gateStage } from "./run_gate.ts";
 *
 * const input = { upstream: [], interrupted: false, firstFailure: "prep", keepGoing: false };
 * assert.deepEqual(gateStage(input), { reason: "not started: 'prep' failed", blockedBy: "prep" });
 * assert.equal(gateStage({ ...input, keepGoing: true }), null);
 * ```
 */
export function gateStage(input: GateInput): Blocked | null {
  for (const up of input.upstream) {
    if (up.status === "failed") {
      return { reason: `upstream '${up.name}' failed`, blockedBy: up.name };
    }
    if (up.status !== "blocked") continue;
    return up.blockedBy === null
      ? { reason: "interrupted", blockedBy: null }
      : { reason: `upstream '${up.blockedBy}' failed`, blockedBy: up.blockedBy };
  }
  if (input.interrupted) return { reason: "interrupted", blockedBy: null };
  if (input.firstFailure !== null && !input.keepGoing) {
    return { reason: `not started: '${input.firstFailure}' failed`, blockedBy: input.firstFailure };
  }
  return null;
}
