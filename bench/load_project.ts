/**
 * Loading a project (discover, validate, build the DAG) at 100, 1,000 and
 * 10,000 stages, in-process and as a whole `pivot list` process, next to a
 * bare `deno run` of an empty script.
 *
 * @module
 */
import * as path from "node:path";
import { openProject } from "../src/project/mod.ts";
import { fanInPipeline } from "./generate.ts";
import { median, timeProcess } from "./_measure.ts";
import { discard } from "./_trash.ts";

const ROOT = path.resolve(import.meta.dirname!, "..");
const SIZES = [100, 1_000, 10_000];
const REPEATS = 5;

async function makeBenchProject(n: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `pivot_bench_${n}_` });
  await Deno.mkdir(path.join(dir, ".pivot"));
  await Deno.mkdir(path.join(dir, "inputs"));
  await Promise.all(
    Array.from(
      { length: n },
      (_, i) => Deno.writeTextFile(path.join(dir, "inputs", `${i}.txt`), `${i}\n`),
    ),
  );
  await Deno.writeTextFile(path.join(dir, "pivot.yaml"), fanInPipeline(n));
  return dir;
}

/** Runs the benchmark and returns its Markdown section. */
export async function benchLoadProject(): Promise<string[]> {
  const empty = path.join(await Deno.makeTempDir(), "empty.ts");
  await Deno.writeTextFile(empty, "");
  const baselines: number[] = [];
  for (let i = 0; i < REPEATS; i++) baselines.push(await timeProcess(["run", "-A", empty], ROOT));
  const baseline = median(baselines);
  const rows: string[] = [];
  for (const n of SIZES) {
    const dir = await makeBenchProject(n);
    const load: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const start = performance.now();
      await openProject({ cwd: dir });
      load.push(performance.now() - start);
    }
    const list: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      list.push(
        await timeProcess(["run", "-A", path.join(ROOT, "main.ts"), "list", "--json"], dir),
      );
    }
    rows.push(
      `| ${n.toLocaleString("en")} | ${median(load).toFixed(1)} ms | ${
        (median(load) / n * 1000).toFixed(1)
      } µs | ${median(list).toFixed(0)} ms | ${(median(list) / baseline).toFixed(1)}× |`,
    );
    await discard(dir);
  }
  await Deno.remove(path.dirname(empty), { recursive: true });
  return [
    "## Loading a project",
    "",
    `Baseline: \`deno run\` of an empty script, median of ${REPEATS}: ${baseline.toFixed(0)} ms.`,
    "",
    "| stages | load project (in-process) | per stage | `pivot list --json` process | vs baseline |",
    "|---|---|---|---|---|",
    ...rows,
    "",
  ];
}
