/**
 * pivot's entry point: runs the command line and exits with its status, or,
 * inside a stage worker, serves jobs.
 *
 * @module
 */
import { processIo, runCli } from "./src/cli/mod.ts";
import { isWorkerContext, startWorker } from "./src/engine/worker_main.ts";

// A bundled or compiled pivot starts its stage workers from this same module.
if (isWorkerContext()) startWorker();
else if (import.meta.main) Deno.exit(await runCli(Deno.args, processIo()));
