import assert from "node:assert/strict";
import { jsonParts } from "../../src/storage/json_parts.ts";

/** Data shaped like a no-op stamp of `n` stages. */
function stampLike(n: number): Record<string, unknown> {
  const followed: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    followed[`/p/.pivot/stages/s${i}.lock`] = `f:${i}:1796657268.576649651:=:${i * 7}`;
    followed[`/p/inputs/${i}.txt`] = `f:2:1796657268.56464965${i % 10}:=:${i}`;
  }
  const stages = Array.from({ length: n }, (_, i) => `s${i}`);
  return {
    format: 1,
    writtenMs: 1796657393743,
    followed,
    unfollowed: {},
    sentinels: { "/p/.pivot/stages": stages.map((stage) => `${stage}.running`) },
    racy: {},
    absent: [{ dir: "/p/inputs", signature: "d:1", names: stages.map((s) => `${s}.pvt`) }],
    stages,
    completions: stages.map((stage, i) => ({
      stage,
      index: i + 1,
      total: n,
      reason: "up to date",
      details: [],
    })),
  };
}

Deno.test("jsonParts() gives JSON.stringify's text of a large stamp, in parts of about the size asked", () => {
  const value = stampLike(2_000);
  const whole = JSON.stringify(value);
  const parts = [...jsonParts(value, 4096)];
  assert.equal(parts.join(""), whole);
  assert.ok(parts.length >= whole.length / (2 * 4096), `${parts.length} parts`);
  // A part ends at the first entry boundary past the size: longer only by the entry (or
  // the small array or object) that crossed it, here the sentinels list of 2,000 names.
  const sentinels = JSON.stringify(value.sentinels).length;
  for (const part of parts) assert.ok(part.length < 4096 + sentinels, `${part.length} chars`);
  assert.equal(parts.filter((part) => part.length > 4096 + 200).length, 2);
});

Deno.test("jsonParts() leaves out and writes null where JSON.stringify does", () => {
  const many = <T>(make: (i: number) => T) => Array.from({ length: 100 }, (_, i) => make(i));
  const value = {
    gone: undefined,
    fn: () => 1,
    list: many((i) => [undefined, () => 1, Symbol("s"), NaN, -0, 1e21, 'é\u2028"\\\n😀'][i % 7]),
    keyed: Object.fromEntries(
      many((i) => [i % 3 === 0 ? String(i) : `k${i}`, i % 5 ? [i] : undefined]),
    ),
    dated: new Date(0),
    own: { toJSON: () => "as json" },
    listed: Object.assign(many((i) => i), { toJSON: () => "array as json" }),
    bare: Object.assign(Object.create(null), Object.fromEntries(many((i) => [`b${i}`, i]))),
    nested: many((i) => (i % 4 ? { i, deeper: many((j) => ({ j })) } : undefined)),
  };
  assert.equal([...jsonParts(value, 16)].join(""), JSON.stringify(value));
  assert.equal([...jsonParts(value.list, 1)].join(""), JSON.stringify(value.list));
  assert.deepEqual([...jsonParts(undefined, 16)], []);
  assert.deepEqual([...jsonParts(() => 1, 16)], []);
  assert.deepEqual([...jsonParts("text", 16)], ['"text"']);
  assert.deepEqual([...jsonParts({}, 16)], ["{}"]);
  assert.deepEqual([...jsonParts([], 16)], ["[]"]);
});
