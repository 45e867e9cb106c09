/**
 * One project directory per tool for a benchmark shape, the command that
 * runs each tool there, resetting a directory for a fresh run (the same way
 * for every tool: what a run wrote is moved to the trash), and checks that a
 * run did what it should.
 *
 * @module
 */
import * as path from "node:path";
import type { Invocation } from "./_measure.ts";
import {
  expectedLines,
  makefile,
  outputPath,
  pipelineTs,
  pivotYaml,
  type Shape,
  snakefile,
  sortedLines,
  tsFloorScript,
  waves,
  xargsScript,
} from "./shapes.ts";
import { discard } from "./_trash.ts";

/**
 * A tool that runs a shape: pivot (`cmd` stages in `pivot.yaml`, or
 * TypeScript stages in `pipeline.ts`), GNU Make, Snakemake, and the floors:
 * a Deno script spawning the same commands two at a time, `xargs -P 2`
 * running them, and one Deno script doing the TypeScript stages' reads and
 * writes.
 */
export type Tool = "pivot" | "pivot-ts" | "make" | "snakemake" | "spawn" | "xargs" | "ts-floor";

/** How pivot is started: `deno run -A main.ts`, or a compiled binary. */
export type PivotLauncher = (args: readonly string[]) => Invocation;

/** `make` with built-in rules and variables off, 2 jobs, silent (as `pivot -q`). */
export const MAKE_ARGS: readonly string[] = ["-s", "-r", "-R", "-j", "2"];

const SPAWN_FLOOR = path.resolve(import.meta.dirname!, "_spawn_floor.ts");

/** The command that brings `tool`'s project up to date (2 jobs). */
export function runCommand(tool: Tool, pivot: PivotLauncher): Invocation {
  const deno = (args: string[]) => ({
    command: Deno.execPath(),
    args: ["run", "-A", "--quiet", ...args],
  });
  switch (tool) {
    case "pivot":
    case "pivot-ts":
      return pivot(["repro", "-q", "-j", "2"]);
    case "make":
      return { command: "make", args: MAKE_ARGS };
    case "snakemake":
      // `--quiet all`: print nothing (its default target is the first rule, `all`).
      return { command: "snakemake", args: ["-c", "2", "--quiet", "all"] };
    case "spawn":
      return deno([SPAWN_FLOOR, "waves.json"]);
    case "xargs":
      return { command: "sh", args: ["floor.sh"] };
    case "ts-floor":
      return deno(["floor.ts"]);
  }
}

/** Writes `shape`'s input files into `dir/inputs`, dated a minute back (not just written). */
async function writeInputs(dir: string, shape: Shape): Promise<void> {
  await Deno.mkdir(path.join(dir, "inputs"));
  const past = new Date(Date.now() - 60_000);
  for (let i = 0; i < shape.inputs; i++) {
    const file = path.join(dir, "inputs", `${i}.txt`);
    Deno.writeTextFileSync(file, `${i}\n`);
    Deno.utimeSync(file, past, past);
  }
}

/** A new temporary project for `tool` running `shape`: the inputs and the tool's files. */
export async function makeFixture(tool: Tool, shape: Shape): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `pivot_bench_${tool}_` });
  await writeInputs(dir, shape);
  const write = (name: string, text: string) => Deno.writeTextFile(path.join(dir, name), text);
  switch (tool) {
    case "pivot":
      await Deno.mkdir(path.join(dir, ".pivot"));
      await write("pivot.yaml", pivotYaml(shape));
      break;
    case "pivot-ts":
      await Deno.mkdir(path.join(dir, ".pivot"));
      await write("pipeline.ts", pipelineTs(shape));
      break;
    case "make":
      await write("Makefile", makefile(shape));
      break;
    case "snakemake":
      await write("Snakefile", snakefile(shape));
      break;
    case "spawn":
      await write("waves.json", JSON.stringify(waves(shape)));
      break;
    case "xargs": {
      const all = waves(shape);
      for (const [i, wave] of all.entries()) await write(`wave_${i}.txt`, `${wave.join("\n")}\n`);
      await write("floor.sh", xargsScript(all.length));
      break;
    }
    case "ts-floor":
      await write("floor.ts", tsFloorScript(shape));
      break;
  }
  return dir;
}

/**
 * Makes `dir` ready for a fresh run: moves what a run wrote (the outputs;
 * pivot's state, locks and cache; Snakemake's metadata) to the trash, as
 * for every tool alike.
 */
export async function resetOutputs(tool: Tool, dir: string): Promise<void> {
  await discard(path.join(dir, "data"));
  if (tool === "pivot" || tool === "pivot-ts") {
    await discard(path.join(dir, ".pivot"));
    await Deno.mkdir(path.join(dir, ".pivot"));
  }
  if (tool === "snakemake") await discard(path.join(dir, ".snakemake"));
}

/**
 * Throws unless every stage's output exists in `dir` and the last stage's
 * holds the lines the inputs call for.
 */
export function verifyOutputs(tool: Tool, dir: string, shape: Shape): void {
  for (const stage of shape.stages) {
    if (!Deno.statSync(path.join(dir, outputPath(stage.name))).isFile) {
      throw new Error(`${tool} did not write ${outputPath(stage.name)} in ${dir}`);
    }
  }
  const last = outputPath(shape.stages.at(-1)!.name);
  const actual = sortedLines(Deno.readTextFileSync(path.join(dir, last)));
  const expected = expectedLines(shape, (file) => Deno.readTextFileSync(path.join(dir, file)));
  if (actual.join("\n") !== expected.join("\n")) {
    throw new Error(`${tool} wrote a wrong ${last} in ${dir}`);
  }
}

/** The modification time of the last stage's output (a no-op must leave it alone). */
export function finalOutputMtime(dir: string, shape: Shape): number {
  return Deno.statSync(path.join(dir, outputPath(shape.stages.at(-1)!.name))).mtime!.getTime();
}

/** Edits `shape.changed` in `dir` (new content, so content-hashing tools see a change). */
export function changeInput(dir: string, shape: Shape, round: number): void {
  Deno.writeTextFileSync(path.join(dir, shape.changed), `changed ${round}\n`);
}
