/**
 * pivot against `make -r -j 2` on two more shapes of 1,000 `cmd` stages, a
 * chain and a diamond (no SPEC target: how the fan-in's figures carry over),
 * taking turns: fresh runs each followed by the first no-op, then runs after
 * the one input changed.
 *
 * @module
 */
import { changed, fresh, noop, runner } from "./compare.ts";
import { MAKE_ARGS } from "./_fixture.ts";
import { compareRow, type Row, type SectionResult, Series } from "./_report.ts";
import { type BenchSession, settle } from "./_session.ts";
import { chain, diamond } from "./shapes.ts";
import { discard } from "./_trash.ts";

/** Runs the chain and the diamond and returns their section. */
export async function benchShapes(session: BenchSession): Promise<SectionResult> {
  const { sizes, log } = session;
  const rows: Row[] = [];
  const raw: Series[] = [];
  const make2 = `make ${MAKE_ARGS.join(" ")}`;
  for (const shape of [chain(sizes.stages), diamond(sizes.stages)]) {
    const pivot = await runner(session, "pivot", shape);
    const make = await runner(session, "make", shape);
    const s = (label: string) => new Series(`${shape.name}: ${label}`);
    const freshS = { pivot: s("pivot fresh"), make: s("make fresh") };
    const first = { pivot: s("pivot first no-op"), make: s("make first no-op") };
    const change = { pivot: s("pivot one input changed"), make: s("make one input changed") };
    try {
      for (let round = 0; round < sizes.freshRounds; round++) {
        log(`  ${shape.name}: round ${round + 1}/${sizes.freshRounds}`);
        await fresh(pivot, freshS.pivot);
        await noop(pivot, first.pivot);
        await fresh(make, freshS.make);
        await noop(make, first.make);
      }
      // Each tool edits after the same pause, as in the fan-in's rows (compare.ts).
      for (let round = 0; round < sizes.changedRounds; round++) {
        await settle(performance.now());
        await changed(pivot, change.pivot, round);
        await settle(performance.now());
        await changed(make, change.make, round);
      }
    } finally {
      await discard(pivot.dir);
      await discard(make.dir);
    }
    const label = `${shape.name} of ${shape.stages.length.toLocaleString("en")} stages`;
    rows.push(
      compareRow(`${label}: fresh run`, freshS.pivot, freshS.make, { kind: "none" }, make2),
      compareRow(`${label}: first no-op`, first.pivot, first.make, { kind: "none" }, make2),
      compareRow(
        `${label}: the input changed (every stage reruns)`,
        change.pivot,
        change.make,
        { kind: "none" },
        make2,
      ),
    );
    raw.push(...Object.values(freshS), ...Object.values(first), ...Object.values(change));
  }
  return { rows, body: [], raw: raw.flatMap((s) => s.raw()) };
}
