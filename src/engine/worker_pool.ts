/**
 * A pool of warm Web Workers that run stage jobs, at most `size` at a time.
 * Workers are started on first use and reused across stages. A `run` job
 * (a stage function) has a worker to itself; `run` jobs handed over
 * "ahead" go out together, several in one message (a worker woken once for
 * them, not once each), and with every worker busy up to
 * {@linkcode FUNCTIONS_AHEAD} more may be handed to a worker running a
 * function, which starts each as soon as the one before ends (no wait for
 * the coordinator's next message, so at most `size` jobs still run at
 * once); `cmd` jobs share one (and, with every place taken, up to
 * {@linkcode COMMANDS_AHEAD} more handed over ahead wait on it, each
 * started by the worker in the place of a command of its own that ends): a
 * command only starts a process and reads its output, so one worker keeps
 * up with several, and each worker more costs its own heap (tens of MB over
 * thousands of commands). That heap is mostly collector slack, so the worker
 * running commands is replaced after {@linkcode COMMANDS_PER_WORKER}
 * of them: it takes no more and ends once its last one has.
 *
 * @module
 */
import type { FromWorker, StageJob, ToWorker } from "./stage_job.ts";

/**
 * How many `cmd` jobs a worker is given before it is replaced: its young
 * generation grows with the commands it streams and never shrinks (60 MB
 * committed for 5 MB live after 10,000 commands); a fresh one starts small.
 * Its heap is part of a run's peak memory: ~23 MB committed after 2,000
 * commands, ~16 MB after 1,250 (10,000-stage fan-in). A worker starts in
 * about 0.1 s, which 1,250 commands cost many times over, and a run of
 * 1,000 stages still runs every command on one worker.
 */
export const COMMANDS_PER_WORKER = 1_250;

/** How a job ended: `null` on success, else the error text. */
export type JobOutcome = string | null;

/**
 * The outcome of a job handed to a worker ahead of its turn that never
 * started (cancelled, or the job before it failed), for the caller to run
 * again or not.
 */
export const NOT_STARTED: unique symbol = Symbol("not started");

/** How a job handed over ahead of its turn ended, or {@linkcode NOT_STARTED}. */
export type AheadOutcome = JobOutcome | typeof NOT_STARTED;

/**
 * How many `run` jobs handed over ahead may wait on a worker behind the one
 * it runs (so up to `size` × (1 + this) stages may hold a run slot, see
 * `slot_scheduler.ts`). A worker whose queue runs dry sleeps, and the
 * coordinator's next message wakes it; the coordinator being the slower
 * side, each such wake-up lets the worker take the coordinator's core (2
 * cores, 3 busy threads) while it runs what it was sent: 8 rather than 4
 * halve the wake-ups of a fresh run of quick functions (~5 % of its wall
 * time on the 1,000-stage fan-in).
 */
export const FUNCTIONS_AHEAD = 8;

/**
 * How many `cmd` jobs handed over ahead may wait on the worker running
 * commands, each started in the place of one of its own that ends (so up
 * to `size` + this stages running commands may hold a run slot).
 */
export const COMMANDS_AHEAD = 4;

/** What runs stage jobs: the {@linkcode WorkerPool}, or a stand-in in tests. */
export interface JobRunner {
  /**
   * Runs `job` and resolves with its outcome; `onLog` gets its output lines,
   * `onGroup` the process group a `cmd` job's command runs in.
   */
  run(
    job: StageJob,
    onLog: (line: string, stream: "stdout" | "stderr") => void,
    onGroup?: (group: number) => void,
  ): Promise<JobOutcome>;
  /**
   * Runs `job` like {@linkcode JobRunner.run}, but with every worker busy it
   * may hand it to a worker running a job of its kind, to start when one
   * ends; such a job may end {@linkcode NOT_STARTED}. Absent: use `run`.
   */
  runAhead?(
    job: StageJob,
    onLog: (line: string, stream: "stdout" | "stderr") => void,
    onGroup?: (group: number) => void,
  ): Promise<AheadOutcome>;
  /**
   * True when {@linkcode JobRunner.runAhead} hands `cmd` jobs over that way
   * too (else it starts them at once: their stages may not be admitted
   * ahead of their turn).
   */
  readonly commandsAhead?: boolean;
  /** Stops every running job (their outcomes say "interrupted" or how they ended). */
  cancelAll(): void;
  /** Stops everything; pending jobs end with "interrupted". */
  close(): void;
}

