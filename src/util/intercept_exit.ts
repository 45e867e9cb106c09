/**
 * Makes a Web Worker say so before user code ends it. `Deno.exit()` in a
 * worker ends only that worker, silently: its parent gets no event and would
 * wait for an answer forever.
 *
 * @module
 */

/** The parts of a worker's global scope that can end it. */
interface EndingScope {
  close?: () => void;
  process?: { exit?: (code?: number) => never };
}

/**
 * Replaces `Deno.exit`, node's `process.exit` and the worker's `close` with
 * functions that first call `report` with the call as written
 * (`Deno.exit(3)`, `process.exit()`, `self.close()`), then end the worker as
 * the original would.
 *
 * @param report Called synchronously, e.g. to post a message to the parent.
 */
export function interceptExit(report: (call: string) => void): void {
  const scope = globalThis as unknown as EndingScope;
  const exit = Deno.exit;
  const written = (code: unknown) => (code === undefined ? "" : String(code));
  Object.assign(Deno, {
    exit: (code?: number): never => {
      report(`Deno.exit(${written(code)})`);
      return exit(code);
    },
  });
  const process = scope.process;
  if (typeof process?.exit === "function") {
    // Straight to the original Deno.exit, so the call is reported once.
    process.exit = (code?: number): never => {
      report(`process.exit(${written(code)})`);
      return exit(typeof code === "number" ? code : undefined);
    };
  }
  const close = scope.close;
  if (typeof close === "function") {
    scope.close = () => {
      report("self.close()");
      close.call(globalThis);
    };
  }
}
