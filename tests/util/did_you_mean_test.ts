import assert from "node:assert/strict";
import { closestMatch, didYouMean, editDistance } from "../../src/util/did_you_mean.ts";

Deno.test("closestMatch() suggests the closest candidate within the typo limit", async (t) => {
  const cases: [string, string[], string | undefined][] = [
    ["trian", ["train", "eval"], "train"],
    ["dpes", ["cmd", "run", "deps", "outs"], "deps"],
    ["modle", ["model", "scores"], "model"],
    ["cvs", ["csv", "tsv", "json"], "csv"],
    ["stagse", ["pipeline", "stages"], "stages"],
    ["knd", ["format", "kind"], "kind"],
    ["jsn", ["json", "jsonl"], "json"],
    ["parms", ["params"], "params"],
    ["timeout", ["cmd", "run", "deps", "outs"], undefined],
    ["x", ["y"], "y"],
    ["ab", ["cd"], undefined],
    ["train", ["train"], undefined],
    ["anything", [], undefined],
  ];
  for (const [input, candidates, expected] of cases) {
    await t.step(`${input} in [${candidates.join(", ")}]`, () => {
      assert.equal(closestMatch(input, candidates), expected);
    });
  }
});

Deno.test("closestMatch() breaks ties by picking the alphabetically first candidate", () => {
  assert.equal(closestMatch("tsv", ["tsx", "tsa"]), "tsa");
  assert.equal(closestMatch("tsv", ["tsa", "tsx"]), "tsa");
});

Deno.test("didYouMean() formats the suggestion or returns nothing", () => {
  assert.equal(didYouMean("dpes", ["deps", "outs"]), " (did you mean 'deps'?)");
  assert.equal(didYouMean("zzzzzz", ["deps", "outs"]), "");
});

Deno.test("editDistance() counts an adjacent swap as one edit, and nothing else twice", () => {
  const cases: [string, string, number][] = [
    ["", "", 0],
    ["", "abc", 3],
    ["abc", "", 3],
    ["train", "train", 0],
    ["trian", "train", 1],
    ["ab", "ba", 1],
    ["abcd", "badc", 2],
    ["kitten", "sitting", 3],
    // Optimal string alignment: a swapped pair is not edited again (true Damerau gives 2).
    ["ca", "abc", 3],
    ["modle", "model", 1],
  ];
  for (const [a, b, expected] of cases) assert.equal(editDistance(a, b), expected, `${a} → ${b}`);
});
