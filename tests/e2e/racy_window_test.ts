/**
 * The racy window end to end: an input rewritten so that `stat` shows the
 * same size and the same mtime is still noticed, by the no-op stamp and by
 * the hash cache, whether the rewrite fell within the tick of its hashing or
 * changed the mtime by less than a millisecond.
 *
 * File times are set with `touch -d @SECONDS.NANOSECONDS` (Deno's `utime`
 * keeps only milliseconds). These checks need a file system keeping times to
 * the nanosecond, as Linux ones do.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { runFastNoopInProcess, runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { timeless } from "./_fixtures/engine.ts";

const FILES = {
  "pivot.yaml": "pipeline: ml\nstages:\n  prep:\n    cmd: cp ${deps.raw} ${outs}\n" +
    "    deps: {raw: raw.csv}\n    outs: csv\n",
  "raw.csv": "a,b\n1,2\n",
};

const RAN = "ran prep: inputs changed (T)\n1 ran, 0 up to date (T)\n";
const UP_TO_DATE = "up to date prep\n0 ran, 1 up to date (T)\n";

/** Sets the mtime of `rel` to `seconds` since the epoch, given to the nanosecond. */
async function touchAt(p: TempProject, rel: string, seconds: string): Promise<void> {
  const { code } = await new Deno.Command("touch", {
    args: ["-m", "-d", `@${seconds}`, p.path(rel)],
  })
    .output();
  assert.equal(code, 0);
}

/** `SECONDS.NANOSECONDS`, `offsetSec` whole seconds from now, with the fraction `nsec`. */
function secondsFromNow(offsetSec: number, nsec: number): string {
  return `${Math.floor(Date.now() / 1000) + offsetSec}.${String(nsec).padStart(9, "0")}`;
}

/** Waits out the racy window after the project's files were written (20 ms for fine times). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
}

/** Runs `pivot repro` in-process and returns its output, times masked; it must succeed quietly. */
async function repro(p: TempProject): Promise<string> {
  const result = await runPivotInProcess(p.root, ["repro"]);
  assert.deepEqual([result.code, result.stderr], [0, ""]);
  return timeless(result.stdout);
}

/** Rewrites `raw.csv` with `content` (the same size) and sets its mtime back to `seconds`. */
async function rewriteKeepingStat(p: TempProject, content: string, seconds: string) {
  const before = await Deno.stat(p.path("raw.csv"));
  await p.write("raw.csv", content);
  await touchAt(p, "raw.csv", seconds);
  const after = await Deno.stat(p.path("raw.csv"));
  assert.deepEqual([after.ino, after.size, after.mtime], [before.ino, before.size, before.mtime]);
}

Deno.test({
  name: "an input rewritten within the tick of its hashing (same size, same mtime) is read again",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using p = await makeProject(FILES);
    // An mtime the hashing does not come a racy window after (it is ahead of the clock):
    // as if the file were written in the very tick of the hashing.
    const tick = secondsFromNow(30, 123_456_789);
    await touchAt(p, "raw.csv", tick);
    assert.equal(await repro(p), "ran prep: no previous run (T)\n1 ran, 0 up to date (T)\n");
    // Nothing vouches for raw.csv yet: no stamp.
    assert.equal(runFastNoopInProcess(p.root, ["repro"]).code, null);
    // Written again within the same tick: same inode, size and mtime.
    await rewriteKeepingStat(p, "a,b\n3,4\n", tick);
    assert.equal(runFastNoopInProcess(p.root, ["repro"]).code, null);
    assert.equal(await repro(p), RAN);
    assert.equal(await p.read("data/ml/prep.csv"), "a,b\n3,4\n");
    // Once more, after that run hashed it within the tick again.
    await rewriteKeepingStat(p, "a,b\n5,6\n", tick);
    assert.equal(await repro(p), RAN);
    assert.equal(await p.read("data/ml/prep.csv"), "a,b\n5,6\n");
  },
});

