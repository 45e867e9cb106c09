/**
 * pivot against GNU Make and Snakemake on the same generated DAGs (see
 * `shapes.ts`), 2 jobs each: a fresh run, a no-op run, and a run after one
 * input changed; plus TypeScript `run` stages and the growth from 100 to
 * 10,000 stages. Peak memory of pivot runs comes from `/usr/bin/time`.
 *
 * @module
 */
import * as path from "node:path";
import {
  chain,
  diamond,
  fanIn,
  makefile,
  pipelineTs,
  pivotYaml,
  type Shape,
  snakefile,
} from "./shapes.ts";
import { ms } from "./_measure.ts";
import { discard } from "./_trash.ts";

const ROOT = path.resolve(import.meta.dirname!, "..");
const MAIN = path.join(ROOT, "main.ts");

/** A tool that can run a shape. */
type Tool = "pivot" | "pivot-ts" | "make" | "snakemake";

/** One measured run. */
interface Timing {
  readonly ms: number;
  /** Peak resident memory in MB, when measured. */
  readonly peakMb: number | null;
}

/** The timings of one tool on one shape. */
interface ToolTimings {
  readonly fresh: Timing;
  /** The first no-op run, right after the fresh one (pivot fills its caches here). */
  readonly noopFirst: Timing;
  /** The steady state: the median of three no-op runs once the racy window has passed. */
  readonly noop: Timing;
  readonly changed: Timing;
}

function command(tool: Tool): [string, string[]] {
  switch (tool) {
    case "pivot":
    case "pivot-ts":
      return [Deno.execPath(), ["run", "-A", "--quiet", MAIN, "repro", "-q", "-j", "2"]];
    case "make":
      return ["make", ["-s", "-j", "2"]];
    case "snakemake":
      return ["snakemake", ["-c", "2"]];
  }
}

const hasTime = (() => {
  try {
    return Deno.statSync("/usr/bin/time").isFile;
  } catch {
    return false;
  }
})();

async function timeRun(tool: Tool, cwd: string): Promise<Timing> {
  const [cmd, args] = command(tool);
  const measured = hasTime && tool.startsWith("pivot");
  const start = performance.now();
  const output = await new Deno.Command(measured ? "/usr/bin/time" : cmd, {
    args: measured ? ["-f", "PEAK_KB=%M", cmd, ...args] : args,
    cwd,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const elapsed = performance.now() - start;
  const stderr = new TextDecoder().decode(output.stderr);
  if (!output.success) throw new Error(`${tool} failed in ${cwd}: ${stderr.slice(-2000)}`);
  const peak = /PEAK_KB=(\d+)/.exec(stderr);
  return { ms: elapsed, peakMb: peak === null ? null : Number(peak[1]) / 1024 };
}

async function setUp(tool: Tool, shape: Shape): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `pivot_bench_${tool}_` });
  await Deno.mkdir(path.join(dir, "inputs"));
  for (let i = 0; i < shape.inputs; i++) {
    Deno.writeTextFileSync(path.join(dir, "inputs", `${i}.txt`), `${i}\n`);
  }
  const past = new Date(Date.now() - 60_000);
  for (let i = 0; i < shape.inputs; i++) {
    Deno.utimeSync(path.join(dir, "inputs", `${i}.txt`), past, past);
  }
  if (tool === "pivot" || tool === "pivot-ts") await Deno.mkdir(path.join(dir, ".pivot"));
  const files: Record<Tool, [string, string]> = {
    "pivot": ["pivot.yaml", pivotYaml(shape)],
    "pivot-ts": ["pipeline.ts", pipelineTs(shape)],
    "make": ["Makefile", makefile(shape)],
    "snakemake": ["Snakefile", snakefile(shape)],
  };
  const [name, text] = files[tool];
  await Deno.writeTextFile(path.join(dir, name), text);
  return dir;
}

/**
 * How long after the last write pivot's no-op stamp can be trusted: file
 * times are evidence only outside a racy window (2 s after the mtime, 3 s
 * after the whole-second ctime), as in git's index.
 */
const SETTLE_MS = 3_200;

/** The median timing (the upper one of an even count), keeping the peak memory of all. */
function middle(timings: readonly Timing[]): Timing {
  const sorted = [...timings].sort((a, b) => a.ms - b.ms);
  const peaks = timings.flatMap((t) => (t.peakMb === null ? [] : [t.peakMb]));
  return {
    ms: sorted[Math.floor(sorted.length / 2)]!.ms,
    peakMb: peaks.length === 0 ? null : Math.max(...peaks),
  };
}

