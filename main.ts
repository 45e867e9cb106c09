/**
 * pivot's entry point: runs the command line and exits with its status, or,
 * inside a stage worker, serves jobs, or, started by watch mode with its
 * hidden argument, serves as the file-watching child.
 *
 * @module
 */
import { processIo } from "./src/cli/cli_context.ts";
import { parseFastCommand, runFastNoop, type StampLook } from "./src/cli/fast_noop.ts";
import { runWatchChild, WATCH_CHILD_ARG } from "./src/engine/watch_child.ts";
import { isWorkerContext } from "./src/engine/worker_context.ts";

// A bundled or compiled pivot starts its stage workers from this same module.
if (isWorkerContext()) (await import("./src/engine/worker_main.ts")).startWorker();
else if (import.meta.main) await runMain();

/** Runs the command line (or watch mode's child) and exits with its status. */
async function runMain(): Promise<never> {
  // Deno stores a module's V8 code cache from the event loop once the module is compiled; a
  // start that exits before the loop's first turn stores none, and the bundle (one module of
  // several MB) would then be parsed in full at every start.
  await new Promise((resolve) => setTimeout(resolve, 0));
  // A bundled or compiled pivot starts watch mode's child from this same module.
  if (Deno.args[0] === WATCH_CHILD_ARG) Deno.exit(await runWatchChild(Deno.args.slice(1)));
  const io = processIo();
  // A repro with nothing to do is answered before the rest of pivot is loaded; after
  // a change, the full way starts from what the fast path found changed.
  let look: StampLook | undefined;
  const fast = runFastNoop(Deno.args, io, (found) => (look = found));
  if (fast !== null) Deno.exit(fast);
  // A plain repro or run (a fresh one, or after a change) goes without the command tree.
  if (parseFastCommand(Deno.args) !== null) {
    const { runFastRepro } = await import("./src/cli/fast_repro.ts");
    const code = await runFastRepro(Deno.args, io, look);
    if (code !== null) Deno.exit(code);
  } else if (Deno.args.includes("status")) {
    // A status right after a run is answered from the run's stamp, before the pipeline loads.
    const { runFastStatus } = await import("./src/cli/fast_status.ts");
    const code = runFastStatus(Deno.args, io);
    if (code !== null) Deno.exit(code);
  }
  const { runCli } = await import("./src/cli/run_cli.ts");
  Deno.exit(await runCli(Deno.args, io));
}
