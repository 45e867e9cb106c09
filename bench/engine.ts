/**
 * The engine against GNU Make on the same generated DAG (1,000 independent
 * `cmd` stages and a fan-in): a fresh run with 2 jobs, a no-op run (process
 * start included), and a run after one input changed.
 *
 * @module
 */
import * as path from "node:path";
import { fanInMakefile, fanInPipeline } from "./generate.ts";
import { median, ms, timeCommand, timeProcess } from "./_measure.ts";

const ROOT = path.resolve(import.meta.dirname!, "..");
const MAIN = path.join(ROOT, "main.ts");
const N = 1_000;
const REPEATS = 3;

async function makeProject(n: number, withPivot: boolean): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `pivot_bench_engine_${n}_` });
  await Deno.mkdir(path.join(dir, "inputs"));
  for (let i = 0; i < n; i++) {
    Deno.writeTextFileSync(path.join(dir, "inputs", `${i}.txt`), `${i}\n`);
  }
  if (withPivot) {
    await Deno.mkdir(path.join(dir, ".pivot"));
    await Deno.writeTextFile(path.join(dir, "pivot.yaml"), fanInPipeline(n));
  } else {
    await Deno.writeTextFile(path.join(dir, "Makefile"), fanInMakefile(n));
  }
  return dir;
}

/** Runs the benchmark and returns its Markdown section. */
export async function benchEngine(): Promise<string[]> {
  const pivot = { fresh: [] as number[], noop: [] as number[], one: [] as number[] };
  const make = { fresh: [] as number[], noop: [] as number[], one: [] as number[] };
  for (let r = 0; r < REPEATS; r++) {
    const p = await makeProject(N, true);
    pivot.fresh.push(await timeProcess(["run", "-A", MAIN, "repro", "-q", "-j", "2"], p));
    pivot.noop.push(await timeProcess(["run", "-A", MAIN, "repro", "-q", "-j", "2"], p));
    Deno.writeTextFileSync(path.join(p, "inputs", "7.txt"), "changed\n");
    pivot.one.push(await timeProcess(["run", "-A", MAIN, "repro", "-q", "-j", "2"], p));
    await Deno.remove(p, { recursive: true });
    const m = await makeProject(N, false);
    make.fresh.push(await timeCommand("make", ["-s", "-j", "2"], m));
    make.noop.push(await timeCommand("make", ["-s", "-j", "2"], m));
    // Make compares mtimes: push the changed input's mtime forward.
    Deno.writeTextFileSync(path.join(m, "inputs", "7.txt"), "changed\n");
    const later = new Date(Date.now() + 2_000);
    Deno.utimeSync(path.join(m, "inputs", "7.txt"), later, later);
    make.one.push(await timeCommand("make", ["-s", "-j", "2"], m));
    await Deno.remove(m, { recursive: true });
  }
  const row = (label: string, a: number[], b: number[]) =>
    `| ${label} | ${ms(median(a))} | ${ms(median(b))} | ${(median(a) / median(b)).toFixed(1)}× |`;
  return [
    `## Engine: ${N.toLocaleString("en")} \`cmd\` stages + fan-in, 2 jobs (median of ${REPEATS})`,
    "",
    "| case | pivot repro | GNU Make | pivot / Make |",
    "|---|---|---|---|",
    row("fresh run", pivot.fresh, make.fresh),
    row("no-op run", pivot.noop, make.noop),
    row("one input changed", pivot.one, make.one),
    "",
  ];
}
