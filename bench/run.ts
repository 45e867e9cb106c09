/**
 * `deno task bench [--quick] [--pivot-bin PATH] [SECTION…]`: runs the
 * benchmarks (all, or the named sections: `load`, `compare`, `scale`,
 * `shapes`, `storage`, `remote`, `watch`, `diff`) and prints a Markdown report: a summary table of SPEC
 * §13's rows (pivot, the baseline measured in the same run, their ratio, the
 * target, whether it is met), each section's notes, and every run's numbers
 * in an appendix. A full run (no sections, no `--quick`) also writes it to
 * `bench/results.md`. `--quick` runs small sizes to check the harness;
 * `--pivot-bin` benchmarks a compiled pivot instead of `deno run main.ts`.
 *
 * @module
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { benchCompare } from "./compare.ts";
import { benchDiff } from "./diff.ts";
import { benchLoadProject } from "./load_project.ts";
import { benchScale } from "./scale.ts";
import { benchShapes } from "./other_shapes.ts";
import { benchStorage } from "./storage.ts";
import { benchRemote } from "./remote.ts";
import { benchWatch } from "./watch.ts";
import { emptyTrash } from "./_trash.ts";
import { cachedDentries, fileCreationProbe, loadAverage, machineFacts } from "./_machine.ts";
import { ensureSnakemake } from "./_snakemake.ts";
import { rawAppendix, type Row, type SectionResult, summaryTable } from "./_report.ts";
import { type BenchSession, FULL, pivotLauncher, QUICK, SETTLE_MS } from "./_session.ts";
import { timeRun } from "./_measure.ts";
import { MAKE_ARGS } from "./_fixture.ts";

const log = (line: string) => Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`));

const SECTIONS: Record<
  string,
  { title: string; run: (s: BenchSession) => Promise<SectionResult> }
> = {
  load: { title: "Loading a project", run: benchLoadProject },
  compare: { title: "SPEC §13 pipeline rows", run: benchCompare },
  scale: { title: "Many stages", run: benchScale },
  shapes: { title: "Other shapes (no target)", run: benchShapes },
  storage: { title: "Storage", run: benchStorage },
  remote: { title: "Transfers", run: benchRemote },
  diff: {
    title: "Data diff",
    run: async () => ({ rows: [], body: await benchDiff(), raw: [] }),
  },
  watch: {
    title: "Watch mode",
    run: async () => ({ rows: [], body: await benchWatch(), raw: [] }),
  },
};

const { values: flags, positionals } = parseArgs({
  args: Deno.args,
  options: { quick: { type: "boolean", default: false }, "pivot-bin": { type: "string" } },
  allowPositionals: true,
});
// The data diff section needs 5 GB and minutes of its own: it runs only when named.
const chosen = positionals.length > 0
  ? positionals
  : Object.keys(SECTIONS).filter((name) => name !== "diff");
for (const name of chosen) {
  if (SECTIONS[name] === undefined) {
    throw new Error(
      `unknown benchmark section '${name}'; choose from ${Object.keys(SECTIONS).join(", ")}`,
    );
  }
}
const sizes = flags.quick ? QUICK : FULL;
const writeResults = positionals.length === 0 && !flags.quick;

const scratch = await Deno.makeTempDir({ prefix: "pivot_bench_empty_" });
const empty = path.join(scratch, "empty.ts");
await Deno.writeTextFile(empty, "");
const session: BenchSession = {
  sizes,
  pivot: pivotLauncher(flags["pivot-bin"] ?? null),
  snakemake: chosen.includes("compare") ? await ensureSnakemake(log) : null,
  emptyDeno: { command: Deno.execPath(), args: ["run", "-A", "--quiet", empty] },
  log,
};

const started = performance.now();
const loadBefore = loadAverage();
const dentriesBefore = cachedDentries();
const createBefore = await fileCreationProbe(scratch);
// Deno's module cache holds pivot's compiled code before anything is timed.
await timeRun(session.pivot(["--version"]), scratch);
await timeRun(session.emptyDeno, scratch);

const results: { name: string; title: string; result: SectionResult }[] = [];
let createAfter = Number.NaN;
try {
  for (const name of chosen) {
    log(`running ${name}…`);
    results.push({
      name,
      title: SECTIONS[name]!.title,
      result: await SECTIONS[name]!.run(session),
    });
  }
} finally {
  createAfter = await fileCreationProbe(scratch);
  await emptyTrash();
  await Deno.remove(scratch, { recursive: true });
}
const minutes = (performance.now() - started) / 60_000;

const rows: readonly Row[] = results.flatMap((r) => r.result.rows);
const make = `make ${MAKE_ARGS.join(" ")}`;
const pivotStart = session.pivot([]);
const lines = [
  "# pivot benchmarks",
  "",
  `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, \`deno task bench${
    Deno.args.length > 0 ? ` ${Deno.args.join(" ")}` : ""
  }\`, ${minutes.toFixed(1)} min; load average ${loadBefore} before, ${loadAverage()} after; ` +
  `directory entries cached by the kernel ${dentriesBefore} before, ${cachedDentries()} after; ` +
  `creating 1,000 files in the temp directory ${createBefore.toFixed(0)} ms before, ` +
  `${createAfter.toFixed(0)} ms after (hundreds of ms when thousands of files were deleted there ` +
  `minutes before: see the temp directory below).${
    flags.quick ? " **Quick run: small sizes; the targets are set for the full sizes.**" : ""
  }`,
  "",
  ...machineFacts(session.snakemake),
  `- pivot started as \`${[pivotStart.command, ...pivotStart.args].join(" ")} …\``,
  "",
  "## Summary",
  "",
  "Every row compares pivot with a baseline measured in the same run: the tools take turns run " +
  "by run (A B A B …), each cell is the median of the rounds, and the ratio is the median of the " +
  "per-round ratios (pivot ÷ baseline; for Snakemake, Snakemake ÷ pivot), with the ratio of the " +
  "medians beside it. Times are wall times of whole processes (process start included) unless " +
  "the case says in-process; peak memory is `/usr/bin/time`'s maximum resident set of the process. " +
  `Every tool runs the same \`sh -c 'cat … > data/bench/<stage>.txt'\` per stage; Make as \`${make}\` ` +
  "(built-in rules and variables off, one recipe line per target), without MAKEFLAGS from the " +
  'environment. "Fresh": no outputs and no pivot state or cache (what a run wrote is moved ' +
  'aside the same way for every tool); "first no-op": at once after the fresh run; "after the ' +
  `racy window": after a pause of ${SETTLE_MS} ms, when pivot trusts file times again; "steady": later ` +
  'no-ops; "one input changed": an edit made after the same pause. Every run is warm: ' +
  "pivot's code is in Deno's cache and the inputs in the page cache. A run that follows a pause " +
  "follows the same pause for every tool it is compared with: a machine may make the first " +
  "process after a pause pay for it (a virtual machine that hands idle memory back to its host " +
  "does; compare the empty `deno run` after the same wait with the others).",
  "",
  ...summaryTable(rows),
  "",
];
for (const { title, result } of results) {
  if (result.body.length > 0) lines.push(`## ${title}`, "", ...result.body);
}
lines.push(...rawAppendix(results.map((r) => ({ name: r.title, raw: r.result.raw }))));
const report = `${lines.join("\n")}\n`;
Deno.stdout.writeSync(new TextEncoder().encode(report));
if (writeResults) {
  await Deno.writeTextFile(path.join(import.meta.dirname!, "results.md"), report);
  log("wrote bench/results.md");
}
