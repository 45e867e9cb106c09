import assert from "node:assert/strict";
import { confirmUpToDate } from "../../src/ops/confirm_up_to_date.ts";
import { vouchRacyReads } from "../../src/ops/vouch_racy_reads.ts";
import type { RacyRead } from "../../src/storage/racy_content.ts";
import { runAFeedsB } from "../engine/_fake_pool.ts";

/**
 * A run of `a` (reading `in.txt`) feeding `b`, and its closing look taken at
 * once (a stamp with racy entries), as `repro` takes it right after a run
 * that touched a few stages.
 */
async function lookedAtOnce() {
  const { p, session, result } = await runAFeedsB({ "in.txt": "input\n" }, { aReads: "in.txt" });
  const confirmed = await confirmUpToDate(
    session,
    ["a", "b"],
    new Set(["a", "b"]),
    Date.now(),
    false,
    (name) => result.results.get(name)?.written,
  );
  return { p, session, confirmed };
}

/** A racy read of `file` holding `bytes`. */
function readOf(file: string, bytes: Uint8Array): Map<string, RacyRead> {
  return new Map([[file, { bytes }]]);
}

Deno.test("the closing look taken at once finds the stages whose locks the run wrote up to date as written", async () => {
  const { p, session, confirmed } = await lookedAtOnce();
  await using _p = p;
  await using _session = session;
  assert.ok(confirmed !== null);
  for (const name of ["a", "b"]) {
    const looked = confirmed.assessed.get(name);
    assert.ok(looked?.asWritten !== undefined, name);
    assert.equal(looked.state, undefined, name);
  }
});

Deno.test("vouchRacyReads() vouches for a stage found up to date as written by the bytes written", async () => {
  const { p, session, confirmed } = await lookedAtOnce();
  await using _p = p;
  await using _session = session;
  assert.ok(confirmed !== null);
  const vouch = (reads: Map<string, RacyRead>) =>
    vouchRacyReads(session, reads, confirmed.assessed, ["a", "b"]);
  const b = session.plan("b");
  const lock = Deno.readFileSync(b.lockFile);
  assert.equal(await vouch(readOf(b.lockFile, lock)), true);
  // The same lock in other bytes (a space more after the JSON): not what the run wrote.
  const spaced = new Uint8Array([...lock, 0x20]);
  assert.equal(await vouch(readOf(b.lockFile, spaced)), false);
  // a's output, which b read: its recorded content, then other content.
  const aOut = session.plan("a").outs[0]!.path;
  assert.equal(await vouch(readOf(aOut, Deno.readFileSync(aOut))), true);
  assert.equal(await vouch(readOf(aOut, new TextEncoder().encode("other\n"))), false);
  // a's input as its lock records it, then other content.
  const input = p.path("in.txt");
  assert.equal(await vouch(readOf(input, new TextEncoder().encode("input\n"))), true);
  assert.equal(await vouch(readOf(input, new TextEncoder().encode("INPUT\n"))), false);
});
