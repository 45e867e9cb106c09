import assert from "node:assert/strict";
import { type EndingScope, interceptExit } from "../../src/util/intercept_exit.ts";

/** A stand-in for a worker's scope: its `Deno.exit` records instead of ending anything. */
function fakeScope() {
  const exits: (number | undefined)[] = [];
  const nodeExits: (number | undefined)[] = [];
  let made = 0;
  const process: { exit: (code?: number) => never; _exiting?: boolean; exitCode?: number } = {
    exit: (code?: number): never => {
      nodeExits.push(code);
      // Node's own exit as Deno's node layer has it: flags itself, then ends in Deno.exit.
      process._exiting = true;
      process.exitCode = code ?? 0;
      return scope.Deno.exit(process.exitCode);
    },
  };
  const scope = {
    Deno: { exit: (code?: number): never => (exits.push(code), undefined as never) },
    close: () => {},
  } as EndingScope;
  Object.defineProperty(scope, "process", {
    configurable: true,
    enumerable: true,
    get: () => {
      made++;
      return process;
    },
  });
  return { scope, process, exits, nodeExits, made: () => made };
}

Deno.test("interceptExit() reports each way of ending a worker, without making node's process ahead of use", () => {
  const { scope, exits, made } = fakeScope();
  const reports: string[] = [];
  interceptExit((call) => reports.push(call), scope);
  assert.equal(made(), 0, "node's process is made only when code asks for it");
  scope.Deno.exit(3);
  scope.Deno.exit();
  scope.close!();
  assert.deepEqual(reports, ["Deno.exit(3)", "Deno.exit()", "self.close()"]);
  assert.deepEqual(exits, [3, undefined]);
});

Deno.test("interceptExit() reports process.exit() as written through the global, and by its code through node:process", () => {
  const global = fakeScope();
  const reports: string[] = [];
  interceptExit((call) => reports.push(call), global.scope);
  global.scope.process!.exit!();
  global.scope.process!.exit!(6);
  assert.deepEqual(reports, ["process.exit()", "process.exit(6)"]);
  assert.deepEqual(global.exits, [undefined, 6], "straight to Deno.exit, reported once");
  assert.deepEqual(global.nodeExits, [], "node's own exit is not called");

  // A module that imports node:process holds the object without reading the global.
  const imported = fakeScope();
  const importedReports: string[] = [];
  interceptExit((call) => importedReports.push(call), imported.scope);
  imported.process.exit(4);
  assert.deepEqual(importedReports, ["process.exit(4)"]);
  assert.deepEqual(imported.exits, [4]);
});
