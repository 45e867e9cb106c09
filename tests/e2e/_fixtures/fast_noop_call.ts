/**
 * Calls `runFastNoop(Deno.args)` in `Deno.cwd()` and prints the result as
 * JSON (`{code, stdout, stderr}`): the no-op stamp tests run each call in a
 * process of its own, so that the variables it reads (`PIVOT_CACHE_DIR`,
 * `XDG_CONFIG_HOME`, `NO_COLOR`) are set for it alone, never in the test
 * process that other test files share.
 *
 * @module
 */
import { runFastNoop } from "../../../src/cli/fast_noop.ts";

const stdout: string[] = [];
const stderr: string[] = [];
const code = runFastNoop(Deno.args, {
  stdout: (text) => stdout.push(text),
  stderr: (text) => stderr.push(text),
  cwd: Deno.cwd(),
});
const data = new TextEncoder().encode(
  JSON.stringify({ code, stdout: stdout.join(""), stderr: stderr.join("") }),
);
for (let at = 0; at < data.length;) at += Deno.stdout.writeSync(data.subarray(at));
