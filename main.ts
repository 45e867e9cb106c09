/**
 * pivot's entry point: runs the command line and exits with its status, or,
 * inside a stage worker, serves jobs.
 *
 * @module
 */
import process from "node:process";
import { processIo, runCli } from "./src/cli/mod.ts";
import { isWorkerContext } from "./src/engine/worker_context.ts";

// npm:yaml reads process.env.LOG_TOKENS for every token, and Deno's process.env
// asks the OS each time: a snapshot makes that free (pivot never sets variables
// through process.env; child processes get Deno's own environment).
process.env = { ...process.env };

// A bundled or compiled pivot starts its stage workers from this same module.
if (isWorkerContext()) (await import("./src/engine/worker_main.ts")).startWorker();
else if (import.meta.main) Deno.exit(await runCli(Deno.args, processIo()));
