/**
 * SPEC §13's pipeline rows on a fan-in of 1,000 `cmd` stages (and the same
 * as TypeScript stages), 2 jobs: pivot against `make -r -j 2`, Snakemake and
 * the floors (an empty `deno run`, a Deno script spawning the same `sh -c`
 * jobs two at a time, `xargs -P 2`), measured side by side: the tools take
 * turns run by run, every ratio is the median of the per-round ratios.
 *
 * @module
 */
import {
  changeInput,
  finalOutputMtime,
  MAKE_ARGS,
  makeFixture,
  resetOutputs,
  runCommand,
  type Tool,
  verifyOutputs,
} from "./_fixture.ts";
import { type Invocation, timeRun } from "./_measure.ts";
import { compareRow, memoryRow, type Row, type SectionResult, Series } from "./_report.ts";
import { type BenchSession, settle } from "./_session.ts";
import { processCounts } from "./_process_count.ts";
import { fanIn, type Shape } from "./shapes.ts";
import { discard } from "./_trash.ts";

/** A tool's project directory and how to run it there. */
export interface Runner {
  readonly tool: Tool;
  readonly dir: string;
  readonly shape: Shape;
  readonly run: Invocation;
}

/** Sets up `tool`'s project for `shape`. */
export async function runner(session: BenchSession, tool: Tool, shape: Shape): Promise<Runner> {
  return {
    tool,
    dir: await makeFixture(tool, shape),
    shape,
    run: runCommand(tool, session.pivot),
  };
}

/** A fresh run: outputs (and state) moved away, the run timed, its outputs checked. */
export async function fresh(r: Runner, into: Series): Promise<void> {
  await resetOutputs(r.tool, r.dir);
  into.add(await timeRun(r.run, r.dir));
  verifyOutputs(r.tool, r.dir, r.shape);
}

/** A no-op run, timed; throws if it rewrote the last output. */
export async function noop(r: Runner, into: Series, invocation = r.run) {
  const before = finalOutputMtime(r.dir, r.shape);
  into.add(await timeRun(invocation, r.dir));
  if (finalOutputMtime(r.dir, r.shape) !== before) {
    throw new Error(`${r.tool}: a no-op run rewrote the last output in ${r.dir}`);
  }
}

/** A run after `shape.changed` was edited, timed; its outputs checked. */
export async function changed(r: Runner, into: Series, round: number): Promise<void> {
  changeInput(r.dir, r.shape, round);
  into.add(await timeRun(r.run, r.dir));
  verifyOutputs(r.tool, r.dir, r.shape);
}

/** One untimed fresh run (Deno's module cache, the page cache), leaving outputs in place. */
async function warmUp(r: Runner): Promise<void> {
  await fresh(r, new Series("warm-up"));
}

