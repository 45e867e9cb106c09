/**
 * The loader worker: imports a `pipeline.ts` module away from the main
 * thread, so that the module cannot end or hang pivot, and sends its default
 * export back as data.
 *
 * The worker runs from a `data:` URL holding the source text of
 * {@linkcode serveModuleLoads} and the functions it calls, so it starts in a
 * few milliseconds (a worker started from a bundled or compiled pivot's main
 * module first evaluates all of pivot) and needs no entry file. Those
 * functions may therefore use only their parameters, globals and each other.
 *
 * @module
 */
import { interceptExit } from "../util/intercept_exit.ts";
import { type ModuleData, toModuleData } from "./module_data.ts";
import { isPlainObject } from "./params.ts";

/** Main thread → loader worker: the file URL of the module to load. */
export interface LoadRequest {
  /** Answered with the same `id`. */
  readonly id: number;
  readonly url: string;
}

/** What became of one load. */
export type LoadResult =
  | { readonly type: "loaded"; readonly data: ModuleData }
  | { readonly type: "no-default" }
  | { readonly type: "failed"; readonly message: string; readonly stack: string };

/**
 * Loader worker → main thread: the result of request `id`, or word that the
 * module is ending the worker (sent just before it ends).
 */
export type LoadReply =
  | LoadResult & { readonly id: number }
  | { readonly type: "exit"; readonly call: string };

/** The worker's global scope, as far as the loader uses it. */
interface LoaderScope {
  postMessage(message: LoadReply): void;
  onmessage: ((event: MessageEvent<LoadRequest>) => void) | null;
  addEventListener(type: "error", listener: (event: ErrorEvent) => void): void;
  addEventListener(
    type: "unhandledrejection",
    listener: (event: PromiseRejectionEvent) => void,
  ): void;
}

/** The source of a loader worker's module: the functions it runs, then the call that starts it. */
export function moduleLoaderSource(): string {
  // Function declarations keep their (possibly bundler-renamed) names in their text, and
  // references to them are renamed alike, so the pieces fit together in every build.
  const helpers = [interceptExit, isPlainObject, toModuleData].map(String).join("\n");
  return `${helpers}\n(${serveModuleLoads})();\n`;
}

/**
 * Answers load requests: imports the module, copies its default export with
 * `toModuleData` and posts the result. Runs inside the loader worker only.
 */
export function serveModuleLoads(): void {
  const scope = globalThis as unknown as LoaderScope;
  const failure = (error: unknown): LoadResult =>
    error instanceof Error
      ? { type: "failed", message: error.message, stack: error.stack ?? "" }
      : { type: "failed", message: String(error), stack: "" };
  const loadDefault = async (url: string): Promise<LoadResult> => {
    try {
      const module = await import(url) as Record<string, unknown>;
      // A timer the module set with no delay while loading fires now, so its error fails
      // the load instead of surfacing later, in a stage's worker.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (!("default" in module) || module["default"] === undefined) return { type: "no-default" };
      return { type: "loaded", data: toModuleData(module["default"]) };
    } catch (error) {
      return failure(error);
    }
  };
  /** The load under way (0: none); each load is answered once. */
  let current = 0;
  const answer = (id: number, result: LoadResult) => {
    if (id !== current) return;
    current = 0;
    try {
      scope.postMessage({ ...result, id });
    } catch (error) {
      scope.postMessage({ ...failure(error), id });
    }
  };
  interceptExit((call) => scope.postMessage({ type: "exit", call }));
  // An error the module throws later (from a timer, a promise nobody awaits) fails the
  // load under way, if any; either way it is not printed by Deno.
  scope.addEventListener("error", (event) => {
    event.preventDefault();
    answer(current, failure(event.error ?? event.message));
  });
  scope.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    answer(current, failure(event.reason));
  });
  scope.onmessage = async (event) => {
    current = event.data.id;
    answer(event.data.id, await loadDefault(event.data.url));
  };
}
