/**
 * SPEC §13's 10,000-stage row: a fan-in of 10,000 `cmd` stages, pivot and
 * `make -r -j 2` taking turns: fresh runs each followed at once by the first
 * no-op (target ≤ 1 s) with pivot's peak memory (target ≤ 250 MB), then
 * steady no-ops.
 *
 * @module
 */
import { fresh, noop, runner } from "./compare.ts";
import { MAKE_ARGS } from "./_fixture.ts";
import { compareRow, memoryRow, type SectionResult, Series } from "./_report.ts";
import { type BenchSession, settle } from "./_session.ts";
import { fanIn } from "./shapes.ts";
import { discard } from "./_trash.ts";

/** Runs the large fan-in and returns its section. */
export async function benchScale(session: BenchSession): Promise<SectionResult> {
  const { sizes, log } = session;
  const n = sizes.bigStages.toLocaleString("en");
  const shape = fanIn(sizes.bigStages);
  const pivot = await runner(session, "pivot", shape);
  const make = await runner(session, "make", shape);
  const freshS = { pivot: new Series("pivot fresh"), make: new Series("make fresh") };
  const first = { pivot: new Series("pivot first no-op"), make: new Series("make first no-op") };
  const steady = { pivot: new Series("pivot steady no-op"), make: new Series("make steady no-op") };
  try {
    let written = 0;
    for (let round = 0; round < sizes.bigRounds; round++) {
      log(`  ${n} stages: round ${round + 1}/${sizes.bigRounds}`);
      await fresh(pivot, freshS.pivot);
      written = performance.now();
      await noop(pivot, first.pivot);
      await fresh(make, freshS.make);
      await noop(make, first.make);
    }
    await settle(written);
    await noop(pivot, new Series("settling"));
    for (let round = 0; round < sizes.steadyRounds; round++) {
      await noop(pivot, steady.pivot);
      await noop(make, steady.make);
    }
  } finally {
    await discard(pivot.dir);
    await discard(make.dir);
  }
  const make2 = `make ${MAKE_ARGS.join(" ")}`;
  return {
    rows: [
      compareRow(
        `${n} stages: first no-op, right after the fresh run`,
        first.pivot,
        first.make,
        { kind: "at most", ms: 1_000 },
        make2,
      ),
      memoryRow(`${n} stages: peak memory of the first no-op`, [first.pivot], [first.make], "make"),
      memoryRow(`${n} stages: peak memory of the fresh run`, [freshS.pivot], [freshS.make], "make"),
      compareRow(`${n} stages: fresh run`, freshS.pivot, freshS.make, { kind: "none" }, make2),
      compareRow(`${n} stages: steady no-op`, steady.pivot, steady.make, { kind: "none" }, make2),
    ],
    body: [],
    raw: [freshS.pivot, freshS.make, first.pivot, first.make, steady.pivot, steady.make]
      .flatMap((s) => s.raw()),
  };
}
