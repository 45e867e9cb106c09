/**
 * `deno task bench`: measures, in one run, how long pivot takes to load a
 * project (discover, validate, build the DAG) at 100, 1,000 and 10,000
 * stages, in-process and as a whole `pivot list` process, next to a bare
 * `deno run` of an empty script as the process-start baseline.
 *
 * @module
 */
import * as path from "node:path";
import { openProject } from "../src/project/mod.ts";
import { fanInPipeline } from "./generate.ts";

const ROOT = path.resolve(import.meta.dirname!, "..");
const SIZES = [100, 1_000, 10_000];
const REPEATS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeProcess(args: string[], cwd: string): Promise<number> {
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

const empty = path.join(await Deno.makeTempDir(), "empty.ts");
await Deno.writeTextFile(empty, "");
const baseline = median(
  await Promise.all([...Array(REPEATS)].map(() => timeProcess(["run", "-A", empty], ROOT))),
);

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
    list.push(await timeProcess(["run", "-A", path.join(ROOT, "main.ts"), "list", "--json"], dir));
  }
  rows.push(
    `| ${n.toLocaleString("en")} | ${median(load).toFixed(1)} ms | ${
      (median(load) / n * 1000).toFixed(1)
    } µs | ${median(list).toFixed(0)} ms | ${(median(list) / baseline).toFixed(1)}× |`,
  );
  await Deno.remove(dir, { recursive: true });
}

const report = [
  `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs, ${
    new Date().toISOString().slice(0, 10)
  }`,
  `baseline: \`deno run\` of an empty script, median of ${REPEATS}: ${baseline.toFixed(0)} ms`,
  "",
  "| stages | load project (in-process) | per stage | `pivot list --json` process | vs baseline |",
  "|---|---|---|---|---|",
  ...rows,
  "",
].join("\n");
Deno.stdout.writeSync(new TextEncoder().encode(report));
