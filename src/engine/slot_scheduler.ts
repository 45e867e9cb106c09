/**
 * Admission of stages to run: at most `jobs` at once, and mutex groups (a
 * group runs one stage at a time; `*` runs alone). A stage that may be
 * handed to a worker ahead of its turn (see {@linkcode SlotRequest.ahead})
 * is admitted while fewer than `jobs` × (1 + `FUNCTIONS_AHEAD`) hold a slot
 * (`jobs` + `COMMANDS_AHEAD` for a command: see {@linkcode SlotRequest.command}).
 *
 * @module
 */
import { COMMANDS_AHEAD, FUNCTIONS_AHEAD } from "./worker_pool.ts";

/** Options for {@linkcode SlotScheduler.acquire}. */
export interface SlotRequest {
  /**
   * The stage's job may be handed to a worker while that worker still runs
   * another job: the worker starts it when that job ends, so at most `jobs`
   * run at once while up to `jobs` × (1 + `FUNCTIONS_AHEAD`) hold a slot
   * (see `worker_pool.ts`).
   * Only for a stage in no mutex group.
   * @default {false}
   */
  readonly ahead?: boolean;
  /**
   * With `ahead`, the stage's job is a command: those handed over ahead
   * wait on the one worker running commands, up to `COMMANDS_AHEAD` of
   * them, so it is admitted while fewer than `jobs` + `COMMANDS_AHEAD` hold
   * a slot (one admitted beyond would wait in the pool for a place, and the
   * commands handed over behind the running ones after it would all
   * overtake it: its stage, outputs cleared and claim held, would wait for
   * the end of the run).
   * @default {false}
   */
  readonly command?: boolean;
}

interface Waiting {
  readonly groups: readonly string[];
  /** How many may hold a slot for it to be admitted. */
  readonly limit: number;
  readonly grant: () => void;
}

/** Grants run slots in request order, respecting `jobs` and mutex groups. */
export class SlotScheduler {
  readonly #jobs: number;
  /** How many may hold a slot when handed over ahead. */
  readonly #ahead: number;
  #running = 0;
  readonly #held = new Map<string, number>();
  readonly #waiting: Waiting[] = [];
  /** How many of the waiting stages run alone (`*`): counted, not searched for on each request. */
  #aloneWaiting = 0;

  /** Creates a scheduler for `jobs` concurrent stages. */
  constructor(jobs: number) {
    this.#jobs = Math.max(1, jobs);
    this.#ahead = this.#jobs * (1 + FUNCTIONS_AHEAD);
  }

  /** Waits for a slot for a stage in `groups`; returns the release function. */
  async acquire(groups: readonly string[], request: SlotRequest = {}): Promise<() => void> {
    const ahead = (request.ahead ?? false) && groups.length === 0;
    const limit = !ahead ? this.#jobs : request.command ? this.#jobs + COMMANDS_AHEAD : this.#ahead;
    // Only a waiting stage that runs alone holds back later requests.
    if (this.#aloneWaiting > 0 || !this.#fits(groups, limit)) {
      if (groups.includes("*")) this.#aloneWaiting++;
      await new Promise<void>((grant) => this.#waiting.push({ groups, limit, grant }));
    } else this.#take(groups);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      for (const group of groups) this.#held.set(group, (this.#held.get(group) ?? 1) - 1);
      this.#admit();
    };
  }

  #fits(groups: readonly string[], limit: number): boolean {
    if (this.#running >= limit) return false;
    if ((this.#held.get("*") ?? 0) > 0) return false;
    if (groups.includes("*")) return this.#running === 0;
    return groups.every((group) => (this.#held.get(group) ?? 0) === 0);
  }

  #take(groups: readonly string[]): void {
    this.#running++;
    for (const group of groups) this.#held.set(group, (this.#held.get(group) ?? 0) + 1);
  }

  #admit(): void {
    // With every slot taken nothing fits: no need to look through the queue.
    for (let i = 0; i < this.#waiting.length && this.#running < this.#ahead;) {
      const next = this.#waiting[i]!;
      if (this.#fits(next.groups, next.limit)) {
        this.#waiting.splice(i, 1);
        if (next.groups.includes("*")) this.#aloneWaiting--;
        this.#take(next.groups);
        next.grant();
      } else if (next.groups.includes("*")) {
        break; // a stage that runs alone waits for the others; nothing overtakes it
      } else i++;
    }
  }
}
