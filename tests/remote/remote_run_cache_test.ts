import assert from "node:assert/strict";
import { parseRunCacheEntry, runCacheKey, serializeRunCacheEntry } from "../../src/remote/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { PETS } from "../_helpers/storage.ts";

const ENTRY = {
  stage: "ml/train@small",
  inputHash: "0123456789abcdef",
  runId: "20260101T000000Z-abc",
  outputs: [
    { key: "model", hash: "70227ad56ed7a20d" },
    { key: "images", hash: "55211bc0d7941edc", manifest: PETS },
  ],
};

Deno.test("a remote run-cache entry reads back as written, at runs/<pipeline>/<stage>/<input hash>.json", () => {
  assert.equal(
    runCacheKey(ENTRY.stage, ENTRY.inputHash),
    "runs/ml/train@small/0123456789abcdef.json",
  );
  assert.deepEqual(
    parseRunCacheEntry(serializeRunCacheEntry(ENTRY), ENTRY.stage, ENTRY.inputHash),
    ENTRY,
  );
});

Deno.test("parseRunCacheEntry() rejects entries that do not validate", async (t) => {
  const edit = (change: (data: Record<string, unknown>) => void) => {
    const data = JSON.parse(serializeRunCacheEntry(ENTRY));
    change(data);
    return JSON.stringify(data);
  };
  const cases: [string, string, string][] = [
    ["not JSON", "{", "not valid JSON"],
    ["another stage", edit((d) => (d.stage = "ml/other")), "stage: expected 'ml/train@small'"],
    [
      "a bad hash",
      edit((d) => ((d.outputs as { hash: string }[])[0]!.hash = "../../etc")),
      'outputs[0].hash: invalid hash "../../etc": expected 16 lowercase hex characters',
    ],
    [
      "an escaping manifest path",
      edit((
        d,
      ) => ((d.outputs as { manifest: { relpath: string }[] }[])[1]!.manifest[0]!.relpath =
        "../x")
      ),
      `outputs[1].manifest[0].relpath: unsafe path "../x": leaves its directory ('..')`,
    ],
    [
      "a manifest that does not match",
      edit((d) => ((d.outputs as { hash: string }[])[1]!.hash = "0000000000000000")),
      "outputs[1].manifest: does not match the tree hash 0000000000000000",
    ],
  ];
  for (const [name, text, message] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => parseRunCacheEntry(text, ENTRY.stage, ENTRY.inputHash),
        (error: unknown) => {
          assert.ok(error instanceof PivotError);
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }
});
