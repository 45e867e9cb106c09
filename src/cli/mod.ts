/**
 * The command line: command tree, renderers, exit statuses, completions.
 *
 * @module
 */
export { processIo } from "./cli_context.ts";
export { EXIT, runCli, VERSION } from "./run_cli.ts";
