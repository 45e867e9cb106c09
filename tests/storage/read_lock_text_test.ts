import assert from "node:assert/strict";
import { readLockText, serializeLock, type StageLock } from "../../src/storage/mod.ts";

const LOCK: StageLock = {
  stage: "train",
  pipeline: "ml",
  fingerprint: { hash: "0123456789abcdef", manifest: {} },
  params: { lr: 0.1 },
  deps: [],
  outs: [{
    key: "scores",
    path: "data/ml/train/scores.json",
    hash: "fedcba9876543210",
    cache: false,
  }],
};

Deno.test("readLockText() validates lock text from elsewhere like a lock file", async () => {
  const warnings: string[] = [];
  const options = { warn: (m: string) => warnings.push(m), display: "x.lock at HEAD" };
  assert.deepEqual(await readLockText(serializeLock(LOCK), options), LOCK);
  const escaping = serializeLock(LOCK).replace("data/ml/train/scores.json", "../outside.json");
  assert.equal(await readLockText(escaping, options), null);
  assert.equal(
    await readLockText(serializeLock(LOCK), {
      ...options,
      expect: { stage: "eval", pipeline: "ml" },
    }),
    null,
  );
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /^ignoring malformed lock file x\.lock at HEAD: outs\[0\]\.path: /);
  assert.equal(
    warnings[1],
    "ignoring malformed lock file x.lock at HEAD: it belongs to 'ml/train', not 'ml/eval'",
  );
});
