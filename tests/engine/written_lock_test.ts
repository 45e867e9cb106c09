import assert from "node:assert/strict";
import { newRunId, runStages } from "../../src/engine/mod.ts";
import { upToDateAsWritten } from "../../src/engine/written_lock.ts";
import { openSession } from "../../src/session/mod.ts";
import type { HashInfo } from "../../src/storage/mod.ts";
import { makeProject } from "../_helpers/project.ts";
import { FakePool, withPool } from "./_fake_pool.ts";

Deno.test("upToDateAsWritten() notes the outputs it hashed and takes an input that is one of them from there", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  a:",
      "    cmd: never run",
      "    outs: txt",
      "  b:",
      "    cmd: never run",
      "    deps: {in: a}",
      "    outs: txt",
      "",
    ].join("\n"),
  });
  await using session = await openSession({ cwd: p.root, warn: () => {} });
  const result = await runStages(withPool(session, new FakePool()), {
    stages: ["a", "b"],
    jobs: 2,
    runId: newRunId(),
    onEvent: () => {},
  });
  const a = session.plan("a");
  const b = session.plan("b");
  const aOut = a.outs[0]!.path;
  const outputs = new Map<string, HashInfo | null>();
  assert.equal(
    await upToDateAsWritten(session, a, result.results.get("a")!.written!, outputs),
    true,
  );
  const hashed = outputs.get(aOut);
  assert.ok(hashed !== undefined && hashed !== null);
  assert.equal(
    await upToDateAsWritten(session, b, result.results.get("b")!.written!, outputs),
    true,
  );
  assert.deepEqual([...outputs.keys()], [aOut, b.outs[0]!.path]);
  // b's input is taken from what the look noted for a's output, not hashed again.
  outputs.set(aOut, { hash: "0000000000000000" });
  assert.equal(
    await upToDateAsWritten(session, b, result.results.get("b")!.written!, outputs),
    false,
  );
  outputs.delete(aOut);
  assert.equal(
    await upToDateAsWritten(session, b, result.results.get("b")!.written!, outputs),
    true,
  );
});
