/**
 * Racy entries end to end: a run that ran stages stamps at once, holding
 * what it wrote last (within the racy window) with its content, and a later
 * check compares that content, so a file rewritten within the same tick
 * (the same signature) is still noticed.
 *
 * A rewrite within one clock tick cannot be arranged from a test (it also
 * keeps the ctime), so it is played by giving the stamp the signature the
 * rewritten file has now, as such a rewrite would leave it.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { NOOP_STAMPS_KEPT, noopStampKey } from "../../src/ops/noop_stamp.ts";
import { reportStampKey } from "../../src/ops/report_stamp.ts";
import { fileSignatureText } from "../../src/storage/file_signature.ts";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { StateDb } from "../../src/storage/state_db.ts";
import { openPreciseStat } from "../../src/util/precise_stat.ts";
import { runFastNoopInProcess, runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { lockRel, timeless } from "./_fixtures/engine.ts";

const FILES = {
  "pivot.yaml": "pipeline: ml\nstages:\n  prep:\n    cmd: cp ${deps.raw} ${outs}\n" +
    "    deps: {raw: raw.csv}\n    outs: csv\n",
  "raw.csv": "a,b\n0,2\n",
};

const OUT = "data/ml/prep.csv";

/** The stamp of `pivot repro` in `p`, as stored. */
interface StoredStamp {
  followed: Record<string, string>;
  racy: Record<string, string>;
}

function stampKey(p: TempProject): string {
  return noopStampKey({
    mode: "repro",
    all: false,
    targets: [],
    cwd: p.root,
    env: (name) => Deno.env.get(name),
  });
}

/** The key of the report stamp of `pivot status`, run in-process (see `runFastNoopInProcess`). */
function statusKey(p: TempProject): string {
  return reportStampKey({
    args: ["status"],
    cwd: p.root,
    env: (name) => name === "NO_COLOR" ? "1" : Deno.env.get(name),
    isTerminal: false,
  });
}

function readStamp(p: TempProject, key = stampKey(p)): StoredStamp | null {
  const db = StateDb.openExisting(path.join(p.root, ".pivot"));
  try {
    const text = db.getNoopStamp(key);
    return text === null ? null : JSON.parse(text);
  } finally {
    db.close();
  }
}

function writeStamp(p: TempProject, stamp: StoredStamp, key = stampKey(p)): void {
  const db = StateDb.openExisting(path.join(p.root, ".pivot"));
  try {
    db.putNoopStamp(key, JSON.stringify(stamp), NOOP_STAMPS_KEPT);
  } finally {
    db.close();
  }
}

/** Waits out the racy window of file systems keeping times to the nanosecond. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
}

/**
 * Runs prep on a new `raw.csv` until the run's stamp holds its output as a
 * racy entry (the run stamps within the racy window of its last write, unless
 * the machine stalls it longer: then once more); returns the stamp and the
 * content of the run's input.
 */
async function runUntilRacy(p: TempProject): Promise<{ stamp: StoredStamp; content: string }> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    // New content each time, also across calls.
    const content = `a,b\n${Date.now()}.${attempt},2\n`;
    await p.write("raw.csv", content);
    await settle();
    const result = await runPivotInProcess(p.root, ["repro"]);
    assert.deepEqual([result.code, result.stderr], [0, ""]);
    assert.match(timeless(result.stdout), /^ran prep: .*\n1 ran, 0 up to date \(T\)\n$/);
    const stamp = readStamp(p);
    assert.notEqual(stamp, null, "a run that ran a stage leaves a stamp");
    if (stamp!.racy[p.path(OUT)] !== undefined) return { stamp: stamp!, content };
  }
  throw new Error("no run stamped its output as a racy entry");
}

Deno.test({
  name: "a run that ran a stage stamps at once: what it wrote last is held with its content",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using p = await makeProject(FILES);
    const { stamp, content } = await runUntilRacy(p);
    assert.equal(stamp.racy[p.path(OUT)], `f:${content}`);
    const lock = stamp.racy[p.path(lockRel("ml", "prep"))];
    assert.equal(lock, `f:${await p.read(lockRel("ml", "prep"))}`);
    // Every racy entry is one of the paths the stamp holds the signature of.
    for (const file of Object.keys(stamp.racy)) assert.ok(file in stamp.followed, file);
    const answered = runFastNoopInProcess(p.root, ["repro"]);
    assert.deepEqual(
      [answered.code, timeless(answered.stdout), answered.stderr],
      [0, "up to date prep\n0 ran, 1 up to date (T)\n", ""],
    );
  },
});

Deno.test({
  name: "an output rewritten within the tick of the stamp (the same signature) is read again",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using p = await makeProject(FILES);
    const { stamp, content } = await runUntilRacy(p);
    const out = p.path(OUT);
    await Deno.chmod(out, 0o644);
    const edited = content.replace("a,b", "x,y");
    assert.equal(edited.length, content.length);
    await p.write(OUT, edited);
    // As a rewrite within the same tick leaves it: the signature the stamp holds.
    using stats = openPreciseStat();
    stamp.followed[out] = fileSignatureText(stats, out, true)!;
    writeStamp(p, stamp);
    assert.deepEqual(runFastNoopInProcess(p.root, ["repro"]), {
      code: null,
      stdout: "",
      stderr: "",
    });
    const result = await runPivotInProcess(p.root, ["repro"]);
    assert.deepEqual(
      [result.code, timeless(result.stdout), result.stderr],
      [
        0,
        "ran prep: output prep → data/ml/prep.csv was modified (T)\n1 ran, 0 up to date (T)\n",
        "",
      ],
    );
    assert.equal(await p.read(OUT), content);
  },
});

Deno.test({
  name:
    "status right after a run: an entry added within the tick to a directory it searched is seen",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using p = await makeProject(FILES);
    const outDir = p.path("data/ml");
    let report: StoredStamp | null = null;
    for (let attempt = 1; attempt <= 5 && report?.racy[outDir] === undefined; attempt++) {
      await runUntilRacy(p);
      // Right after the run: the output's directory changed within the racy window.
      const status = await runPivotInProcess(p.root, ["status"]);
      assert.deepEqual(status, { code: 0, stdout: "1 up to date\n", stderr: "" });
      report = readStamp(p, statusKey(p));
    }
    assert.ok(report?.racy[outDir] !== undefined, "no status stamped the directory as racy");
    assert.deepEqual(runFastNoopInProcess(p.root, ["status"]), {
      code: 0,
      stdout: "1 up to date\n",
      stderr: "",
    });
    // A new entry within the same tick, as the signature the stamp holds shows it.
    await p.write("data/ml/new.txt", "new\n");
    using stats = openPreciseStat();
    report!.followed[outDir] = fileSignatureText(stats, outDir, true)!;
    writeStamp(p, report!, statusKey(p));
    assert.deepEqual(runFastNoopInProcess(p.root, ["status"]), {
      code: null,
      stdout: "",
      stderr: "",
    });
  },
});
