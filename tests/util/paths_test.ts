import assert from "node:assert/strict";
import * as path from "node:path";
import { isInside, relativePosix } from "../../src/util/paths.ts";

Deno.test("relativePosix: the same answer as path.relative, for normal paths below the base and for every other shape", () => {
  const cases: [string, string][] = [
    ["/p", "/p/data/a.csv"],
    ["/p", "/p"],
    ["/p", "/p/"],
    ["/p", "/pq/a"],
    ["/p", "/q/a"],
    ["/p/", "/p/a"],
    ["/p", "/p//a"],
    ["/p", "/p/./a"],
    ["/p", "/p/../q/a"],
    ["/p", "/p/a/.."],
    ["/p", "/p/a/."],
    ["/p", "/p/.hidden/..x/a..b"],
    ["/p/./q", "/p/q/a"],
    ["/p/q/..", "/p/a"],
    ["/", "/a/b"],
    ["/p/q", "/p"],
  ];
  for (const [base, target] of cases) {
    const rel = path.relative(base, target);
    assert.equal(relativePosix(base, target), rel === "" ? "." : rel, `${base} → ${target}`);
  }
});

Deno.test("isInside: the same answer as one from path.relative, for normal paths and every other shape", () => {
  const slow = (base: string, target: string) => {
    const rel = path.relative(base, target);
    return rel === "" ||
      (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
  };
  const paths = [
    "/p",
    "/p/",
    "/p/a",
    "/pq",
    "/pq/a",
    "/p//a",
    "/p/./a",
    "/p/../p/a",
    "/p/a/..",
    "/",
    "/q",
    "p",
    "p/a",
  ];
  for (const base of paths) {
    for (const target of paths) {
      assert.equal(isInside(base, target), slow(base, target), `${base} → ${target}`);
    }
  }
});
