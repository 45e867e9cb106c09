/**
 * Holding a stage for this process while it is restored or run: the
 * `.running` sentinel claimed, waited for while another pivot process holds
 * it, and released on dispose (`await using claim = …`), so the release is
 * visible where the claim is taken.
 *
 * @module
 */
import { environmentError } from "../util/environment_error.ts";
import type { PreciseStat } from "../util/precise_stat.ts";
import type { SentinelTemplates } from "./sentinel_templates.ts";
import {
  describeHolder,
  endOrphanedCommands,
  noteCommandGroup,
  removeOwnSentinel,
  sentinelHolder,
  type SentinelTaken,
  takeSentinel,
} from "./running_sentinel.ts";

/** How often a waiting process looks at another's sentinel again, in milliseconds. */
const WAIT_POLL_MS = 100;

/** The stage a claim is for, and where its output lines go. */
export interface ClaimOptions {
  /** The stage's DAG name (for messages). */
  readonly name: string;
  /** Its `.running` sentinel. */
  readonly sentinel: string;
  /** Receives the lines to show: waiting for another process, ending an orphaned command. */
  readonly onLine: (line: string) => void;
  /** Aborting stops the waiting. */
  readonly signal?: AbortSignal | undefined;
  /** Looks for readers' records without an exception when there are none. @default {none} */
  readonly stats?: PreciseStat | undefined;
  /**
   * Claims by a link to this process's template (see
   * `sentinel_templates.ts`). @default {a temp file per claim}
   */
  readonly templates?: SentinelTemplates | undefined;
}

/** A stage held by this process; disposing of it releases the stage. */
export interface StageClaim extends AsyncDisposable {
  /** True when another process held the stage first (it has probably done the work). */
  readonly waited: boolean;
  /** Notes in the sentinel the process group the stage's command runs in. */
  recordGroup(group: number): void;
}

/** A claim, or the process that still held the stage when the wait was interrupted. */
export type ClaimResult =
  | { readonly claim: StageClaim; readonly busy?: undefined }
  | { readonly claim?: undefined; readonly busy: number };

/**
 * Waits while another pivot process holds the stage (saying so once).
 *
 * @returns `null` once it is free, else the holder when interrupted first
 */
export async function waitWhileHeld(options: ClaimOptions, holder: number): Promise<number | null> {
  options.onLine(
    `waiting: '${options.name}' is running in another pivot process (${describeHolder(holder)})`,
  );
  let current: number | null = holder;
  while (current !== null) {
    if (options.signal?.aborted) return current;
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    current = sentinelHolder(options.sentinel);
  }
  return null;
}

/**
 * Claims the stage, waiting while another process holds it. Once claimed, a
 * command that a killed pivot left running for this stage is ended first.
 *
 * @throws {PivotError} when the sentinel cannot be written (a full disk)
 */
export async function claimStage(options: ClaimOptions): Promise<ClaimResult> {
  const { sentinel } = options;
  let taken = claim(sentinel, options.templates);
  const waited = typeof taken === "number";
  while (typeof taken === "number") {
    const still = await waitWhileHeld(options, taken);
    if (still !== null) return { busy: still };
    taken = claim(sentinel, options.templates);
  }
  // Ours until released (no other process takes over a live one's claim): the
  // group line is added, and the sentinel removed, without checking the holder first.
  let held = true;
  const claimed: StageClaim = {
    waited,
    recordGroup: (group) => {
      if (held) noteCommandGroup(sentinel, group);
    },
    [Symbol.asyncDispose]: () => {
      if (held) removeOwnSentinel(sentinel);
      held = false;
      return Promise.resolve();
    },
  };
  // A sentinel created just now names no command a killed pivot left running.
  if (taken.created) return { claim: claimed };
  try {
    for (const line of await endOrphanedCommands(sentinel, options.signal)) options.onLine(line);
  } catch (error) {
    await claimed[Symbol.asyncDispose]();
    throw error;
  }
  return { claim: claimed };
}

/**
 * {@linkcode takeSentinel}, with a failure of the environment (a full disk)
 * reported as an error naming the sentinel, the cause and the fix.
 */
function claim(sentinel: string, templates: SentinelTemplates | undefined): SentinelTaken {
  try {
    return takeSentinel(sentinel, templates);
  } catch (error) {
    throw environmentError(error, { file: sentinel, action: "write" });
  }
}
