import assert from "node:assert/strict";
import {
  DENO_STAT,
  openPreciseStat,
  PATH_ABSENT,
  plainlyAbsent,
  type PreciseInfo,
  type PreciseStat,
  timeMs,
  timeText,
} from "../../src/util/precise_stat.ts";
import { makeProject } from "../_helpers/project.ts";

/** Sets the mtime of `file` to `seconds` since the epoch (a decimal string, to the nanosecond). */
async function touchAt(file: string, seconds: string): Promise<void> {
  const { code } = await new Deno.Command("touch", { args: ["-m", "-d", `@${seconds}`, file] })
    .output();
  assert.equal(code, 0);
}

function info(value: ReturnType<ReturnType<typeof openPreciseStat>["stat"]>): PreciseInfo {
  assert.ok(value !== null && value !== PATH_ABSENT, String(value));
  return value;
}

Deno.test({
  name: "openPreciseStat() gives Linux times to the nanosecond, as the file system keeps them",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using p = await makeProject({ "a.txt": "hello\n", "d/b.txt": "b" });
    using stats = openPreciseStat();
    assert.equal(stats.precise, true);
    await touchAt(p.path("a.txt"), "1700000000.123456789");
    const a = info(stats.stat(p.path("a.txt")));
    assert.deepEqual([a.kind, a.size, a.mtimeSec, a.mtimeNsec], ["file", 6, 1700000000, 123456789]);
    const deno = await Deno.stat(p.path("a.txt"));
    assert.deepEqual([a.ino, a.nlink, a.mode], [deno.ino, deno.nlink, deno.mode]);
    // The ctime is the moment of the touch: the kernel keeps it finer than whole seconds.
    assert.ok(Math.abs(timeMs(a.ctimeSec, a.ctimeNsec) - Date.now()) < 60_000);
    assert.equal(info(stats.stat(p.path("d"))).kind, "directory");
  },
});

Deno.test("PreciseStat.stat() reports absent paths without throwing, follows symlinks unless told not to", async () => {
  await using p = await makeProject({ "a.txt": "hello\n" });
  await Deno.symlink(p.path("nowhere"), p.path("dangling"));
  await Deno.symlink(p.path("a.txt"), p.path("link"));
  using precise = openPreciseStat();
  for (const stats of [precise, DENO_STAT]) {
    assert.equal(stats.stat(p.path("missing")), PATH_ABSENT);
    assert.equal(stats.stat(p.path("a.txt/below")), PATH_ABSENT, "a parent that is a file");
    assert.equal(stats.stat(p.path("dangling")), PATH_ABSENT);
    assert.equal(info(stats.stat(p.path("dangling"), false)).kind, "symlink");
    assert.equal(info(stats.stat(p.path("link"))).kind, "file");
    assert.equal(info(stats.stat(p.path("link"))).ino, (await Deno.stat(p.path("a.txt"))).ino);
    assert.equal(info(stats.stat(p.path("link"), false)).kind, "symlink");
    const long = p.path(`${"x".repeat(300)}/y`);
    assert.equal(stats.stat(long), null, "a name too long is an error, not absence");
  }
});

Deno.test("plainlyAbsent() holds only for a path missing below a directory, not one a file stands in the way of", async () => {
  await using p = await makeProject({ "a.txt": "hello\n" });
  await Deno.symlink(p.path("nowhere"), p.path("dangling"));
  using precise = openPreciseStat();
  for (const stats of [precise, DENO_STAT]) {
    assert.equal(plainlyAbsent(stats, p.path("missing")), true);
    assert.equal(plainlyAbsent(stats, p.path("no/such/dirs/x")), true, "missing directories");
    assert.equal(plainlyAbsent(stats, p.path("a.txt")), false);
    assert.equal(plainlyAbsent(stats, p.path("a.txt/below")), false, "a parent that is a file");
    assert.equal(plainlyAbsent(stats, p.path("a.txt/x/y")), false, "a file further up");
    assert.equal(plainlyAbsent(stats, p.path("dangling")), true, "followed: its target is missing");
    assert.equal(
      plainlyAbsent(stats, p.path("dangling"), false),
      false,
      "the link itself is there",
    );
    assert.equal(plainlyAbsent(stats, p.path(`${"x".repeat(300)}/y`)), false, "an error");
  }
});

Deno.test("DENO_STAT reports the mtime to the millisecond and the ctime in whole seconds", async () => {
  await using p = await makeProject({ "a.txt": "hello\n" });
  await touchAt(p.path("a.txt"), "1700000000.123456789");
  const a = info(DENO_STAT.stat(p.path("a.txt")));
  assert.deepEqual([a.mtimeSec, a.mtimeNsec, a.ctimeNsec], [1700000000, 123000000, 0]);
  assert.equal(DENO_STAT.precise, false);
});

Deno.test("timeMs() and timeText() keep the nanoseconds", () => {
  assert.equal(timeText(1700000000, 5), "1700000000.000000005");
  assert.equal(timeText(1700000000, 123456789), "1700000000.123456789");
  assert.equal(timeMs(1700000000, 123456789), 1700000000123.456789);
  assert.equal(timeMs(1700000000, 123000000) % 1, 0);
  assert.notEqual(timeMs(1700000000, 123456789), timeMs(1700000000, 123456790 + 1000));
  // A fraction of a millisecond too near a whole one for a double: still a fraction.
  for (const nsec of [894_999_960, 895_000_040, 1, 999_999_999]) {
    assert.notEqual(timeMs(1796599120, nsec) % 1, 0, String(nsec));
    assert.equal(Math.floor(timeMs(1796599120, nsec)), 1796599120000 + Math.floor(nsec / 1e6));
  }
});

/** `stats`, counting the calls made to it, by path. */
function counting(stats: PreciseStat): PreciseStat & { readonly calls: Map<string, number> } {
  const calls = new Map<string, number>();
  return {
    precise: stats.precise,
    calls,
    stat(file, follow) {
      calls.set(file, (calls.get(file) ?? 0) + 1);
      return stats.stat(file, follow);
    },
    [Symbol.dispose]() {},
  };
}

Deno.test("plainlyAbsent() with `dirs` looks at each directory above once for many paths, with the same answers", async () => {
  await using p = await makeProject({ "a.txt": "hello\n", "in/b.txt": "b\n" });
  using precise = openPreciseStat();
  const stats = counting(precise);
  const dirs = new Map<string, boolean>();
  for (let i = 0; i < 5; i++) {
    assert.equal(plainlyAbsent(stats, p.path(`in/${i}.txt.pvt`), true, dirs), true);
    assert.equal(plainlyAbsent(stats, p.path(`no/such/${i}`), true, dirs), true);
    assert.equal(plainlyAbsent(stats, p.path(`a.txt/${i}`), true, dirs), false);
  }
  assert.equal(plainlyAbsent(stats, p.path("in/b.txt"), true, dirs), false, "present");
  assert.deepEqual(
    [p.path("in"), p.path("no/such"), p.path("no"), p.path("a.txt")].map((dir) =>
      stats.calls.get(dir)
    ),
    [1, 1, 1, 1],
  );
  assert.equal(stats.calls.get(p.root), 1);
});
