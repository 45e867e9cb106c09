/**
 * Reading a `times.log` that test stages and commands append to: one
 * `<tag> start|end <time>` line as each starts and ends.
 *
 * @module
 */
import * as path from "node:path";

/** The `[start, end]` times each tag noted in times-log `text`, in the order first noted. */
export function parseTimesLog(text: string): Map<string, [number, number]> {
  const times = new Map<string, [number, number]>();
  for (const line of text.trim().split("\n").filter((line) => line !== "")) {
    const [tag, what, at] = line.split(" ");
    const entry = times.get(tag!) ?? [NaN, NaN];
    entry[what === "start" ? 0 : 1] = Number(at);
    times.set(tag!, entry);
  }
  return times;
}

/** The `[start, end]` times (ms) each tag noted in `<dir>/times.log`, in the order first noted. */
export async function intervals(dir: string): Promise<Map<string, [number, number]>> {
  return parseTimesLog(await Deno.readTextFile(path.join(dir, "times.log")));
}

/** The most intervals that overlap at one moment (one ending as another starts: not both). */
export function mostAtOnce(times: Iterable<[number, number]>): number {
  const edges = [...times].flatMap(([start, end]) => [[start, 1], [end, -1]] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, now += step);
  return most;
}
