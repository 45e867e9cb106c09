/**
 * Watch mode: the time from saving an input to its stage starting (median
 * of 20 edits, with the default 300 ms quiet period and with none), and the
 * watch process's resident memory and open files over 200 iterations (one
 * in ten a reload of the pipeline), read from `/proc`.
 *
 * @module
 */
import * as path from "node:path";
import { median, ms } from "./_measure.ts";
import { discard } from "./_trash.ts";
import { PIVOT_V8_FLAGS } from "../src/cli/v8_flags.ts";

const MAIN = path.resolve(import.meta.dirname!, "..", "main.ts");
const EDITS = 20;
const ITERATIONS = 200;
const MEMORY_AT = [1, 50, 100, 150, 200];

const PIPELINE = [
  "pipeline: bench",
  "stages:",
  "  prepare:",
  "    cmd: cat ${deps.raw} > ${outs}",
  "    deps: {raw: raw.txt}",
  "    outs: txt",
  "  report:",
  "    run: ./stages.ts#report",
  "    deps: {rows: prepare}",
  "    outs: {summary: json}",
  "    params: {scale: 1}",
  "",
].join("\n");

const STAGES = "export function report({ deps }: { deps: { rows: string } }) {\n" +
  "  return { summary: { length: deps.rows.length } };\n}\n";

/** A watch process whose JSON Lines events are read as they come. */
class Watcher implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #lines: string[] = [];
  readonly #reading: Promise<void>;
  #waiter: (() => void) | null = null;

  constructor(cwd: string, debounce: number) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        PIVOT_V8_FLAGS,
        MAIN,
        "repro",
        "--watch",
        "--json",
        "--debounce",
        `${debounce}`,
      ],
      cwd,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#reading = this.#read();
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Waits for the next event of `type` (for `stage` when given) and returns when it came. */
  async next(type: string, stage?: string): Promise<number> {
    while (true) {
      while (this.#lines.length > 0) {
        const event = JSON.parse(this.#lines.shift()!);
        if (event.type === type && (stage === undefined || event.stage === stage)) {
          return performance.now();
        }
      }
      await new Promise<void>((resolve) => this.#waiter = resolve);
    }
  }

  async #read(): Promise<void> {
    let partial = "";
    const decoder = new TextDecoder();
    for await (const chunk of this.#child.stdout) {
      const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = lines.pop()!;
      this.#lines.push(...lines.filter((line) => line !== ""));
      this.#waiter?.();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#child.kill("SIGINT");
    await this.#child.status;
    await this.#reading;
  }
}

/** Resident memory (MiB) and open files of process `pid`. */
function usage(pid: number): { rssMib: number; files: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s*(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMib: kb / 1024, files: [...Deno.readDirSync(`/proc/${pid}/fd`)].length };
}

async function project(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pivot_bench_watch_" });
  await Deno.mkdir(path.join(dir, ".pivot"));
  await Deno.writeTextFile(path.join(dir, "pivot.yaml"), PIPELINE);
  await Deno.writeTextFile(path.join(dir, "stages.ts"), STAGES);
  await Deno.writeTextFile(path.join(dir, "raw.txt"), "0\n");
  return dir;
}

/** Median milliseconds from saving `raw.txt` to `prepare` starting, over {@linkcode EDITS} edits. */
async function latency(debounce: number): Promise<number> {
  const dir = await project();
  try {
    await using watch = new Watcher(dir, debounce);
    await watch.next("summary");
    const times: number[] = [];
    for (let i = 1; i <= EDITS; i++) {
      const saved = performance.now();
      await Deno.writeTextFile(path.join(dir, "raw.txt"), `${i}\n`);
      times.push((await watch.next("stage_start", "prepare")) - saved);
      await watch.next("summary");
      // Let the iteration finish (it waits for its own writes) before the next edit.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return median(times);
  } finally {
    await discard(dir);
  }
}

/** The PID of the file-watching child of watch process `pid`. */
function watchingChild(pid: number): number {
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = Deno.readTextFileSync(`/proc/${entry.name}/cmdline`);
      if (ppid === pid && /watch[_-]child/.test(cmdline)) return Number(entry.name);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // Ended while listed.
    }
  }
  throw new Error(`watch process ${pid} has no file-watching child`);
}

/** Samples of the watch process and of its file-watching child. */
interface Footprint {
  /** The watch process after each of {@linkcode MEMORY_AT} iterations. */
  readonly samples: { iteration: number; rssMib: number; files: number }[];
  /** Its file-watching child after the last iteration. */
  readonly child: { rssMib: number; files: number };
}

/** Memory and open files after each of {@linkcode MEMORY_AT} iterations. */
async function footprint(): Promise<Footprint> {
  const dir = await project();
  try {
    await using watch = new Watcher(dir, 0);
    await watch.next("summary");
    const samples = [{ iteration: 1, ...usage(watch.pid) }];
    for (let i = 2; i <= ITERATIONS; i++) {
      if (i % 10 === 0) {
        await Deno.writeTextFile(path.join(dir, "params.yaml"), `report:\n  scale: ${i}\n`);
      } else {
        await Deno.writeTextFile(path.join(dir, "raw.txt"), `${i}\n`);
      }
      await watch.next("summary");
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (MEMORY_AT.includes(i)) samples.push({ iteration: i, ...usage(watch.pid) });
    }
    return { samples, child: usage(watchingChild(watch.pid)) };
  } finally {
    await discard(dir);
  }
}

/** The watch section of the report. */
export async function benchWatch(): Promise<string[]> {
  const withDefault = await latency(300);
  const withNone = await latency(0);
  const { samples, child } = await footprint();
  const first = samples[0]!;
  const last = samples.at(-1)!;
  return [
    `Saving an input to its stage starting (median of ${EDITS} edits): ${
      ms(withDefault)
    } with the default quiet period of 300 ms, ${ms(withNone)} with \`--debounce 0\`.`,
    "",
    `The watch process over ${ITERATIONS} iterations (one in ten reloads the pipeline after a`,
    "`params.yaml` edit; each runs a shell stage and a TypeScript stage on fresh workers):",
    "",
    "| iteration | RSS | open files |",
    "| --- | --- | --- |",
    ...samples.map((s) => `| ${s.iteration} | ${s.rssMib.toFixed(0)} MiB | ${s.files} |`),
    "",
    `RSS after ${ITERATIONS} iterations: ${
      (last.rssMib / first.rssMib).toFixed(2)
    }× that after 1; ` +
    `open files ${last.files} against ${first.files}.`,
    "",
    `Its file-watching child process (pivot, opening no database) after ${ITERATIONS} iterations: ` +
    `${child.rssMib.toFixed(0)} MiB, ${child.files} open files.`,
    "",
  ];
}
