/**
 * Reading the `times.log` the test stage functions of the worker-pool tests
 * append to: one `<tag> start|end <ms>` line as each starts and ends.
 *
 * @module
 */
import * as path from "node:path";

/** The `[start, end]` times (ms) each tag noted in `<dir>/times.log`, in the order first noted. */
export async function intervals(dir: string): Promise<Map<string, [number, number]>> {
  const times = new Map<string, [number, number]>();
  const text = await Deno.readTextFile(path.join(dir, "times.log"));
  for (const line of text.trim().split("\n")) {
    const [tag, what, at] = line.split(" ");
    const entry = times.get(tag!) ?? [NaN, NaN];
    entry[what === "start" ? 0 : 1] = Number(at);
    times.set(tag!, entry);
  }
  return times;
}
