import assert from "node:assert/strict";
import { confirmUpToDate } from "../../src/ops/confirm_up_to_date.ts";
import { noopStampHolds } from "../../src/ops/noop_stamp.ts";
import { buildNoopStamp } from "../../src/ops/record_noop_stamp.ts";
import type { FileHasher } from "../../src/storage/file_hasher.ts";
import type { PreciseStat } from "../../src/util/precise_stat.ts";
import { runAFeedsB } from "../engine/_fake_pool.ts";

/**
 * A project where `a` reads the file `in.txt` and `b` reads `a`'s output,
 * run with the fake pool and settled (the racy window of fine times is
 * 20 ms); `counts` counts the session's `stat` calls by path from then on.
 * `confirm` is the run's closing look, `stamp` the stamp taken after it as
 * `repro` takes it (from what the look saw).
 */
async function settledRun() {
  const counts = new Map<string, number>();
  const { p, session, result } = await runAFeedsB({ "in.txt": "input\n" }, {
    aReads: "in.txt",
    beforeRun: (session) => {
      const stats = session.stats;
      const counting: PreciseStat = {
        precise: stats.precise,
        stat(file, follow) {
          counts.set(file, (counts.get(file) ?? 0) + 1);
          return stats.stat(file, follow);
        },
        [Symbol.dispose]() {},
      };
      // The hashers the run opens look through it too.
      (session as { stats: PreciseStat }).stats = counting;
    },
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  counts.clear();
  const confirm = () =>
    confirmUpToDate(
      session,
      ["a", "b"],
      new Set(["a", "b"]),
      Date.now() - 1_000,
      true,
      (name) => result.results.get(name)?.written,
    );
  const stamp = (confirmed: NonNullable<Awaited<ReturnType<typeof confirm>>>) =>
    buildNoopStamp(session, ["a", "b"], null, confirmed.sinceMs, {
      earlierStages: confirmed.earlier,
      seen: confirmed.seen,
    });
  const aOut = session.plan("a").outs[0]!.path;
  return { p, session, counts, confirm, stamp, input: p.path("in.txt"), aOut };
}

/** Writes `text` to `file` as a new file (another inode), as an editor saving it does. */
function replace(file: string, text: string): void {
  Deno.writeTextFileSync(`${file}.new`, text);
  Deno.renameSync(`${file}.new`, file);
}

Deno.test("the stamp after a closing look takes its signatures of inputs and outputs from the look, and holds", async () => {
  const { p, session, counts, confirm, stamp, input, aOut } = await settledRun();
  await using _p = p;
  await using _session = session;
  const confirmed = await confirm();
  assert.ok(confirmed !== null);
  // The input, a's output (b's input) and the .pvt file that could track the input.
  const paths = [input, aOut, `${input}.pvt`];
  const looked = paths.map((file) => counts.get(file) ?? 0);
  assert.ok(looked.every((count) => count > 0), "the closing look looked at each");
  const taken = stamp(confirmed);
  assert.deepEqual(paths.map((file) => counts.get(file) ?? 0), looked, "the stamp looked again");
  assert.ok(taken !== null && noopStampHolds(taken, session.stats));
});

Deno.test("an input or output re-written after the closing look looked at it leaves no stamp that holds", async () => {
  for (const which of ["input", "output"] as const) {
    const { p, session, confirm, stamp, input, aOut } = await settledRun();
    await using _p = p;
    await using _session = session;
    const confirmed = await confirm();
    assert.ok(confirmed !== null);
    // The same length and, for the output, the content its lock records: only the signature tells.
    if (which === "input") replace(input, "INPUT\n");
    else replace(aOut, "a\n");
    const taken = stamp(confirmed);
    assert.ok(taken === null || !noopStampHolds(taken, session.stats), which);
  }
});

Deno.test("an output replaced between the closing look's stat of it and its read leaves no stamp that holds", async () => {
  const { p, session, confirm, stamp, aOut } = await settledRun();
  await using _p = p;
  await using _session = session;
  // Another file takes the output's place once the look has its status: the look reads
  // content (what the lock records) that the signature taken is not the signature of.
  const hasher = session.hasher.bind(session);
  let replaced = false;
  session.hasher = async (stateDir: string): Promise<FileHasher> => {
    const real = await hasher(stateDir);
    return new Proxy(real, {
      get(target, key) {
        if (key !== "hashFound") return Reflect.get(target, key, target);
        return (file: string, info: Parameters<FileHasher["hashFound"]>[1]) => {
          if (file === aOut && !replaced) {
            replaced = true;
            replace(aOut, "a\n");
          }
          return target.hashFound(file, info);
        };
      },
    });
  };
  const confirmed = await confirm();
  assert.ok(replaced);
  const taken = confirmed === null ? null : stamp(confirmed);
  assert.ok(taken === null || !noopStampHolds(taken, session.stats));
});

Deno.test("a .pvt file that appears after the closing look found none leaves no stamp that holds", async () => {
  const { p, session, confirm, stamp, input } = await settledRun();
  await using _p = p;
  await using _session = session;
  const confirmed = await confirm();
  assert.ok(confirmed !== null);
  Deno.writeTextFileSync(`${input}.pvt`, "path: in.txt\nhash: '0000000000000000'\nsize: 6\n");
  const taken = stamp(confirmed);
  assert.ok(taken === null || !noopStampHolds(taken, session.stats));
});