/** The `cmd`-stage rows: fresh, no-ops, status, one input changed. */
async function cmdRows(session: BenchSession, shape: Shape) {
  const { sizes, log } = session;
  const n = sizes.stages.toLocaleString("en");
  const pivot = await runner(session, "pivot", shape);
  const make = await runner(session, "make", shape);
  const spawn = await runner(session, "spawn", shape);
  const xargs = await runner(session, "xargs", shape);
  const snake = session.snakemake === null ? null : await runner(session, "snakemake", shape);
  const s = (label: string) => new Series(label);
  const freshS = {
    pivot: s("pivot repro, fresh"),
    make: s(`make ${MAKE_ARGS.join(" ")}, fresh`),
    spawn: s("Deno spawner floor, fresh"),
    xargs: s("xargs -P 2 floor, fresh"),
  };
  const first = { pivot: s("pivot first no-op"), make: s("make first no-op") };
  const after = {
    pivot: s("pivot first no-op after the racy window"),
    make: s("make no-op after the same wait"),
  };
  const steady = {
    pivot: s("pivot steady no-op"),
    make: s("make steady no-op"),
    snake: s("snakemake steady no-op"),
    empty: s("empty deno run"),
  };
  const status = { pivot: s("pivot status"), make: s("make -q") };
  const change = { pivot: s("pivot repro, one input changed"), make: s("make, one input changed") };
  const snakeFresh = s("snakemake fresh");
  const snakeFirst = s("snakemake first no-op");
  try {
    log(`  ${n} cmd stages: warm-up`);
    for (const r of [pivot, make, spawn, xargs]) await warmUp(r);
    for (let round = 0; round < sizes.freshRounds; round++) {
      log(`  ${n} cmd stages: fresh round ${round + 1}/${sizes.freshRounds}`);
      await fresh(pivot, freshS.pivot);
      await noop(pivot, first.pivot);
      await fresh(make, freshS.make);
      await noop(make, first.make);
      await fresh(spawn, freshS.spawn);
      await fresh(xargs, freshS.xargs);
      // Each tool's no-op after the window follows the same pause (a full one: waiting only
      // until the window since its fresh run had passed gave pivot none at full sizes, after
      // the floors' fresh runs, and make a few ms; at small sizes pivot seconds, make less).
      await settle(performance.now());
      await noop(pivot, after.pivot);
      await settle(performance.now());
      await noop(make, after.make);
    }
    let snakeWritten = performance.now();
    if (snake !== null) {
      log(`  ${n} cmd stages: snakemake fresh (once)`);
      await fresh(snake, snakeFresh);
      snakeWritten = performance.now();
      await noop(snake, snakeFirst);
    }
    await settle(snakeWritten);
    if (snake !== null) await noop(snake, new Series("settling"));
    log(`  ${n} cmd stages: ${sizes.steadyRounds} steady rounds`);
    for (let round = 0; round < sizes.steadyRounds; round++) {
      await noop(pivot, steady.pivot);
      await noop(make, steady.make);
      if (snake !== null) await noop(snake, steady.snake);
      await noop(pivot, status.pivot, session.pivot(["status", "-q"]));
      await noop(make, status.make, { command: "make", args: ["-s", "-r", "-R", "-q"] });
      steady.empty.add(await timeRun(session.emptyDeno, pivot.dir));
    }
    log(`  ${n} cmd stages: ${sizes.changedRounds} one-input-changed rounds`);
    // Each tool edits after the same pause (past pivot's racy window since its last run): a
    // machine may make the first process after a pause pay for it (a virtual machine that
    // hands idle memory back to its host does), so neither runs right after the other.
    for (let round = 0; round < sizes.changedRounds; round++) {
      await settle(performance.now());
      await changed(pivot, change.pivot, round);
      await settle(performance.now());
      await changed(make, change.make, round);
    }
  } finally {
    for (const r of [pivot, make, spawn, xargs, snake]) if (r !== null) await discard(r.dir);
  }
  const make2 = `make ${MAKE_ARGS.join(" ")}`;
  const rows: Row[] = [
    compareRow(
      `fresh run, ${n} \`cmd\` stages`,
      freshS.pivot,
      freshS.make,
      { kind: "ratio at most", ratio: 1.3 },
      make2,
    ),
    compareRow(
      `fresh run, ${n} \`cmd\` stages, against a floor`,
      freshS.pivot,
      freshS.spawn,
      { kind: "none" },
      "Deno script spawning the same `sh -c` jobs, 2 in flight",
    ),
    compareRow(
      `fresh run, ${n} \`cmd\` stages, against a floor`,
      freshS.pivot,
      freshS.xargs,
      { kind: "none" },
      "`xargs -P 2` running the same `sh -c` jobs",
    ),
    compareRow(
      "first no-op, right after the fresh run",
      first.pivot,
      first.make,
      { kind: "at most", ms: 150 },
      make2,
    ),
  ];
  if (snake !== null) {
    rows.push(
      compareRow(
        "first no-op, right after the fresh run, against Snakemake (1 pair)",
        first.pivot,
        snakeFirst,
        { kind: "faster by", ratio: 10 },
        "snakemake -c 2",
      ),
    );
  }
  rows.push(
    compareRow(
      "first no-op after the racy window (pivot records its no-op stamp)",
      after.pivot,
      after.make,
      { kind: "at most", ms: 150 },
      make2,
    ),
    compareRow("steady no-op", steady.pivot, steady.make, { kind: "at most", ms: 150 }, make2),
  );
  if (snake !== null) {
    rows.push(
      compareRow(
        "steady no-op, against Snakemake",
        steady.pivot,
        steady.snake,
        { kind: "faster by", ratio: 10 },
        "snakemake -c 2",
      ),
    );
  }
  rows.push(
    compareRow(
      "steady no-op, against process start",
      steady.pivot,
      steady.empty,
      { kind: "none" },
      "empty `deno run`",
    ),
    compareRow(
      "`status` of the up-to-date project",
      status.pivot,
      status.make,
      { kind: "at most", ms: 150 },
      "make -r -q",
    ),
    compareRow(
      "one input changed (one stage + the fan-in)",
      change.pivot,
      change.make,
      { kind: "at most", ms: 200 },
      make2,
    ),
  );
  const all = [freshS, first, after, steady, status, change].flatMap((group) =>
    Object.values(group)
  );
  const series = [...all, snakeFresh, snakeFirst].filter((x) => x.samples.length > 0);
  const pivotSeries = [freshS.pivot, first.pivot, after.pivot, steady.pivot, status.pivot];
  return {
    rows,
    series,
    pivotSeries: [...pivotSeries, change.pivot],
    makeSeries: [freshS.make, first.make, steady.make, change.make],
    snakeFresh,
  };
}

