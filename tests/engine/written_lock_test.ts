import assert from "node:assert/strict";
import { recordedAsWritten } from "../../src/engine/written_lock.ts";
import type { HashInfo } from "../../src/storage/mod.ts";
import { runAFeedsB } from "./_fake_pool.ts";

Deno.test("recordedAsWritten() notes the outputs it hashed and takes an input that is one of them from there", async () => {
  const { p, session, result } = await runAFeedsB();
  await using _p = p;
  await using _session = session;
  const a = session.plan("a");
  const b = session.plan("b");
  const aOut = a.outs[0]!.path;
  const outputs = new Map<string, HashInfo | null>();
  assert.notEqual(
    await recordedAsWritten(session, a, result.results.get("a")!.written!, { outputs }),
    null,
  );
  const hashed = outputs.get(aOut);
  assert.ok(hashed !== undefined && hashed !== null);
  assert.notEqual(
    await recordedAsWritten(session, b, result.results.get("b")!.written!, { outputs }),
    null,
  );
  assert.deepEqual([...outputs.keys()], [aOut, b.outs[0]!.path]);
  // b's input is taken from what the look noted for a's output, not hashed again.
  outputs.set(aOut, { hash: "0000000000000000" });
  assert.equal(
    await recordedAsWritten(session, b, result.results.get("b")!.written!, { outputs }),
    null,
  );
  outputs.delete(aOut);
  assert.notEqual(
    await recordedAsWritten(session, b, result.results.get("b")!.written!, { outputs }),
    null,
  );
});
