/**
 * Running the CLI inside the test process: the same steps as `main.ts` (the
 * no-op fast path; for a command line it reads (a fresh run, or after a
 * change it found), the run without the command tree, `runFastRepro`; a
 * status line from the run's stamp, `runFastStatus`; else
 * `runCli(args, io)`), the same command tree, parsing, rendering and exit
 * codes as a spawned pivot, without the 0.2–0.4 s of a process start. Use
 * `runPivot` (a real process) only for what needs one: signals,
 * concurrency, exit of the process itself, variables read by child
 * processes or the AWS SDK, the bundle.
 *
 * The variables pivot reads come from `env` laid over the test process's
 * environment (which tests never change: `deno test --parallel` runs test
 * files as threads of one process, sharing one environment).
 *
 * @module
 */
import type { CliIo } from "../../src/cli/cli_context.ts";
import { parseFastCommand, runFastNoop, type StampLook } from "../../src/cli/fast_noop.ts";
import type { CliResult } from "./project.ts";

/** What `runFastNoop` returned (`null`: the full command line must run) and printed. */
export interface FastNoopResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `pivot ...args` in `cwd` in this process and returns what it printed.
 * Like `runPivot`, pivot sees `NO_COLOR=1` and the variables of `env` on top
 * of the test process's environment, and stdout is not a terminal; unlike
 * it, stage commands run with the test process's own environment.
 * `onStderr` is told each piece of stderr as it is printed (to act on a
 * `waiting:` line while the command still runs).
 */
export async function runPivotInProcess(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
  onStderr: (text: string) => void = () => {},
): Promise<CliResult> {
  const { io, printed } = capturingIo(cwd, env, onStderr);
  let look: StampLook | undefined;
  const fast = runFastNoop(args, io, (found) => (look = found));
  if (fast !== null) return { code: fast, ...printed() };
  // As main.ts, each way imported when taken (a test file that never takes one does not load
  // it).
  let code: number | null = null;
  if (parseFastCommand(args) !== null) {
    // A command line the fast path reads (a fresh run, or after a change it found) runs
    // without the command tree.
    code = await (await import("../../src/cli/fast_repro.ts")).runFastRepro(args, io, look);
  } else if (args.includes("status")) {
    code = (await import("../../src/cli/fast_status.ts")).runFastStatus(args, io);
  }
  code ??= await (await import("../../src/cli/run_cli.ts")).runCli(args, io);
  return { code, ...printed() };
}

/**
 * Calls `runFastNoop(args)` alone, as `main.ts` does first, in `cwd` with the
 * variables of `env` (and `NO_COLOR=1`).
 */
export function runFastNoopInProcess(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): FastNoopResult {
  const { io, printed } = capturingIo(cwd, env);
  const code = runFastNoop(args, io);
  return { code, ...printed() };
}

/**
 * An IO that records what is printed, with `env` over this process's
 * variables; `onStderr` is told each piece of stderr.
 */
function capturingIo(
  cwd: string,
  env: Record<string, string>,
  onStderr: (text: string) => void = () => {},
): { io: CliIo; printed: () => { stdout: string; stderr: string } } {
  const vars: Record<string, string> = { NO_COLOR: "1", ...env };
  let stdout = "";
  let stderr = "";
  return {
    io: {
      cwd,
      stdout: (text) => (stdout += text),
      stderr: (text) => {
        stderr += text;
        onStderr(text);
      },
      env: (name) => Object.hasOwn(vars, name) ? vars[name] : Deno.env.get(name),
      isTerminal: () => false,
    },
    printed: () => ({ stdout, stderr }),
  };
}
