import assert from "node:assert/strict";
import { upToDateAsWritten } from "../../src/engine/written_lock.ts";
import type { HashInfo } from "../../src/storage/mod.ts";
import { runAFeedsB } from "./_fake_pool.ts";

Deno.test("upToDateAsWritten() notes the outputs it hashed and takes an input that is one of them from there", async () => {
  const { p, session, result } = await runAFeedsB();
  await using _p = p;
  await using _session = session;
  const a = session.plan("a");
  const b = session.plan("b");
  const aOut = a.outs[0]!.path;
  const outputs = new Map<string, HashInfo | null>();
  assert.equal(
    await upToDateAsWritten(session, a, result.results.get("a")!.written!, { outputs }),
    true,
  );
  const hashed = outputs.get(aOut);
  assert.ok(hashed !== undefined && hashed !== null);
  assert.equal(
    await upToDateAsWritten(session, b, result.results.get("b")!.written!, { outputs }),
    true,
  );
  assert.deepEqual([...outputs.keys()], [aOut, b.outs[0]!.path]);
  // b's input is taken from what the look noted for a's output, not hashed again.
  outputs.set(aOut, { hash: "0000000000000000" });
  assert.equal(
    await upToDateAsWritten(session, b, result.results.get("b")!.written!, { outputs }),
    false,
  );
  outputs.delete(aOut);
  assert.equal(
    await upToDateAsWritten(session, b, result.results.get("b")!.written!, { outputs }),
    true,
  );
});
