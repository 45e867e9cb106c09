/**
 * Makes a Web Worker say so before user code ends it. `Deno.exit()` in a
 * worker ends only that worker, silently: its parent gets no event and would
 * wait for an answer forever.
 *
 * @module
 */

/** Node's `process`, as far as ending a worker goes. */
interface NodeProcess {
  exit?: (code?: number) => never;
  /** Set by node's own `exit` before it calls `Deno.exit` (Deno's node layer). */
  _exiting?: unknown;
  exitCode?: unknown;
}

/** The parts of a worker's global scope that can end it. */
export interface EndingScope {
  Deno: { exit: (code?: number) => never };
  close?: () => void;
  process?: NodeProcess;
}

/**
 * Replaces `Deno.exit`, node's `process.exit` and the worker's `close` with
 * functions that first call `report` with the call as written
 * (`Deno.exit(3)`, `process.exit()`, `self.close()`), then end the worker as
 * the original would.
 *
 * Node's `process` is not made for this: Deno makes it on first use, which
 * costs a worker several milliseconds of its start (most stages never use
 * it). Its `exit` is replaced when code first reads the global `process`;
 * a module that imports `node:process` instead gets node's own `exit`,
 * which ends in `Deno.exit`, reported then as `process.exit(<code>)`.
 *
 * Every identifier this function uses is a parameter, a global or its own:
 * it also runs as source text (see `module_loader_worker.ts`).
 *
 * @param report Called synchronously, e.g. to post a message to the parent.
 * @param scope The worker's global scope.
 */
export function interceptExit(
  report: (call: string) => void,
  scope: EndingScope = globalThis as unknown as EndingScope,
): void {
  const exit = scope.Deno.exit;
  const written = (code: unknown) => (code === undefined ? "" : String(code));
  Object.assign(scope.Deno, {
    exit: (code?: number): never => {
      // Read only now: node's `exit` sets `_exiting` before it calls this one.
      const process = scope.process;
      report(
        process?._exiting === true
          ? `process.exit(${written(process.exitCode)})`
          : `Deno.exit(${written(code)})`,
      );
      return exit(code);
    },
  });
  const wrapped = new WeakSet<object>();
  const wrap = (process: NodeProcess | undefined) => {
    if (typeof process?.exit !== "function" || wrapped.has(process)) return;
    wrapped.add(process);
    // Straight to the original Deno.exit, so the call is reported once.
    process.exit = (code?: number): never => {
      report(`process.exit(${written(code)})`);
      return exit(typeof code === "number" ? code : undefined);
    };
  };
  const global = Object.getOwnPropertyDescriptor(scope, "process");
  if (global?.get !== undefined && global.configurable === true) {
    const get = global.get;
    Object.defineProperty(scope, "process", {
      configurable: true,
      enumerable: global.enumerable ?? false,
      get() {
        const process = get.call(scope) as NodeProcess | undefined;
        wrap(process);
        return process;
      },
      ...(global.set === undefined ? {} : { set: global.set }),
    });
  } else wrap(scope.process);
  const close = scope.close;
  if (typeof close === "function") {
    scope.close = () => {
      report("self.close()");
      close.call(scope);
    };
  }
}
