/**
 * Loading a project (discover, validate, build the DAG) at 100, 1,000 and
 * 10,000 stages, in-process and as a whole `pivot list` process, next to a
 * bare `deno run` of an empty script, taking turns.
 *
 * @module
 */
import { openProject } from "../src/project/mod.ts";
import { makeFixture } from "./_fixture.ts";
import { fanIn } from "./shapes.ts";
import { median, ms, pairedRatios, timeIt, timeRun } from "./_measure.ts";
import { type SectionResult, Series } from "./_report.ts";
import type { BenchSession } from "./_session.ts";
import { discard } from "./_trash.ts";

/** Runs the benchmark and returns its section (no SPEC target: the table only). */
export async function benchLoadProject(session: BenchSession): Promise<SectionResult> {
  const repeats = session.sizes.freshRounds;
  const sizes = [100, session.sizes.stages, session.sizes.bigStages]
    .filter((n, i, all) => all.indexOf(n) === i);
  const rows: string[] = [];
  const raw: Series[] = [];
  for (const n of sizes) {
    session.log(`  ${n.toLocaleString("en")} stages`);
    const dir = await makeFixture("pivot", fanIn(n));
    const load = new Series(`${n} stages: load project (in-process)`);
    const list = new Series(`${n} stages: pivot list --json`);
    const empty = new Series(`${n} stages: empty deno run`);
    for (let i = 0; i < repeats; i++) {
      load.add({ ms: await timeIt(() => openProject({ cwd: dir })), peakMb: null });
      list.add(await timeRun(session.pivot(["list", "--json"]), dir));
      empty.add(await timeRun(session.emptyDeno, dir));
    }
    rows.push(
      `| ${n.toLocaleString("en")} | ${load.median.toFixed(1)} ms | ${
        (load.median / n * 1000).toFixed(1)
      } µs | ${ms(list.median)} | ${ms(empty.median)} | ${
        median(pairedRatios(list.times, empty.times)).toFixed(1)
      }× |`,
    );
    raw.push(load, list, empty);
    await discard(dir);
  }
  return {
    rows: [],
    body: [
      `Medians of ${repeats} rounds; in each, the in-process load, the \`pivot list --json\` process and an empty \`deno run\` take turns.`,
      "",
      "| stages | load project (in-process) | per stage | `pivot list --json` process | empty `deno run` | list / empty (paired) |",
      "|---|---|---|---|---|---|",
      ...rows,
      "",
    ],
    raw: raw.flatMap((s) => s.raw()),
  };
}
