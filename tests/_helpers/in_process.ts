/**
 * Running the CLI inside the test process through `runCli(args, io)`: the
 * same command tree, parsing, rendering and exit codes as a spawned pivot,
 * without the 0.2–0.4 s of a process start. Use `runPivot` (a real process)
 * only for what needs one: signals, concurrency, exit of the process itself,
 * environment variables, the bundle.
 *
 * @module
 */
import { runCli } from "../../src/cli/run_cli.ts";
import type { CliResult } from "./project.ts";

/** Runs `pivot ...args` in `cwd` in this process and returns what it printed. */
export async function runPivotInProcess(
  cwd: string,
  args: readonly string[],
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    cwd,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}
