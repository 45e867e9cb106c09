import assert from "node:assert/strict";
import * as path from "node:path";
import { openPreciseStat, PATH_ABSENT, type PreciseStat } from "../../src/util/precise_stat.ts";
import { RememberedStat } from "../../src/util/remembered_stat.ts";

/** `stats`, counting its calls by path and whether they follow. */
function counting(stats: PreciseStat, calls: string[]): PreciseStat {
  return {
    precise: stats.precise,
    stat(file, follow = true) {
      calls.push(`${path.basename(file)}:${follow}`);
      return stats.stat(file, follow);
    },
    [Symbol.dispose]() {},
  };
}

Deno.test("RememberedStat answers a path as it first found it; a plain path's own status answers for the followed one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    using stats = openPreciseStat();
    const calls: string[] = [];
    const seen = new RememberedStat(counting(stats, calls));
    const file = path.join(dir, "f.txt");
    Deno.writeTextFileSync(file, "one\n");
    const own = seen.stat(file, false);
    assert.ok(own !== null && own !== PATH_ABSENT && own.kind === "file");
    // Changed since: still as first found, with no second look (followed or not).
    Deno.writeTextFileSync(file, "changed\n");
    assert.equal(seen.stat(file, false), own);
    assert.equal(seen.stat(file), own);
    // Absent, then created: still absent.
    const later = path.join(dir, "later.txt");
    assert.equal(seen.stat(later, false), PATH_ABSENT);
    Deno.writeTextFileSync(later, "now\n");
    assert.equal(seen.stat(later), PATH_ABSENT);
    assert.deepEqual(calls, ["f.txt:false", "later.txt:false"]);
    // The recalling view answers the same, and looks at a path it does not know each time.
    const recalling = seen.recalling;
    assert.equal(recalling.stat(file), own);
    const other = path.join(dir, "other.txt");
    assert.equal(recalling.stat(other), PATH_ABSENT);
    assert.equal(recalling.stat(other), PATH_ABSENT);
    assert.deepEqual(calls.slice(2), ["other.txt:true", "other.txt:true"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RememberedStat: a symlink's own status does not answer for what it points to; an error is not remembered", async () => {
  const dir = await Deno.makeTempDir();
  try {
    using stats = openPreciseStat();
    const calls: string[] = [];
    const seen = new RememberedStat(counting(stats, calls));
    const target = path.join(dir, "target.txt");
    const link = path.join(dir, "link.txt");
    Deno.writeTextFileSync(target, "target\n");
    Deno.symlinkSync(target, link);
    const own = seen.stat(link, false);
    assert.ok(own !== null && own !== PATH_ABSENT && own.kind === "symlink");
    const followed = seen.stat(link);
    assert.ok(followed !== null && followed !== PATH_ABSENT && followed.kind === "file");
    assert.equal(seen.stat(link), followed);
    assert.deepEqual(calls, ["link.txt:false", "link.txt:true"]);
    // A stat that fails for another reason than absence is asked again next time.
    const failing = new RememberedStat({
      precise: true,
      stat: (file) => (calls.push(`${path.basename(file)}:error`), null),
      [Symbol.dispose]() {},
    });
    assert.equal(failing.stat(target), null);
    assert.equal(failing.stat(target), null);
    assert.deepEqual(calls.slice(2), ["target.txt:error", "target.txt:error"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
