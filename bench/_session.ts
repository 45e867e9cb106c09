/**
 * What every benchmark section gets from `run.ts`: how to start pivot, the
 * sizes and round counts (full or `--quick`), Snakemake's availability, a
 * progress log, and the script of an empty `deno run`.
 *
 * @module
 */
import * as path from "node:path";
import type { Invocation } from "./_measure.ts";
import type { PivotLauncher } from "./_fixture.ts";
import { RACY_WINDOW_MS } from "../src/storage/state_db.ts";
import { PIVOT_V8_FLAGS } from "../src/cli/v8_flags.ts";

/** Sizes and round counts of one bench run. */
export interface BenchSizes {
  /** Stages of the main fan-in (SPEC §13: 1,000). */
  readonly stages: number;
  /** Stages of the large fan-in (SPEC §13: 10,000). */
  readonly bigStages: number;
  /** Rounds of fresh runs (each followed by the first no-op). */
  readonly freshRounds: number;
  /** Rounds of fresh runs at `bigStages`. */
  readonly bigRounds: number;
  /** Rounds of steady no-op and `status` runs. */
  readonly steadyRounds: number;
  /** Rounds of one-input-changed runs. */
  readonly changedRounds: number;
  /** Size of the file hashed by the storage benchmark, in bytes (SPEC: 1 GiB). */
  readonly hashBytes: number;
  /** Files in the storage benchmark's trees (SPEC: 10,000). */
  readonly files: number;
  /** Repetitions of each storage and transfer measurement. */
  readonly storageRounds: number;
  /** Blobs pushed and pulled (SPEC: 2,000). */
  readonly blobs: number;
}

/** The sizes SPEC §13 names. */
export const FULL: BenchSizes = {
  stages: 1_000,
  bigStages: 10_000,
  freshRounds: 5,
  bigRounds: 3,
  steadyRounds: 9,
  changedRounds: 5,
  hashBytes: 1024 ** 3,
  files: 10_000,
  storageRounds: 3,
  blobs: 2_000,
};

/** Small sizes for checking the harness (`--quick`): minutes, not the targets' sizes. */
export const QUICK: BenchSizes = {
  stages: 100,
  bigStages: 1_000,
  freshRounds: 3,
  bigRounds: 2,
  steadyRounds: 3,
  changedRounds: 3,
  hashBytes: 64 * 1024 ** 2,
  files: 1_000,
  storageRounds: 2,
  blobs: 200,
};

/** Everything a section needs from the run. */
export interface BenchSession {
  readonly sizes: BenchSizes;
  readonly pivot: PivotLauncher;
  /** Snakemake's version, or `null` when it is not available (its rows are skipped). */
  readonly snakemake: string | null;
  /** `deno run` of an empty script: process start, the floor of every pivot command. */
  readonly emptyDeno: Invocation;
  readonly log: (line: string) => void;
}

/**
 * How long after the last write pivot trusts file times: the racy window
 * after an mtime, plus a second for whole-second ctimes, plus a margin.
 */
export const SETTLE_MS = RACY_WINDOW_MS + 1_000 + 200;

/** Waits until `SETTLE_MS` after `since` (a `performance.now()` value). */
export async function settle(since: number): Promise<void> {
  const wait = since + SETTLE_MS - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/**
 * The launcher for `deno run -A main.ts` with the V8 options pivot ships
 * with, or for a compiled binary at `bin` (which has them built in).
 */
export function pivotLauncher(bin: string | null): PivotLauncher {
  const main = path.resolve(import.meta.dirname!, "..", "main.ts");
  return bin === null
    ? (args) => ({
      command: Deno.execPath(),
      args: ["run", "-A", "--quiet", PIVOT_V8_FLAGS, main, ...args],
    })
    : (args) => ({ command: path.resolve(bin), args });
}