/** The TypeScript-stage rows: fresh against one script doing the same reads and writes; no-ops. */
async function tsRows(session: BenchSession, shape: Shape) {
  const { sizes, log } = session;
  const n = sizes.stages.toLocaleString("en");
  const pivot = await runner(session, "pivot-ts", shape);
  const floor = await runner(session, "ts-floor", shape);
  const s = (label: string) => new Series(label);
  const freshS = { pivot: s("pivot repro (pipeline.ts), fresh"), floor: s("one-script floor") };
  const first = s("pivot first no-op (pipeline.ts)");
  const after = s("pivot first no-op after the racy window (pipeline.ts)");
  const steady = s("pivot steady no-op (pipeline.ts)");
  const empty = s("empty deno run");
  const emptyAfter = s(
    "empty deno run, after the same wait (paired with the no-op after the racy window)",
  );
  const emptyFirst = s("empty deno run (paired with the first no-op)");
  try {
    log(`  ${n} TypeScript stages: warm-up`);
    await warmUp(pivot);
    await warmUp(floor);
    for (let round = 0; round < sizes.freshRounds; round++) {
      log(`  ${n} TypeScript stages: fresh round ${round + 1}/${sizes.freshRounds}`);
      await fresh(pivot, freshS.pivot);
      await noop(pivot, first);
      emptyFirst.add(await timeRun(session.emptyDeno, pivot.dir));
      await fresh(floor, freshS.floor);
      // The no-op and the empty run each follow a full pause, the same: a machine may make the
      // first process after a pause pay for it (a virtual machine that hands idle memory back
      // to its host does).
      await settle(performance.now());
      await noop(pivot, after);
      await settle(performance.now());
      emptyAfter.add(await timeRun(session.emptyDeno, pivot.dir));
    }
    for (let round = 0; round < sizes.steadyRounds; round++) {
      await noop(pivot, steady);
      empty.add(await timeRun(session.emptyDeno, pivot.dir));
    }
  } finally {
    await discard(pivot.dir);
    await discard(floor.dir);
  }
  const rows = [
    compareRow(
      `fresh run, ${n} TypeScript (\`run\`) stages`,
      freshS.pivot,
      freshS.floor,
      { kind: "at most", ms: 600 },
      "one `deno run` script doing the same reads and writes",
    ),
    compareRow(
      "first no-op, TypeScript stages, right after the fresh run",
      first,
      emptyFirst,
      { kind: "at most", ms: 150 },
      "empty `deno run`",
    ),
    compareRow(
      "first no-op, TypeScript stages, after the racy window",
      after,
      emptyAfter,
      { kind: "at most", ms: 150 },
      "empty `deno run`, after the same wait",
    ),
    compareRow(
      "steady no-op, TypeScript stages",
      steady,
      empty,
      { kind: "at most", ms: 150 },
      "empty `deno run`",
    ),
  ];
  return {
    rows,
    series: [freshS.pivot, freshS.floor, first, emptyFirst, after, emptyAfter, steady, empty],
    pivotSeries: [freshS.pivot, first, after, steady],
  };
}

/** Runs the SPEC §13 pipeline rows at `sizes.stages` and returns its section. */
export async function benchCompare(session: BenchSession): Promise<SectionResult> {
  const shape = fanIn(session.sizes.stages);
  const n = session.sizes.stages.toLocaleString("en");
  session.log("  counting the processes each tool starts (strace)");
  const counts = await processCounts(session);
  const cmd = await cmdRows(session, shape);
  const ts = await tsRows(session, shape);
  const rows = [
    ...cmd.rows,
    ...ts.rows,
    memoryRow(
      `peak memory, any pivot run on ${n} stages`,
      [...cmd.pivotSeries, ...ts.pivotSeries],
      cmd.makeSeries,
      "make",
    ),
  ];
  const snake = cmd.snakeFresh.samples.length === 0
    ? `Snakemake: ${session.snakemake === null ? "not available, its rows are skipped" : "–"}.`
    : `Snakemake's fresh run (once, to have its outputs; no target): ${
      Math.round(cmd.snakeFresh.median).toLocaleString("en")
    } ms.`;
  return {
    rows,
    body: [
      `### Fan-in of ${n} stages plus one that reads them all, 2 jobs`,
      "",
      ...counts,
      snake,
      "",
    ],
    raw: [...cmd.series, ...ts.series].flatMap((x) => x.raw()),
  };
}
