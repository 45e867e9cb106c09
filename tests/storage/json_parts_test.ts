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

/** The parts of `value` written one entry at a time (what `jsonParts` must give, faster). */
function partsEntryByEntry(value: unknown, partChars: number): string[] {
  const parts: string[] = [];
  let text = "";
  const large = (item: unknown, fewest: number) =>
    typeof item === "object" && item !== null && !("toJSON" in item) &&
    (Array.isArray(item) || [Object.prototype, null].includes(Object.getPrototypeOf(item))) &&
    (Array.isArray(item) ? item.length : Object.keys(item).length) >= fewest;
  const write = (item: object) => {
    const array = Array.isArray(item) ? item : null;
    const keys = array === null ? Object.keys(item) : [];
    text += array === null ? "{" : "[";
    let first = true;
    for (let i = 0; i < (array ?? keys).length; i++) {
      const member = array === null ? (item as Record<string, unknown>)[keys[i]!] : array[i];
      const json = JSON.stringify(member);
      if (array === null && json === undefined) continue;
      text += `${first ? "" : ","}${array === null ? `${JSON.stringify(keys[i])}:` : ""}`;
      first = false;
      if (large(member, 64)) write(member as object);
      else text += json ?? "null";
      if (text.length >= partChars) parts.push(text), text = "";
    }
    text += array === null ? "}" : "]";
  };
  if (large(value, 0)) write(value as object);
  else text = JSON.stringify(value) ?? "";
  if (text.length > 0) parts.push(text);
  return parts;
}

Deno.test("jsonParts() ends each part at the first entry boundary past the size asked", () => {
  const value = stampLike(700);
  for (const size of [1, 100, 1000, 4096, 50_000]) {
    assert.deepEqual([...jsonParts(value, size)], partsEntryByEntry(value, size), `size ${size}`);
  }
});