interface Slot {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  /** Jobs given to the worker and not ended. */
  jobs: number;
  /** True while it runs a `run` job (then it runs nothing else). */
  runsFunction: boolean;
  /** `cmd` jobs it was given. */
  commands: number;
  /** True once it has had its share of commands: it takes no more jobs and ends after its last. */
  draining: boolean;
  /** Ids of the jobs handed to it with every place taken, not yet started. */
  readonly queued: number[];
  /** Jobs handed over ahead and not yet sent: sent together once this turn of the event loop ends. */
  readonly outbox: { readonly id: number; readonly job: StageJob; readonly behind: boolean }[];
  /** The timer that sends `outbox`. */
  send: ReturnType<typeof setTimeout> | undefined;
}

interface Pending {
  readonly resolve: (outcome: AheadOutcome) => void;
  readonly onLog: (line: string, stream: "stdout" | "stderr") => void;
  readonly onGroup: ((group: number) => void) | undefined;
  readonly slot: Slot;
}

/**
 * The module URL workers start from: `worker_entry.ts` beside this file when
 * running from source, else the main module (a bundle or compiled pivot,
 * whose entry serves jobs when it finds itself in a worker).
 */
export function workerEntryUrl(): string {
  const beside = new URL("./worker_entry.ts", import.meta.url);
  if (beside.protocol === "file:") {
    try {
      if (Deno.statSync(beside).isFile) return beside.href;
    } catch { /* not running from source */ }
  }
  return Deno.mainModule;
}

/** Options for a {@linkcode WorkerPool}. */
export interface WorkerPoolOptions {
  /**
   * Told when a stage function's code throws from a timer or callback after
   * its stage finished (the error can fail no stage any more).
   * @default {ignore it}
   */
  warn?: (message: string) => void;
  /** `cmd` jobs a worker is given before it is replaced. @default {COMMANDS_PER_WORKER} */
  commandsPerWorker?: number;
}

/** Runs jobs on up to `size` workers. */
export class WorkerPool implements JobRunner {
  readonly #size: number;
  readonly #entry: string;
  readonly #warn: (message: string) => void;
  readonly #commandsPerWorker: number;
  readonly #slots: Slot[] = [];
  readonly #pending = new Map<number, Pending>();
  readonly #waiting: (() => void)[] = [];
  /** `cmd` jobs, too, are handed over ahead (see {@linkcode WorkerPool.runAhead}). */
  readonly commandsAhead = true;
  /** Jobs given to workers and not ended. */
  #active = 0;
  /**
   * Jobs that failed: a job handed over ahead that is waiting for a place
   * when one fails never starts (see {@linkcode WorkerPool.runAhead}).
   */
  #failures = 0;
  /** Calls of {@linkcode WorkerPool.cancelAll}: no job waiting for a place then starts. */
  #cancels = 0;
  #nextId = 1;
  #closed = false;
  #started = 0;

  /** Creates a pool of at most `size` workers started from `entry`. */
  constructor(size: number, entry: string = workerEntryUrl(), options: WorkerPoolOptions = {}) {
    const { warn = () => {}, commandsPerWorker = COMMANDS_PER_WORKER } = options;
    this.#size = Math.max(1, size);
    this.#entry = entry;
    this.#warn = warn;
    this.#commandsPerWorker = Math.max(1, commandsPerWorker);
  }

  /** How many workers this pool has started so far (replacements included). */
  get workersStarted(): number {
    return this.#started;
  }

  /**
   * Runs `job` once fewer than `size` jobs run (waiting until then), on a
   * worker of its own for a `run` job, else on the worker running commands,
   * and resolves with its outcome; `onGroup` learns the process group a
   * `cmd` job's command runs in (where commands get a group of their own).
   */
  async run(
    job: StageJob,
    onLog: (line: string, stream: "stdout" | "stderr") => void,
    onGroup?: (group: number) => void,
  ): Promise<JobOutcome> {
    const outcome = await this.#run(job, onLog, onGroup, false);
    // Only a job handed over ahead of its turn can end unstarted.
    return outcome === NOT_STARTED ? "interrupted" : outcome;
  }