Deno.test({
  name:
    "an input rewritten with an mtime less than a millisecond apart is noticed by the stamp and the hash cache",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using p = await makeProject(FILES);
    // Long settled: the fresh run trusts its hash and stamps the project.
    await touchAt(p, "raw.csv", secondsFromNow(-10, 123_456_789));
    await settle();
    assert.equal(await repro(p), "ran prep: no previous run (T)\n1 ran, 0 up to date (T)\n");
    const answered = runFastNoopInProcess(p.root, ["repro"]);
    assert.deepEqual([answered.code, timeless(answered.stdout)], [0, UP_TO_DATE]);
    // The same size, and the same mtime to the millisecond (Deno's stat sees no difference).
    const before = await Deno.stat(p.path("raw.csv"));
    await p.write("raw.csv", "a,b\n3,4\n");
    await touchAt(p, "raw.csv", `${Math.floor(before.mtime!.getTime() / 1000)}.123999999`);
    const after = await Deno.stat(p.path("raw.csv"));
    assert.deepEqual([after.ino, after.size, after.mtime], [before.ino, before.size, before.mtime]);
    assert.deepEqual(runFastNoopInProcess(p.root, ["repro"]), {
      code: null,
      stdout: "",
      stderr: "",
    });
    assert.equal(await repro(p), RAN);
    assert.equal(await p.read("data/ml/prep.csv"), "a,b\n3,4\n");
  },
});

Deno.test("a pipeline file edited while a run ran: the run leaves no stamp, the next repro reads the edit", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n" +
      "  first:\n    cmd: sed -i s/hel[l]o/howdy/ pivot.yaml && echo first > ${outs}\n    outs: txt\n" +
      "  second:\n    cmd: sleep 0.1 && echo hello > ${outs}\n    deps: {f: first}\n    outs: txt\n",
  });
  const fresh = await runPivotInProcess(p.root, ["repro"]);
  assert.deepEqual([fresh.code, fresh.stderr], [0, ""]);
  assert.equal(await p.read("data/ml/second.txt"), "hello\n");
  // The run loaded the pipeline before the edit: its look at the stages afterwards cannot vouch
  // for the edited file.
  assert.deepEqual(runFastNoopInProcess(p.root, ["repro"]), { code: null, stdout: "", stderr: "" });
  assert.equal(
    await repro(p),
    "up to date first\nran second: code changed (T)\n1 ran, 1 up to date (T)\n",
  );
  assert.equal(await p.read("data/ml/second.txt"), "howdy\n");
});

Deno.test("a run that ran one stage stamps the others only when nothing touched their files while it ran", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n" +
      "  other:\n    cmd: echo other > ${outs}\n    outs: txt\n" +
      "  prep:\n    cmd: cp ${deps.raw} ${outs} && if [ -f tamper ]; then " +
      "chmod u+w data/ml/other.txt; echo tampered > data/ml/other.txt; fi\n" +
      "    deps: {raw: raw.csv}\n    outs: csv\n",
    "raw.csv": "a,b\n1,2\n",
  });
  await settle();
  const run = async () => {
    const result = await runPivotInProcess(p.root, ["repro", "-j", "1"]);
    assert.deepEqual([result.code, result.stderr], [0, ""]);
    return timeless(result.stdout);
  };
  // The two stages are independent: which one a slot goes to first is not decided.
  assert.deepEqual(
    (await run()).split("\n").sort(),
    [
      "",
      "2 ran, 0 up to date (T)",
      "ran other: no previous run (T)",
      "ran prep: no previous run (T)",
    ],
  );
  // One input changed: prep runs, other is taken at the run's word, and the stamp answers.
  await p.write("raw.csv", "a,b\n3,4\n");
  await settle();
  assert.equal(
    await run(),
    "up to date other\nran prep: inputs changed (T)\n1 ran, 1 up to date (T)\n",
  );
  const answered = runFastNoopInProcess(p.root, ["repro", "-j", "1"]);
  assert.deepEqual(
    [answered.code, timeless(answered.stdout)],
    [0, "up to date other\nup to date prep\n0 ran, 2 up to date (T)\n"],
  );
  // prep runs again and, while it runs, rewrites the output of other, found up to date before.
  await p.write("tamper", "");
  await p.write("raw.csv", "a,b\n5,6\n");
  await settle();
  assert.equal(
    await run(),
    "up to date other\nran prep: inputs changed (T)\n1 ran, 1 up to date (T)\n",
  );
  assert.equal(await p.read("data/ml/other.txt"), "tampered\n");
  assert.deepEqual(runFastNoopInProcess(p.root, ["repro", "-j", "1"]), {
    code: null,
    stdout: "",
    stderr: "",
  });
  await Deno.remove(p.path("tamper"));
  assert.match(
    await run(),
    // Written through its hardlink, so the cached copy changed too (no restoring from it).
    /^ran other: output other → data\/ml\/other.txt was edited in place through its link to the cache/m,
  );
  assert.equal(await p.read("data/ml/other.txt"), "other\n");
});
