/**
 * The messages between the coordinator and its workers.
 *
 * @module
 */
import type { Format } from "../formats/mod.ts";

/** A `cmd` stage: a shell command. */
export interface CmdJob {
  readonly kind: "cmd";
  /** DAG name, for messages. */
  readonly stage: string;
  /** The command with every `${…}` filled in. */
  readonly command: string;
  /** Working directory: the pipeline file's directory. */
  readonly cwd: string;
  /** Variables added to the process environment (`PIVOT_*`). */
  readonly env: Readonly<Record<string, string>>;
}

/** One input of a `run` stage. */
export interface RunJobDep {
  readonly name: string;
  /** True when declared as a list (the stage receives an array). */
  readonly list: boolean;
  /** Absolute path and how to load it (`null`: pass the path). */
  readonly items: readonly { readonly path: string; readonly format: Format | null }[];
}

/** One output of a `run` stage. */
export interface RunJobOut {
  /** Output key, or `null` for the single unnamed output. */
  readonly key: string | null;
  readonly path: string;
  readonly format: Format;
}

/** A `run` stage: a TypeScript function called in the worker. */
export interface RunJob {
  readonly kind: "run";
  readonly stage: string;
  /** File URL of the module. */
  readonly moduleUrl: string;
  /** Property path from the module namespace to the function. */
  readonly exportPath: readonly string[];
  readonly deps: readonly RunJobDep[];
  readonly outs: readonly RunJobOut[];
  readonly params: Readonly<Record<string, unknown>>;
  /** The stage's own name, as `ctx.stage`. */
  readonly stageName: string;
}

/** Work for a worker. */
export type StageJob = CmdJob | RunJob;

/** Coordinator → worker. */
export type ToWorker =
  | { readonly type: "job"; readonly id: number; readonly job: StageJob }
  /**
   * Several jobs at once, in the order given (`run` jobs start one after
   * another); a `cmd` job `behind` every place taken starts in the place of
   * the first command of the worker's own that ends.
   */
  | {
    readonly type: "jobs";
    readonly jobs: readonly {
      readonly id: number;
      readonly job: StageJob;
      readonly behind?: boolean;
    }[];
  }
  | { readonly type: "cancel"; readonly id: number }
  /** The coordinator knows of the failure the worker reported: `run` jobs may start again. */
  | { readonly type: "resume" };

/** Worker → coordinator. */
export type FromWorker =
  | { readonly type: "ready" }
  | {
    /** Lines a job printed on one stream, in order (all those one read brought). */
    readonly type: "log";
    readonly id: number;
    readonly lines: readonly string[];
    readonly stream: "stdout" | "stderr";
  }
  | {
    readonly type: "done";
    readonly id: number;
    readonly error: string | null;
    /** The `cmd` job handed over behind that the worker started in this one's place. */
    readonly next?: number;
  }
  /**
   * Job `id`, handed over while another ran, was not started: it was
   * cancelled, or a job failed before it started (reported first; the
   * worker starts none handed over behind until told to `resume`), or (a
   * command) no command of the worker's ran when it came, so the coordinator
   * decides again.
   */
  | { readonly type: "unstarted"; readonly id: number }
  /**
   * User code threw from a timer or callback (or left a promise rejected)
   * while `run` job `id` ran: the job failed with `error`, and the worker,
   * whose stage function may never settle, is to be replaced.
   */
  | { readonly type: "crash"; readonly id: number; readonly error: string }
  /** User code threw from a timer or callback while no `run` job ran: `message` says so. */
  | { readonly type: "stray"; readonly message: string }
  /** User code is ending the worker (`call`: `Deno.exit(3)`); sent just before it ends. */
  | { readonly type: "exit"; readonly call: string }
  | {
    /** A `cmd` job's command runs in process group `group` (its own session). */
    readonly type: "group";
    readonly id: number;
    readonly group: number;
  };