  /**
   * Runs `job` as {@linkcode WorkerPool.run} does, except that it is sent
   * once this turn of the event loop ends, with the others handed to the
   * same worker meanwhile (one message), and that a job finding `size` jobs
   * running goes behind them to a worker running jobs of its kind: a
   * function's, which starts it as soon as those before it end; the
   * commands', which starts it in the place of the first of its commands
   * that ends (if one runs when it arrives: else it comes back unstarted).
   * The coordinator's next message is not waited for, and still at most
   * `size` jobs run at once. Such a job ends {@linkcode NOT_STARTED} when
   * cancelled, when a job before it on its worker failed, or when a job
   * failed while it waited for a place.
   */
  runAhead(
    job: StageJob,
    onLog: (line: string, stream: "stdout" | "stderr") => void,
    onGroup?: (group: number) => void,
  ): Promise<AheadOutcome> {
    return this.#run(job, onLog, onGroup, true);
  }

  async #run(
    job: StageJob,
    onLog: (line: string, stream: "stdout" | "stderr") => void,
    onGroup: ((group: number) => void) | undefined,
    ahead: boolean,
  ): Promise<AheadOutcome> {
    const id = this.#nextId++;
    const cancels = this.#cancels;
    const slot = await this.#acquire(id, job.kind, ahead);
    if (slot === null) return NOT_STARTED;
    await slot.ready;
    // Cancelled while its worker started: it never starts (a retired worker's count is reset).
    if (this.#cancels !== cancels) {
      if (this.#slots.includes(slot)) this.#giveBack(slot, id);
      return NOT_STARTED;
    }
    return await new Promise<AheadOutcome>((resolve) => {
      this.#pending.set(id, { resolve, onLog, onGroup, slot });
      if (!ahead) return slot.worker.postMessage({ type: "job", id, job } satisfies ToWorker);
      slot.outbox.push({ id, job, behind: slot.queued.includes(id) });
      slot.send ??= setTimeout(() => this.#send(slot), 0);
    });
  }

  /** Sends the jobs of `slot`'s outbox, in one message. */
  #send(slot: Slot): void {
    slot.send = undefined;
    const jobs = slot.outbox.splice(0);
    if (jobs.length > 0) slot.worker.postMessage({ type: "jobs", jobs } satisfies ToWorker);
  }

  /**
   * A job on `slot` failed with `error`: its job ends first (so the run
   * knows of the failure before it decides on the others), the jobs waiting
   * behind it end {@linkcode NOT_STARTED} (those sent come back from the
   * worker, which starts none handed over behind until told to resume; they
   * stay noted until then), and its place is free again.
   */
  #failed(slot: Slot, pending: Pending, error: string): void {
    this.#failures++;
    pending.resolve(error);
    // Jobs with a place of their own (commands beside the failed one) are still sent.
    const behind = new Set(slot.queued);
    const unsent = slot.outbox.filter(({ id }) => behind.has(id));
    slot.outbox.splice(0, slot.outbox.length, ...slot.outbox.filter(({ id }) => !behind.has(id)));
    if (slot.outbox.length === 0) {
      clearTimeout(slot.send);
      slot.send = undefined;
    }
    // Those sent stay noted until the worker hands them back, or, sent after it heard of an
    // earlier failure (a second one before it heard of this), starts one in a command's place.
    const gone = new Set(unsent.map(({ id }) => id));
    slot.queued.splice(0, slot.queued.length, ...slot.queued.filter((id) => !gone.has(id)));
    this.#release(slot);
    for (const wake of this.#waiting.splice(0)) wake();
    slot.worker.postMessage({ type: "resume" } satisfies ToWorker);
    for (const { id } of unsent) {
      const held = this.#pending.get(id);
      this.#pending.delete(id);
      held?.resolve(NOT_STARTED);
    }
  }

  /**
   * Takes the jobs of `slot`'s outbox back, unsent: the one counted as
   * running frees its capacity; each ends {@linkcode NOT_STARTED}.
   */
  #takeBack(slot: Slot): void {
    clearTimeout(slot.send);
    slot.send = undefined;
    for (const { id } of slot.outbox.splice(0)) {
      const pending = this.#pending.get(id);
      this.#pending.delete(id);
      this.#giveBack(slot, id);
      pending?.resolve(NOT_STARTED);
    }
  }

  /** Job `id`, counted on `slot` and never sent, frees what it held: a place, or one behind. */
  #giveBack(slot: Slot, id: number): void {
    const at = slot.queued.indexOf(id);
    if (at < 0) this.#release(slot);
    else {
      slot.queued.splice(at, 1);
      this.#waiting.shift()?.();
    }
  }

  /**
   * Starts a worker now, before any job is given, so that the first jobs of
   * a run about to hand out many do not wait for it. Only one: each worker
   * started blocks this thread for about 20 ms, which a run's opening
   * (reading its modules, judging its first stages) would wait for; the
   * others start when a job finds every worker busy.
   */
  warmUp(): void {
    if (!this.#closed && this.#slots.length === 0) this.#start();
  }

  /**
   * Stops every running job: `cmd` stages get SIGTERM; workers running a
   * function are terminated (their jobs end with "interrupted"). Jobs still
   * waiting for a place never start.
   */
  cancelAll(): void {
    this.#cancels++;
    for (const wake of this.#waiting.splice(0)) wake();
    for (const slot of this.#slots) this.#takeBack(slot);
    for (const [id, pending] of this.#pending) {
      pending.slot.worker.postMessage({ type: "cancel", id } satisfies ToWorker);
    }
  }

  /** Terminates every worker; pending jobs end with "interrupted". */
  close(): void {
    this.#closed = true;
    for (const slot of this.#slots) {
      clearTimeout(slot.send);
      slot.worker.terminate();
    }
    for (const pending of this.#pending.values()) pending.resolve("interrupted");
    this.#pending.clear();
    this.#slots.length = 0;
    for (const wake of this.#waiting.splice(0)) wake();
  }

  /**
   * A worker for a job of `kind`, counted as taken: one running no function
   * for a command, an idle one for a function, else a new one. While fewer
   * than `size` jobs run there always is one: if every worker of a full pool
   * ran a job, `size` would run. With `size` jobs running, a job handed
   * over `ahead` goes to the worker running jobs of its kind with the fewest
   * waiting (fewer than {@linkcode FUNCTIONS_AHEAD}, or {@linkcode COMMANDS_AHEAD}
   * for a command), to start after them
   * (job `id` is noted among them); a command, only to a worker that is not
   * to be replaced before it has run it. `null` when the jobs were cancelled
   * while it waited, or, for one handed over `ahead`, a job failed (the run
   * decides again whether it starts at all: after a failure a fail-fast run
   * starts nothing new).
   */
  async #acquire(id: number, kind: StageJob["kind"], ahead: boolean): Promise<Slot | null> {
    const [failures, cancels] = [this.#failures, this.#cancels];
    for (;;) {
      if (this.#cancels !== cancels || (ahead && this.#failures !== failures)) return null;
      if (this.#closed) throw new Error("worker pool is closed");
      if (this.#active < this.#size) {
        const slot = this.#slots.find((slot) =>
          !slot.draining && (kind === "cmd" ? !slot.runsFunction : slot.jobs === 0)
        ) ?? (this.#slots.length < this.#size ? this.#start() : undefined);
        if (slot !== undefined) {
          this.#active++;
          slot.jobs++;
          slot.runsFunction = kind === "run";
          if (kind === "cmd" && ++slot.commands >= this.#commandsPerWorker) {
            slot.draining = true;
          }
          return slot;
        }
      } else if (ahead) {
        // The worker with the fewest waiting.
        let busy: Slot | undefined;
        for (const slot of this.#slots) {
          if (slot.queued.length >= (kind === "run" ? FUNCTIONS_AHEAD : COMMANDS_AHEAD)) continue;
          if (
            kind === "run" ? !slot.runsFunction : slot.runsFunction || slot.jobs === 0 ||
              slot.commands + 1 >= this.#commandsPerWorker
          ) continue;
          if (busy === undefined || slot.queued.length < busy.queued.length) busy = slot;
        }
        if (busy !== undefined) {
          // Counted at once, so that the next job handed over now sees it.
          busy.queued.push(id);
          if (kind === "cmd") busy.commands++;
          return busy;
        }
      }
      await new Promise<void>((wake) => this.#waiting.push(wake));
    }
  }

  /**
   * Counts a job of `slot` as ended and lets a waiting one go on; a draining
   * worker whose last job this was ends (one that is started for the next
   * job takes its place).
   */
  #release(slot: Slot): void {
    this.#active--;
    slot.jobs--;
    slot.runsFunction = false;
    this.#endIfDrained(slot);
    this.#waiting.shift()?.();
  }

  /**
   * Ends `slot`'s worker once it has had its share of commands and has no
   * job left, not even one handed over behind and on its way (which the
   * worker, running nothing, hands back).
   */
  #endIfDrained(slot: Slot): void {
    const index = this.#slots.indexOf(slot);
    if (slot.draining && slot.jobs === 0 && slot.queued.length === 0 && index >= 0) {
      this.#slots.splice(index, 1);
      slot.worker.terminate();
    }
  }

  /** Job `message.id` of `slot` ended as `message` says. */
  #done(slot: Slot, pending: Pending, message: Extract<FromWorker, { type: "done" }>): void {
    // A failed command's worker, too, starts none handed over behind until told to resume.
    if (message.error !== null) return this.#failed(slot, pending, message.error);
    // The job queued behind it takes its place (its capacity stays taken): the worker names
    // the command it started in it; a function's worker starts the next function.
    const next = message.next === undefined ? -1 : slot.queued.indexOf(message.next);
    if (next >= 0) slot.queued.splice(next, 1);
    else if (slot.runsFunction && slot.queued.length > 0) slot.queued.shift();
    else this.#release(slot);
    pending.resolve(message.error);
  }

  #start(): Slot {
    const worker = new Worker(this.#entry, { type: "module" });
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const slot: Slot = {
      worker,
      ready,
      jobs: 0,
      runsFunction: false,
      commands: 0,
      draining: false,
      queued: [],
      outbox: [],
      send: undefined,
    };
    this.#started++;
    // A worker that crashed or ended is replaced; its job fails with the reason.
    let retired = false;
    const retire = (reason: string) => {
      retired = true;
      clearTimeout(slot.send);
      const unsent = new Set(slot.outbox.splice(0).map(({ id }) => id));
      const index = this.#slots.indexOf(slot);
      if (index >= 0) this.#slots.splice(index, 1);
      worker.terminate();
      markReady();
      // The jobs it ran end with the reason; those queued behind them never started.
      for (const [id, pending] of this.#pending) {
        if (pending.slot !== slot) continue;
        this.#pending.delete(id);
        pending.resolve(slot.queued.includes(id) || unsent.has(id) ? NOT_STARTED : reason);
      }
      // Its jobs, posted or not yet, are over: the capacity they held is free again.
      this.#active -= slot.jobs;
      slot.jobs = 0;
      slot.queued.length = 0;
      for (const wake of this.#waiting.splice(0)) wake();
    };
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      // A replaced worker's last words (a job's late "done", another error) count no more.
      if (retired) return;
      if (message.type === "ready") return markReady();
      if (message.type === "exit") return retire(`the stage called ${message.call}`);
      if (message.type === "crash") return retire(message.error);
      if (message.type === "stray") return this.#warn(message.message);
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      if (message.type === "log") {
        for (const line of message.lines) pending.onLog(line, message.stream);
        return;
      }
      if (message.type === "group") return pending.onGroup?.(message.group);
      this.#pending.delete(message.id);
      if (message.type === "unstarted") {
        // A job handed back (cancelled, or after a failure) frees its place behind.
        const at = slot.queued.indexOf(message.id);
        if (at >= 0) {
          slot.queued.splice(at, 1);
          this.#endIfDrained(slot);
          this.#waiting.shift()?.();
        }
        return pending.resolve(NOT_STARTED);
      }
      this.#done(slot, pending, message);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      retire(`worker crashed: ${event.message}`);
    };
    this.#slots.push(slot);
    return slot;
  }
}
