import assert from "node:assert/strict";
import { confirmUpToDate } from "../../src/ops/confirm_up_to_date.ts";
import { noopStampHolds } from "../../src/ops/noop_stamp.ts";
import { buildNoopStamp } from "../../src/ops/record_noop_stamp.ts";
import type { FileHasher } from "../../src/storage/file_hasher.ts";
import { runAFeedsB } from "../engine/_fake_pool.ts";

/**
 * A project of a and b (b reads a's output), run with the fake pool; a's
 * output (`a\n`) then made a link to a file of the same content, as a symlink
 * checkout leaves it, and everything settled (the racy window of fine times
 * is 20 ms); `confirm` is the closing look of that run.
 */
async function linkedRun() {
  const { p, session, result } = await runAFeedsB({
    "old/same.txt": "a\n",
    "old/other.txt": "not a\n",
  });
  const aOut = session.plan("a").outs[0]!.path;
  await Deno.remove(aOut);
  await Deno.symlink(p.path("old/same.txt"), aOut);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const confirm = () =>
    confirmUpToDate(
      session,
      ["a", "b"],
      new Set(["a", "b"]),
      Date.now() - 1_000,
      true,
      (name) => result.results.get(name)?.written,
    );
  return { p, session, aOut, confirm };
}

Deno.test("an output symlink pointed at another, older file after the closing look read it leaves no stamp", async () => {
  const { p, session, aOut, confirm } = await linkedRun();
  await using _p = p;
  await using _session = session;
  // Once the closing look has read a's output, another process points the link elsewhere
  // (a `pivot checkout` of another version, in symlink mode): to a file settled long ago.
  // b's input is that output: it must not be taken as the look read it before.
  const hasher = session.hasher.bind(session);
  let repointed = false;
  session.hasher = async (stateDir: string): Promise<FileHasher> => {
    const real = await hasher(stateDir);
    return new Proxy(real, {
      get(target, key) {
        // However the look hashes a path: from a stat of its own, or from the one it took.
        if (key !== "hashIfPresent" && key !== "hashFound") return Reflect.get(target, key, target);
        return async (file: string, ...rest: [Parameters<FileHasher["hashFound"]>[1]]) => {
          const hashed = key === "hashFound"
            ? await target.hashFound(file, ...rest)
            : await target.hashIfPresent(file);
          if (file === aOut && !repointed) {
            repointed = true;
            await Deno.remove(aOut);
            await Deno.symlink(p.path("old/other.txt"), aOut);
          }
          return hashed;
        };
      },
    });
  };
  const confirmed = await confirm();
  assert.ok(repointed);
  // Taken from what the look saw (as `repro` takes it), or looking at every path again.
  for (const seen of [true, false]) {
    const stamp = confirmed === null
      ? null
      : buildNoopStamp(session, ["a", "b"], null, confirmed.sinceMs, {
        earlierStages: confirmed.earlier,
        ...(seen ? { seen: confirmed.seen } : {}),
      });
    // a's output (b's input) no longer holds what a's and b's locks record: a stamp that held
    // would answer the next repro "up to date".
    assert.ok(
      stamp === null || !noopStampHolds(stamp, session.stats),
      `a stamp was left that vouches for an output changed after the look (seen: ${seen})`,
    );
  }
});

Deno.test("an output symlink pointed elsewhere between the closing look and the stamp leaves no stamp; one left alone does", async () => {
  const { p, session, aOut, confirm } = await linkedRun();
  await using _p = p;
  await using _session = session;
  const confirmed = await confirm();
  assert.ok(confirmed !== null);
  // Taken from what the look saw (as `repro` takes it), or looking at every path again.
  const stamp = (seen: boolean) =>
    buildNoopStamp(session, ["a", "b"], null, confirmed.sinceMs, {
      earlierStages: confirmed.earlier,
      ...(seen ? { seen: confirmed.seen } : {}),
    });
  // Left alone, the link and what it points to are settled: the stamp is taken, and holds.
  for (const seen of [true, false]) {
    const taken = stamp(seen);
    assert.ok(taken !== null && noopStampHolds(taken, session.stats));
  }
  await Deno.remove(aOut);
  await Deno.symlink(p.path("old/other.txt"), aOut);
  for (const seen of [true, false]) {
    const after = stamp(seen);
    assert.ok(after === null || !noopStampHolds(after, session.stats));
  }
});
