/**
 * Running `cmd` jobs from the coordinator's own thread. A `cmd` job only
 * starts a process and reads its output, which needs no worker; starting the
 * pool's workers costs tens of milliseconds each, more than the jobs of a run
 * with only a few stages to run (an incremental run after a change). `run`
 * jobs still go to a worker, for isolation: the pool is started only when
 * one comes.
 *
 * @module
 */
import { findShells, newReadBuffers, runCommand, type Shells } from "./run_command.ts";
import type { StageJob } from "./stage_job.ts";
import type { AheadOutcome, JobOutcome, JobRunner } from "./worker_pool.ts";

/** A command under way: how to stop it, and how to end its job early. */
interface RunningCommand {
  stop: () => void;
  readonly resolve: (outcome: JobOutcome) => void;
}

/**
 * Runs `cmd` jobs itself (in a process group of their own, output streamed
 * as lines, as a pool worker does) and hands `run` jobs to the pool `pool()`
 * returns, asked for on the first `run` job.
 */
export class InlineCommands implements JobRunner {
  readonly #pool: () => JobRunner;
  readonly #running = new Set<RunningCommand>();
  #shells: Shells | null = null;
  #used: JobRunner | null = null;
  #closed = false;

  /** Runs commands itself; `pool` provides the workers for `run` jobs. */
  constructor(pool: () => JobRunner) {
    this.#pool = pool;
  }

  /** Runs `job`: a command here, a function on a pool worker. */
  run(
    job: StageJob,
    onLog: (line: string, stream: "stdout" | "stderr") => void,
    onGroup?: (group: number) => void,
  ): Promise<JobOutcome> {
    if (this.#closed) return Promise.reject(new Error("worker pool is closed"));
    if (job.kind === "run") return (this.#used ??= this.#pool()).run(job, onLog, onGroup);
    const shells = this.#shells ??= findShells();
    return new Promise<JobOutcome>((resolve) => {
      const running: RunningCommand = { stop: () => {}, resolve };
      this.#running.add(running);
      runCommand(
        job,
        shells,
        newReadBuffers(),
        (lines, stream) => lines.forEach((line) => onLog(line, stream)),
        (stop) => (running.stop = stop),
        (group) => onGroup?.(group),
      ).then(resolve, (error) => resolve(String(error))).finally(() => {
        this.#running.delete(running);
      });
    });
  }

  /**
   * Runs a command here, at once (so `commandsAhead` is not set); hands `run`
   * job `job` to the pool (see `WorkerPool.runAhead`).
   */
  runAhead(
    job: StageJob,
    onLog: (line: string, stream: "stdout" | "stderr") => void,
    onGroup?: (group: number) => void,
  ): Promise<AheadOutcome> {
    if (this.#closed) return Promise.reject(new Error("worker pool is closed"));
    if (job.kind === "cmd") return this.run(job, onLog, onGroup);
    const pool = this.#used ??= this.#pool();
    return pool.runAhead?.(job, onLog) ?? pool.run(job, onLog);
  }

  /** Sends every running command's process group SIGTERM (and cancels the pool's jobs). */
  cancelAll(): void {
    for (const running of this.#running) running.stop();
    this.#used?.cancelAll();
  }

  /** Ends every pending job with "interrupted" and closes the pool, if one was started. */
  close(): void {
    this.#closed = true;
    for (const running of this.#running) running.resolve("interrupted");
    this.#running.clear();
    this.#used?.close();
  }
}
