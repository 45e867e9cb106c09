/**
 * Timing helpers shared by the benchmarks.
 *
 * @module
 */

/** The median of `values`. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Milliseconds `work` takes. */
export async function timeIt(work: () => unknown): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** Runs `deno <args>` in `cwd` and returns its wall time in milliseconds. */
export async function timeProcess(args: string[], cwd: string): Promise<number> {
  const start = performance.now();
  const { code } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdout: "null",
    stderr: "null",
  }).output();
  if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}`);
  return performance.now() - start;
}

/** Runs a command and returns its wall time in milliseconds. */
export async function timeCommand(command: string, args: string[], cwd: string): Promise<number> {
  const start = performance.now();
  const { code, stderr } = await new Deno.Command(command, { args, cwd, stdout: "null" })
    .output();
  if (code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited ${code}: ${new TextDecoder().decode(stderr)}`,
    );
  }
  return performance.now() - start;
}

/** `1234.5` → `1,235 ms`. */
export function ms(value: number): string {
  return `${Math.round(value).toLocaleString("en")} ms`;
}
