/** True when this code runs inside a Web Worker (a stage worker of the pool). */
export function isWorkerContext(): boolean {
  const scope = globalThis as unknown as { WorkerGlobalScope?: unknown };
  return typeof scope.WorkerGlobalScope === "function" &&
    globalThis instanceof (scope.WorkerGlobalScope as new () => unknown);
}
