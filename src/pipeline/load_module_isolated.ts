import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { PipelineFileError } from "../util/errors.ts";
import { firstLine, stripAnsi } from "../util/first_line.ts";
import { isInside } from "../util/paths.ts";
import { DEFAULT_LOAD_TIMEOUT } from "./default_load_timeout.ts";
import { fromModuleData } from "./module_data.ts";
import {
  type LoadReply,
  type LoadRequest,
  type LoadResult,
  moduleLoaderSource,
} from "./module_loader_worker.ts";

/** Options for {@linkcode IsolatedModuleLoader}. */
export interface IsolatedModuleLoaderOptions {
  /** Seconds a module may take to load before its worker is stopped. @default {60} */
  timeout?: number;
  /**
   * Stops a load under way (its worker with it) and the loads after it:
   * the command was stopped (Ctrl-C, SIGTERM). @default {none}
   */
  signal?: AbortSignal;
}

/** How a load ended, as the main thread sees it. */
type Outcome =
  | LoadResult
  | { readonly type: "exit"; readonly call: string }
  | { readonly type: "stopped" }
  | { readonly type: "crashed"; readonly message: string; readonly at: string };

/**
 * Loads `pipeline.ts` modules in a Web Worker, so that a module that calls
 * `Deno.exit`, throws from a getter or never finishes loading is an error
 * naming the file instead of the end (or hang) of pivot. One worker serves
 * every load until it is closed; a worker that ended or timed out is replaced
 * on the next load.
 */
export class IsolatedModuleLoader implements Disposable {
  readonly #timeout: number;
  readonly #signal: AbortSignal | undefined;
  #worker: Worker | null = null;
  /** The load under way: its request id and how to settle it. */
  #pending: { readonly id: number; readonly settle: (outcome: Outcome) => void } | null = null;
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();

  /** Creates a loader; its worker starts on the first load. */
  constructor(options: IsolatedModuleLoaderOptions = {}) {
    const { timeout = DEFAULT_LOAD_TIMEOUT, signal } = options;
    this.#timeout = timeout;
    this.#signal = signal;
  }

  /**
   * The default export of `file`, as plain data in which functions (and any
   * other value that is not plain data) stand as `ModuleValue`s. Loads run
   * one at a time.
   *
   * @throws {PipelineFileError} naming the file when the module cannot be
   *   loaded, or when the signal stopped its load
   */
  loadDefinition(file: string, projectRoot: string): Promise<unknown> {
    const load = this.#queue.then(() => this.#load(file, projectRoot));
    this.#queue = load.catch(() => {});
    return load;
  }

  /** Stops the worker. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  async #load(file: string, projectRoot: string): Promise<unknown> {
    const displayFile = path.relative(projectRoot, file) || path.basename(file);
    const signal = this.#signal;
    if (signal?.aborted) throw loadStopped(file, displayFile);
    const worker = this.#worker ?? this.#start();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A module that never finishes loading would otherwise hold a stopped command until the
    // timeout: its worker is stopped at once.
    const stop = () => {
      this.close();
      this.#pending?.settle({ type: "stopped" });
    };
    const id = this.#nextId++;
    const outcome = await new Promise<Outcome | null>((resolve) => {
      this.#pending = { id, settle: resolve };
      timer = setTimeout(() => resolve(null), this.#timeout * 1000);
      signal?.addEventListener("abort", stop);
      worker.postMessage({ id, url: pathToFileURL(file).href } satisfies LoadRequest);
    }).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", stop);
      this.#pending = null;
    });
    if (outcome === null) {
      this.close();
      throw new PipelineFileError(
        file,
        `the pipeline module did not finish loading within ${this.#timeout} s (core.load_timeout)`,
        {
          displayFile,
          hint:
            "look for a top-level await that never settles or a loop that never ends; if the module needs longer, raise core.load_timeout (seconds) in .pivot/config.yaml",
        },
      );
    }
    switch (outcome.type) {
      case "stopped":
        throw loadStopped(file, displayFile);
      case "loaded":
        return fromModuleData(outcome.data);
      case "no-default":
        throw new PipelineFileError(file, "the module has no default export", {
          displayFile,
          hint: "write 'export default { stages: { … } } satisfies PipelineDefinition'",
        });
      case "failed":
        throw moduleLoadError(outcome.message, outcome.stack, file, displayFile, projectRoot);
      case "crashed":
        throw moduleLoadError(outcome.message, outcome.at, file, displayFile, projectRoot);
      case "exit":
        throw new PipelineFileError(
          file,
          `the pipeline module called ${outcome.call} while loading`,
          {
            displayFile,
            hint:
              "a pipeline module only defines the pipeline: remove the call (throw an Error to report a problem)",
          },
        );
    }
  }

  #start(): Worker {
    const source = `data:text/javascript,${encodeURIComponent(moduleLoaderSource())}`;
    const worker = new Worker(source, { type: "module", name: "pivot-module-loader" });
    // A worker that ended (or crashed) is not reused, even when it did so between loads;
    // a stopped worker's last words are ignored.
    worker.onmessage = (event: MessageEvent<LoadReply>) => {
      if (this.#worker !== worker) return;
      const reply = event.data;
      if (reply.type === "exit") {
        this.close();
        this.#pending?.settle(reply);
      } else if (reply.id === this.#pending?.id) this.#pending.settle(reply);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      if (this.#worker !== worker) return;
      this.close();
      this.#pending?.settle({
        type: "crashed",
        message: event.message,
        at: `${event.filename}:${event.lineno}:${event.colno}`,
      });
    };
    this.#worker = worker;
    return worker;
  }
}

/** The error of a load the signal stopped. */
function loadStopped(file: string, displayFile: string): PipelineFileError {
  return new PipelineFileError(
    file,
    "loading the pipeline module stopped: the command was stopped",
    {
      displayFile,
    },
  );
}

const FILE_POSITION = /file:\/\/(\/[^\s)'"]+?):(\d+):(\d+)/g;

/**
 * An error thrown while importing a pipeline module, located at the first
 * place in the project's own files that Deno's message or the stack names.
 */
function moduleLoadError(
  message: string,
  stack: string,
  file: string,
  displayFile: string,
  projectRoot: string,
): PipelineFileError {
  const detail = `cannot load the pipeline module: ${
    firstLine(message).replace(/\s+at file:\/\/\S+$/, "")
  }`;
  for (const match of stripAnsi(`${message}\n${stack}`).matchAll(FILE_POSITION)) {
    const where = decodeURIComponent(match[1]!);
    if (!isInside(projectRoot, where)) continue;
    return new PipelineFileError(where, detail, {
      displayFile: path.relative(projectRoot, where),
      line: Number(match[2]),
      column: Number(match[3]),
    });
  }
  return new PipelineFileError(file, detail, { displayFile });
}