/** Removes what a run wrote (outputs and, for pivot, its state and cache). */
async function resetOutputs(tool: Tool, dir: string): Promise<void> {
  await discard(path.join(dir, "data"));
  if (tool === "pivot" || tool === "pivot-ts") {
    await discard(path.join(dir, ".pivot"));
    await Deno.mkdir(path.join(dir, ".pivot"));
  }
}

/**
 * Runs fresh (`freshRuns` times, the median kept), no-op (first, then steady)
 * and one-changed for `tool` on `shape`.
 */
export async function measureTool(
  tool: Tool,
  shape: Shape,
  freshRuns = tool === "snakemake" ? 1 : 3,
): Promise<ToolTimings> {
  const dir = await setUp(tool, shape);
  try {
    // Fresh runs vary most: pivot and Make get the median of three by default
    // (Snakemake, which takes a minute, one), each starting from the inputs alone.
    const fresh: Timing[] = [];
    for (let i = 0; i < freshRuns; i++) {
      if (i > 0) await resetOutputs(tool, dir);
      fresh.push(await timeRun(tool, dir));
    }
    const written = performance.now();
    const noopFirst = await timeRun(tool, dir);
    // Every tool gets the same sequence: a wait, one no-op that settles
    // (pivot records its stamp there), then the measured ones.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, written + SETTLE_MS - performance.now()))
    );
    await timeRun(tool, dir);
    const steady = [await timeRun(tool, dir), await timeRun(tool, dir), await timeRun(tool, dir)];
    const noop = middle(steady);
    const changed = path.join(dir, shape.changed);
    Deno.writeTextFileSync(changed, "changed\n");
    // Make and Snakemake compare mtimes: make the change unmistakable.
    const later = new Date(Date.now() + 2_000);
    Deno.utimeSync(changed, later, later);
    const one = await timeRun(tool, dir);
    return { fresh: middle(fresh), noopFirst, noop, changed: one };
  } finally {
    await discard(dir);
  }
}

