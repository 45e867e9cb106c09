import assert from "node:assert/strict";
import * as path from "node:path";
import { isNormalRelative, joinNormal, splitPath } from "../../src/util/paths.ts";

const BASES = ["/", "/a", "/a/b", "/a/", "/a//b", "/a/./b", "/a/../b", "a/b", "", "/a/b c/@d"];
const PARTS = ["x", "x/y", "x.", "..x", ".x", ".", "..", "", "/x", "x/", "x//y", "x/./y", "x/../y"];

Deno.test("joinNormal() is path.join() for every base and parts", () => {
  for (const base of BASES) {
    for (const a of PARTS) {
      assert.equal(joinNormal(base, a), path.join(base, a), `${base} + ${a}`);
      for (const b of PARTS) {
        assert.equal(joinNormal(base, a, b), path.join(base, a, b), `${base} + ${a} + ${b}`);
      }
    }
  }
});

Deno.test("isNormalRelative() tells the parts joinNormal() may concatenate", () => {
  assert.deepEqual(PARTS.filter(isNormalRelative), ["x", "x/y", "x.", "..x", ".x"]);
  // A normal relative path resolved from a normal absolute directory is the concatenation.
  for (const part of PARTS.filter(isNormalRelative)) {
    assert.equal(joinNormal("/a/b", part), path.resolve("/a/b", part));
  }
});

Deno.test("splitPath() is path.dirname() and path.basename()", () => {
  for (const file of [...BASES, "/x.txt", "/a/b/c.lock", "/a/b/"]) {
    assert.deepEqual(splitPath(file), { dir: path.dirname(file), name: path.basename(file) }, file);
  }
});
