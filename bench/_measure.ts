/**
 * Timing and statistics shared by the benchmarks: wall time of a process
 * (with its peak memory from `/usr/bin/time` when installed), medians and
 * paired ratios.
 *
 * @module
 */

/** One timed run. */
export interface Sample {
  /** Wall time in milliseconds, from before the spawn to after the exit. */
  readonly ms: number;
  /** Peak resident memory of the process in MB (`/usr/bin/time`'s `%M`), when measured. */
  readonly peakMb: number | null;
}

/** A program and its arguments. */
export interface Invocation {
  readonly command: string;
  readonly args: readonly string[];
}

/** The median of `values` (the mean of the two middle ones of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

/**
 * The ratio of each pair `a[i] / b[i]` (pairs measured side by side in one
 * round), for the rounds both series have.
 */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  return Array.from({ length: Math.min(a.length, b.length) }, (_, i) => a[i]! / b[i]!);
}

/** Milliseconds `work` takes. */
export async function timeIt(work: () => unknown): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

const HAS_TIME = (() => {
  try {
    return Deno.statSync("/usr/bin/time").isFile;
  } catch {
    return false;
  }
})();

/**
 * The environment every benchmarked process gets: this one without Make's
 * variables (`MAKEFLAGS`, `MFLAGS`, `MAKELEVEL`, `GNUMAKEFLAGS`, `MAKEFILES`:
 * an outer `make` must not switch rules or jobs on) and with Deno's update
 * check and colours off.
 */
export function benchEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of ["MAKEFLAGS", "MFLAGS", "MAKELEVEL", "GNUMAKEFLAGS", "MAKEFILES"]) {
    delete env[name];
  }
  return { ...env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
}

/** Options of {@linkcode timeRun}. */
export interface TimeRunOptions {
  /** The exit code the run must end with. @default {0} */
  readonly expect?: number;
  /** Variables added to {@linkcode benchEnv}. @default {{}} */
  readonly env?: Record<string, string>;
}

/**
 * Runs `invocation` in `cwd` with {@linkcode benchEnv}, under `/usr/bin/time`
 * when installed (for every tool alike), and returns its wall time and peak
 * memory. Output goes to /dev/null (stderr is kept for the error message);
 * an exit code other than `expect` throws.
 */
export async function timeRun(
  invocation: Invocation,
  cwd: string,
  options: TimeRunOptions = {},
): Promise<Sample> {
  const { expect = 0, env = {} } = options;
  const { command, args } = invocation;
  const start = performance.now();
  const output = await new Deno.Command(HAS_TIME ? "/usr/bin/time" : command, {
    args: HAS_TIME ? ["-f", "PEAK_KB=%M", command, ...args] : [...args],
    cwd,
    env: { ...benchEnv(), ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const elapsed = performance.now() - start;
  const stderr = new TextDecoder().decode(output.stderr);
  if (output.code !== expect) {
    throw new Error(
      `${command} ${args.join(" ")} in ${cwd} exited ${output.code}: ${stderr.slice(-2000)}`,
    );
  }
  const peak = /PEAK_KB=(\d+)\s*$/.exec(stderr);
  return { ms: elapsed, peakMb: peak === null ? null : Number(peak[1]) / 1024 };
}

/** `1234.5` → `1,235 ms`. */
export function ms(value: number): string {
  return `${Math.round(value).toLocaleString("en")} ms`;
}
