/**
 * pivot's entry point: runs the command line and exits with its status.
 *
 * @module
 */
import { processIo, runCli } from "./src/cli/mod.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, processIo()));
}
