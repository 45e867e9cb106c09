/**
 * The stored text of stamps (`noop_stamp_text.ts`): paths relative to the
 * project root, grouped by directory, read back exactly; the text of an
 * older format is no stamp at all.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type NoopStamp, parseNoopStamp } from "../../src/ops/noop_stamp.ts";
import { stampFromText, stampText } from "../../src/ops/noop_stamp_text.ts";
import { parseReportStamp, type ReportStamp } from "../../src/ops/report_stamp.ts";

const ROOT = "/work/projects/demo";

/** A stamp with every kind of path a stamp holds, in and out of `root`. */
function sampleStamp(root = ROOT): NoopStamp {
  const completion = (stage: string, index: number) => ({
    stage,
    index,
    total: 3,
    reason: "up to date",
    details: [] as string[],
  });
  return {
    format: 6,
    writtenMs: 1_796_000_000_000,
    followed: {
      "/home/u/.config/pivot/config.yaml": "-",
      [`${root}/.pivot/config.yaml`]: "-",
      [`${root}/pivot.yaml`]: "f:94:1796641379.815705176:=:5748039",
      [root]: "d:4096:1796641379.1:=:1",
      [`${root}/.pivot/cache/files/14`]: "d:6:1796641379.2:=:2",
      [`${root}/.pivot/cache/files/__proto__`]: "d:6:1796641379.3:=:3",
      [`${root}/data/bench/s0.txt`]: "f:3:1796641380.2:1796641380.3:4",
      "/top.txt": "f:1:1.0:=:5",
      [`${root}-other/x.txt`]: "f:1:1.0:=:6",
    },
    unfollowed: { [`${root}/data/dir/a`]: "f:1:1.0:=:7" },
    sentinels: { [`${root}/.pivot/stages/bench`]: ["s0.running", "all.running"] },
    racy: { [`${root}/data/bench/s0.txt`]: "f:3:bfed64d3d24a75ad" },
    absent: [
      { dir: `${root}/inputs`, signature: "d:32768:1.0:=:8", names: ["0.txt.pvt", "1.txt.pvt"] },
      { dir: "/elsewhere", signature: null, names: ["x.pvt"] },
    ],
    sources: ["/home/u/.config/pivot/config.yaml", `${root}/pivot.yaml`],
    stages: ["s0", "s1", "all"],
    completions: [
      completion("s0", 1),
      // Not the default of its place: kept whole.
      completion("all", 2),
      { ...completion("s1", 3), stage: "s1", details: ["note"] },
    ],
  };
}

Deno.test("stampText: read back against the same root, a stamp is what it was", () => {
  const stamp = sampleStamp();
  const text = stampText(stamp, ROOT);
  assert.deepEqual(parseNoopStamp(text, ROOT), stamp);
  // The order of paths within a map is not kept, but every path is.
  assert.deepEqual(
    Object.keys(parseNoopStamp(text, ROOT)!.followed).sort(),
    Object.keys(stamp.followed).sort(),
  );
});

Deno.test("stampText: paths inside the root are stored relative to it, by directory", () => {
  const stamp = sampleStamp();
  const text = stampText(stamp, ROOT);
  // The root appears nowhere, but as the prefix of a sibling directory outside it.
  assert.equal(text.split(ROOT).length - 1, 1);
  assert.ok(text.includes(`"${ROOT}-other"`));
  const stored = JSON.parse(text);
  assert.deepEqual(stored.sentinels, [[".pivot/stages/bench", "s0.running", "all.running"]]);
  assert.deepEqual(stored.absent, [
    ["inputs", "d:32768:1.0:=:8", "0.txt.pvt", "1.txt.pvt"],
    ["/elsewhere", null, "x.pvt"],
  ]);
  assert.deepEqual(stored.sources, ["/home/u/.config/pivot/config.yaml", "pivot.yaml"]);
  assert.deepEqual(stored.followed.find((group: string[]) => group[0] === ".pivot/cache/files"), [
    ".pivot/cache/files",
    "14",
    "d:6:1796641379.2:=:2",
    "__proto__",
    "d:6:1796641379.3:=:3",
  ]);
  assert.deepEqual(stored.followed.find((group: string[]) => group[0] === "/"), [
    "/",
    "top.txt",
    "f:1:1.0:=:5",
  ]);
  // The root itself is in its parent's group, outside the root: stored absolute.
  assert.deepEqual(stored.followed.find((group: string[]) => group[0] === "/work/projects"), [
    "/work/projects",
    "demo",
    "d:4096:1796641379.1:=:1",
  ]);
  // Completions that say only "up to date", in the order of the stages: 0.
  assert.equal(stored.completions[0], 0);
  assert.equal(stored.completions[1].stage, "all");
  assert.deepEqual(stored.completions[2].details, ["note"]);
});

Deno.test("stampText: the same stamp moved with its project reads back under the new root", () => {
  const text = stampText(sampleStamp(), ROOT);
  const moved = parseNoopStamp(text, "/srv/demo")!;
  assert.equal(moved.followed["/srv/demo/pivot.yaml"], "f:94:1796641379.815705176:=:5748039");
  assert.deepEqual(moved.sentinels, {
    "/srv/demo/.pivot/stages/bench": ["s0.running", "all.running"],
  });
  // Paths outside the root stay where they were.
  assert.equal(moved.followed["/home/u/.config/pivot/config.yaml"], "-");
  assert.equal(moved.absent[1]!.dir, "/elsewhere");
});

Deno.test("a stamp of an older format is no stamp: never read as one", () => {
  const stamp = sampleStamp();
  // As format 5 stored it: the stamp as it is in memory, absolute paths in maps.
  const format5 = JSON.stringify({ ...stamp, format: 5 });
  assert.equal(parseNoopStamp(format5, ROOT), null);
  // Even were its format number this build's, maps of paths are not groups.
  assert.equal(parseNoopStamp(JSON.stringify({ ...stamp, format: 6 }), ROOT), null);
  // This build's text with another format number.
  const text = JSON.parse(stampText(stamp, ROOT));
  assert.equal(parseNoopStamp(JSON.stringify({ ...text, format: 5 }), ROOT), null);
  const report: ReportStamp = {
    format: 6,
    writtenMs: 1,
    followed: {},
    unfollowed: {},
    sentinels: {},
    racy: {},
    absent: [],
    stdout: "1 up to date\n",
    stderr: "",
    code: 0,
  };
  assert.deepEqual(parseReportStamp(stampText(report, ROOT), ROOT), report);
  assert.equal(parseReportStamp(JSON.stringify({ ...report, format: 5 }), ROOT), null);
});

Deno.test("stampFromText: text of another shape is null, not a stamp", () => {
  const good = JSON.parse(stampText(sampleStamp(), ROOT));
  const bad = [
    "",
    "not json",
    "[]",
    "null",
    JSON.stringify({ ...good, followed: [["dir", "name"]] }),
    JSON.stringify({ ...good, followed: [[1, "name", "sig"]] }),
    JSON.stringify({ ...good, unfollowed: "x" }),
    JSON.stringify({ ...good, racy: [["dir", "name", 3]] }),
    JSON.stringify({ ...good, sentinels: [["dir", 1]] }),
    JSON.stringify({ ...good, absent: [["dir", 2, "x.pvt"]] }),
    JSON.stringify({ ...good, absent: [["dir", null, 3]] }),
    JSON.stringify({ ...good, sources: ["a", 1] }),
  ];
  for (const text of bad) assert.equal(stampFromText(text, ROOT), null, text);
});
