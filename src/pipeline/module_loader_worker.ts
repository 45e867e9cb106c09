/**
 * The loader worker: imports a `pipeline.ts` module away from the main
 * thread, so that the module cannot end or hang pivot, and sends its default
 * export back as plain data.
 *
 * @module
 */
import { interceptExit } from "../util/intercept_exit.ts";
import { type ModuleData, toModuleData } from "./module_data.ts";

/** The `name` of a loader worker, which tells the worker entry which role to play. */
export const MODULE_LOADER_WORKER = "pivot-module-loader";

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

/** The worker's global scope, as far as this module uses it. */
interface LoaderScope {
  postMessage(message: LoadReply): void;
  onmessage: ((event: MessageEvent<LoadRequest>) => void) | null;
  addEventListener(type: "error", listener: (event: ErrorEvent) => void): void;
  addEventListener(
    type: "unhandledrejection",
    listener: (event: PromiseRejectionEvent) => void,
  ): void;
}

/** Starts answering load requests; call once, inside a worker named {@linkcode MODULE_LOADER_WORKER}. */
export function serveModuleLoads(): void {
  const scope = globalThis as unknown as LoaderScope;
  let current = 0;
  const answer = (id: number, result: LoadResult) => {
    try {
      scope.postMessage({ ...result, id });
    } catch (error) {
      scope.postMessage({ ...failure(error), id });
    }
  };
  interceptExit((call) => scope.postMessage({ type: "exit", call }));
  // An error the module throws later (from a timer, a promise nobody awaits) fails the
  // load under way, if any, instead of being printed by Deno.
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

async function loadDefault(url: string): Promise<LoadResult> {
  try {
    const module = await import(url) as Record<string, unknown>;
    if (!("default" in module) || module["default"] === undefined) return { type: "no-default" };
    return { type: "loaded", data: toModuleData(module["default"]) };
  } catch (error) {
    return failure(error);
  }
}

function failure(error: unknown): LoadResult {
  return error instanceof Error
    ? { type: "failed", message: error.message, stack: error.stack ?? "" }
    : { type: "failed", message: String(error), stack: "" };
}
