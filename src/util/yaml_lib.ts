/**
 * The `yaml` package, as every pivot module imports it. Importing it costs
 * 20–40 ms (about seventy CommonJS files), so the modules on the way of a
 * run after a change (`main.ts` → `cli/fast_repro.ts`) import this module
 * only when a text must be parsed (a config file, a `params.yaml`, a
 * pipeline file the parse cache does not hold, a `.pvt` file), with
 * `await import("…/util/yaml_lib.ts")`.
 *
 * Loading it replaces `process.env` by a plain copy of itself, outside a
 * worker: the package reads `process.env.LOG_TOKENS` for every token, and
 * Deno's `process.env` asks the operating system each time; a plain copy
 * makes that free. pivot never sets variables through `process.env`, and
 * child processes get Deno's own environment. It is done here, not when
 * pivot starts, because `node:process` costs ~8 ms to load, which the
 * package loads anyway and a run that parses no YAML (after a change) never
 * needs. Never in a worker (a stage worker, the module loader's), whose
 * user code may set variables and read them back through `process.env`.
 *
 * @module
 */
import process from "node:process";

export * from "yaml";

if (!inWorker()) process.env = { ...process.env };

/** True in a Web Worker (a stage worker, the pipeline module loader), false on the main thread. */
function inWorker(): boolean {
  const scope = globalThis as unknown as { WorkerGlobalScope?: unknown };
  return typeof scope.WorkerGlobalScope === "function" &&
    globalThis instanceof (scope.WorkerGlobalScope as new () => unknown);
}