/** Snakemake's version, installing it from Debian when missing; `null` with the reason printed. */
export async function ensureSnakemake(log: (line: string) => void): Promise<string | null> {
  const version = async () => {
    try {
      const out = await new Deno.Command("snakemake", {
        args: ["--version"],
        stdout: "piped",
        stderr: "null",
      })
        .output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
    } catch {
      return null;
    }
  };
  const found = await version();
  if (found !== null) return found;
  log("snakemake is missing: installing it with apt-get (Debian package 'snakemake')…");
  try {
    await new Deno.Command("apt-get", { args: ["update", "-qq"], stdout: "null", stderr: "null" })
      .output();
    const install = await new Deno.Command("apt-get", {
      args: ["install", "-y", "-qq", "snakemake"],
      stdout: "null",
      stderr: "piped",
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).output();
    if (!install.success) {
      log(
        `cannot install snakemake: ${
          new TextDecoder().decode(install.stderr).trim().split("\n").at(-1)
        }`,
      );
      return null;
    }
  } catch (error) {
    log(`cannot install snakemake: ${(error as Error).message}`);
    return null;
  }
  return await version();
}

const fmt = (t: Timing) => ms(t.ms);
const ratio = (a: Timing, b: Timing) => `${(a.ms / b.ms).toFixed(1)}×`;
const peak = (...ts: Timing[]) => {
  const values = ts.map((t) => t.peakMb).filter((v): v is number => v !== null);
  return values.length === 0 ? "–" : `${Math.round(Math.max(...values))} MB`;
};

/** Runs the comparison and returns its Markdown section. */
export async function benchCompare(log: (line: string) => void): Promise<string[]> {
  const snakemake = await ensureSnakemake(log);
  const lines: string[] = [];
  const versions = [
    `GNU Make: ${
      new TextDecoder().decode(
        (await new Deno.Command("make", { args: ["--version"], stdout: "piped" }).output()).stdout,
      )
        .split("\n")[0]
    }`,
    `Snakemake: ${snakemake ?? "not available (skipped)"}`,
  ];
  lines.push(
    "## pivot, GNU Make and Snakemake on the same DAGs (2 jobs)",
    "",
    ...versions.map((v) => `- ${v}`),
    "",
  );
  lines.push(
    "Each tool runs the same commands (`cat` of the inputs into `data/bench/<stage>.txt`). " +
      "`fresh` is the median of three runs from the inputs alone (one for Snakemake). " +
      "`first no-op` is a run with nothing to do right after the fresh run (pivot fills its caches " +
      "there: parsed locks, trusted hashes). `no-op` is the steady state: the median of three, after " +
      "the 3-s racy window in which pivot does not trust file times and one settling no-op, in which " +
      "pivot records its no-op stamp (`pipeline.ts` projects never get one: their stages are code). " +
      "Ratios are pivot's time divided by the other tool's.",
    "",
    "| shape | stages | tool | fresh | first no-op | no-op | one input changed | pivot peak memory |",
    "|---|---|---|---|---|---|---|---|",
  );
  const cases: { shape: Shape; tools: Tool[] }[] = [
    { shape: fanIn(1_000), tools: ["pivot", "pivot-ts", "make", "snakemake"] },
    { shape: chain(1_000), tools: ["pivot", "make", "snakemake"] },
    { shape: diamond(1_000), tools: ["pivot", "make", "snakemake"] },
  ];
  const summary: string[] = [];
  for (const { shape, tools } of cases) {
    const results = new Map<Tool, ToolTimings>();
    for (const tool of tools) {
      if (tool === "snakemake" && snakemake === null) continue;
      log(`  ${shape.name} × ${shape.stages.length}: ${tool}`);
      let t: ToolTimings;
      try {
        t = await measureTool(tool, shape);
      } catch (error) {
        // A tool that cannot run the shape is reported, not fatal (Snakemake's DAG
        // builder recurses once per chain link and stops near 1,000).
        const why = (error as Error).message.match(/RecursionError[^\n]*/)?.[0] ??
          (error as Error).message.split("\n").at(-1);
        lines.push(
          `| ${shape.name} | ${
            shape.stages.length.toLocaleString("en")
          } | ${tool} | failed: ${why} | | | | |`,
        );
        continue;
      }
      results.set(tool, t);
      lines.push(
        `| ${shape.name} | ${shape.stages.length.toLocaleString("en")} | ${tool} | ${
          fmt(t.fresh)
        } | ${fmt(t.noopFirst)} | ${fmt(t.noop)} | ${fmt(t.changed)} | ${
          tool.startsWith("pivot") ? peak(t.fresh, t.noop, t.changed) : ""
        } |`,
      );
    }
    const p = results.get("pivot")!;
    const m = results.get("make");
    const s = results.get("snakemake");
    summary.push(
      `| ${shape.name} | ${m ? ratio(p.fresh, m.fresh) : "–"} | ${
        m ? ratio(p.noop, m.noop) : "–"
      } | ${s ? `${(s.noop.ms / p.noop.ms).toFixed(1)}× faster` : "–"} | ${
        s ? `${(s.fresh.ms / p.fresh.ms).toFixed(1)}× faster` : "–"
      } |`,
    );
  }
  lines.push(
    "",
    "| shape | pivot fresh / Make fresh (target ≤ 2×) | pivot no-op / Make no-op | pivot no-op vs Snakemake no-op (target ≥ 10×) | pivot fresh vs Snakemake fresh |",
    "|---|---|---|---|---|",
    ...summary,
    "",
  );
  // Scaling.
  lines.push(
    "### Growth with the number of stages (fan-in)",
    "",
    "| stages | pivot fresh | pivot no-op | pivot peak memory | Make fresh | Make no-op | Snakemake fresh | Snakemake no-op |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const n of [100, 1_000, 10_000]) {
    const shape = fanIn(n);
    log(`  scaling: ${n}`);
    // One fresh run each: the growth is the point here, and 10,000 stages take a while.
    const p = await measureTool("pivot", shape, 1);
    const m = await measureTool("make", shape, 1);
    // Snakemake needs minutes for 10,000 jobs: measured up to 1,000.
    const s = snakemake !== null && n <= 1_000
      ? await measureTool("snakemake", shape).catch(() => null)
      : null;
    lines.push(
      `| ${(n + 1).toLocaleString("en")} | ${fmt(p.fresh)} | ${fmt(p.noop)} | ${
        peak(p.fresh, p.noop, p.changed)
      } | ${fmt(m.fresh)} | ${fmt(m.noop)} | ${s ? fmt(s.fresh) : "not run"} | ${
        s ? fmt(s.noop) : "not run"
      } |`,
    );
  }
  lines.push("");
  return lines;
}
