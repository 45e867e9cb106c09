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
import {
  RACY_BYTES_LIMIT,
  RACY_DIR_ENTRIES_LIMIT,
  racyDigest,
} from "../../src/storage/racy_content.ts";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { StateDb } from "../../src/storage/state_db.ts";
import { openPreciseStat } from "../../src/util/precise_stat.ts";
import { holdClock } from "../_helpers/held_clock.ts";
import { runFastNoopInProcess, runPivotInProcess } from "../_helpers/in_process.ts";
import { MAIN, makeProject, pivotCommand, type TempProject } from "../_helpers/project.ts";
import { existsSync } from "../../src/util/fs.ts";
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

/** The stamp of `key` in `p` as stored (JSON text). */
function readStampText(p: TempProject, key = stampKey(p)): string | null {
  const db = StateDb.openExisting(path.join(p.root, ".pivot"));
  try {
    return db.getNoopStamp(key);
  } finally {
    db.close();
  }
}

function readStamp(p: TempProject, key = stampKey(p)): StoredStamp | null {
  const text = readStampText(p, key);
  return text === null ? null : JSON.parse(text);
}

/** The racy-entry text of a file holding `content`. */
function racyFileText(content: string | Uint8Array): string {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  return `f:${bytes.length}:${racyDigest(bytes)}`;
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

/** What `pivot repro` prints when it ran prep (timings left out). */
const RAN_PREP = "ran prep: no previous run (T)\n1 ran, 0 up to date (T)\n";

/**
 * Runs `command` with directory `dir` changed (`entry` written into it, or
 * an entry written and removed) the moment it starts: within the racy window
 * of fine times, as a run's last write leaves the directory of its output.
 * The moment is held (see `holdClock`) while the command runs, however long
 * the machine makes it wait.
 */
async function rightAfterChanging<T>(
  dir: string,
  command: () => Promise<T>,
  entry?: string,
): Promise<T> {
  const file = path.join(dir, entry ?? ".changed");
  Deno.writeTextFileSync(file, "");
  if (entry === undefined) Deno.removeSync(file);
  using _held = holdClock(Date.now());
  return await command();
}

/**
 * Runs prep on a new `raw.csv` until the run's stamp holds its output as a
 * racy entry (the run stamps within the racy window of its last write, unless
 * the machine stalls it longer: then again, up to 20 times); returns the stamp and the
 * content of the run's input.
 */
async function runUntilRacy(
  p: TempProject,
  out = OUT,
): Promise<{ stamp: StoredStamp; content: string }> {
  for (let attempt = 1; attempt <= 20; attempt++) {
    // New content each time, also across calls.
    const content = `a,b\n${Date.now()}.${attempt},2\n`;
    await p.write("raw.csv", content);
    await settle();
    const result = await runPivotInProcess(p.root, ["repro"]);
    assert.deepEqual([result.code, result.stderr], [0, ""]);
    assert.match(timeless(result.stdout), /^ran prep: .*\n1 ran, 0 up to date \(T\)\n$/);
    const stamp = readStamp(p);
    assert.notEqual(stamp, null, "a run that ran a stage leaves a stamp");
    if (stamp!.racy[p.path(out)] !== undefined) return { stamp: stamp!, content };
  }
  throw new Error("no run stamped its output as a racy entry");
}

Deno.test({
  name: "a run that ran a stage stamps at once: what it wrote last is held with its content",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using p = await makeProject(FILES);
    const { stamp, content } = await runUntilRacy(p);
    // The size and a digest of the content: not the content.
    assert.equal(stamp.racy[p.path(OUT)], racyFileText(content));
    const lock = stamp.racy[p.path(lockRel("ml", "prep"))];
    assert.equal(lock, racyFileText(await p.read(lockRel("ml", "prep"))));
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
        // Written through its hardlink (the chmod): the cached copy changed with it.
        "ran prep: output prep → data/ml/prep.csv was edited in place through its link to the " +
        "cache, so the cached copy changed too (T)\n1 ran, 0 up to date (T)\n",
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
    await settle();
    const run = await runPivotInProcess(p.root, ["repro"]);
    assert.deepEqual([run.code, timeless(run.stdout), run.stderr], [0, RAN_PREP, ""]);
    assert.notEqual(readStamp(p), null, "a run that ran a stage leaves a stamp");
    const outDir = p.path("data/ml");
    const status = await rightAfterChanging(outDir, () => runPivotInProcess(p.root, ["status"]));
    assert.deepEqual(status, { code: 0, stdout: "1 up to date\n", stderr: "" });
    const report = readStamp(p, statusKey(p));
    assert.notEqual(report, null, "status leaves its report stamp");
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
    // Seen by the digest of the entry names it holds.
    assert.notEqual(report!.racy[outDir], undefined);
  },
});

Deno.test({
  name: "a racy output of 1 MB is held by its size and digest: the stored stamp stays small",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // Every byte value, control bytes too (as JSON text they took six characters each).
    await using p = await makeProject({
      ...FILES,
      "pivot.yaml": "pipeline: ml\nstages:\n  prep:\n" +
        "    cmd: cat ${deps.raw} > ${outs} && head -c 1048000 /dev/urandom >> ${outs}\n" +
        "    deps: {raw: raw.csv}\n    outs: bin\n",
    });
    const out = "data/ml/prep.bin";
    const { stamp } = await runUntilRacy(p, out);
    const stored = new TextEncoder().encode(readStampText(p)!).length;
    assert.ok(stored < 16 * 1024, `the stored stamp holds ${stored} bytes`);
    const bytes = await Deno.readFile(p.path(out));
    assert.ok(bytes.length > 1000 * 1024);
    assert.equal(stamp.racy[p.path(out)], racyFileText(bytes));
    const answered = runFastNoopInProcess(p.root, ["repro"]);
    assert.deepEqual(
      [answered.code, timeless(answered.stdout), answered.stderr],
      [0, "up to date prep\n0 ran, 1 up to date (T)\n", ""],
    );
  },
});

/** GNU time, which reports a process's peak resident memory (`%M`, in KiB). */
const GNU_TIME = "/usr/bin/time";

/** Runs pivot in a process of its own under GNU time; returns its peak resident memory in bytes. */
async function peakOfPivot(p: TempProject, args: string[]): Promise<number> {
  const output = await pivotCommand(p.root, args, {
    program: [GNU_TIME, "-f", "PEAK %M", Deno.execPath(), "run", "-A", "--quiet", MAIN],
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  return Number(/^PEAK (\d+)$/m.exec(stderr)![1]) * 1024;
}

// Measured in a process of its own: the test process's memory is shared with the test files
// running beside it.
Deno.test({
  name: "an output too large for a racy entry, restored from the run cache, is not read: " +
    "the stamp waits the window out",
  ignore: Deno.build.os !== "linux" || !existsSync(GNU_TIME),
  fn: async () => {
    const size = 4 * RACY_BYTES_LIMIT + 120 * 1024 * 1024;
    await using p = await makeProject({
      ...FILES,
      "pivot.yaml": "pipeline: ml\nstages:\n  prep:\n" +
        `    cmd: cat \${deps.raw} > \${outs} && truncate -s ${size} \${outs}\n` +
        "    deps: {raw: raw.csv}\n    outs: bin\n",
    });
    const out = p.path("data/ml/prep.bin");
    const repro = async (raw: string, verb: string) => {
      await p.write("raw.csv", raw);
      await settle();
      const result = await runPivotInProcess(p.root, ["repro"]);
      assert.deepEqual([result.code, result.stderr], [0, ""]);
      assert.match(timeless(result.stdout), new RegExp(`^${verb} prep\\b`));
    };
    await repro("a\n", "ran");
    await repro("b\n", "ran");
    // What a process that loads the project and reads no output takes.
    const baseline = await peakOfPivot(p, ["list"]);
    for (let trial = 1; trial <= 3; trial++) {
      // Restored from the run cache by a link: its ctime is now, within the racy window.
      await p.write("raw.csv", trial % 2 === 1 ? "a\n" : "b\n");
      await settle();
      const peak = await peakOfPivot(p, ["repro"]);
      assert.ok(
        peak < baseline + size / 2,
        `trial ${trial}: peak ${peak} bytes, ${baseline} for list (the output is ${size})`,
      );
      const stamp = readStamp(p);
      assert.notEqual(stamp, null, "the run leaves a stamp");
      assert.equal(stamp!.racy[out], undefined);
      assert.ok(readStampText(p)!.length < 16 * 1024);
      assert.equal((await Deno.stat(out)).size, size);
    }
  },
});

Deno.test({
  name: "status right after a run: a directory with too many entries for a racy entry is not " +
    "listed into the report stamp",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using p = await makeProject(FILES);
    const outDir = p.path("data/ml");
    await Deno.mkdir(outDir, { recursive: true });
    for (let i = 0; i <= RACY_DIR_ENTRIES_LIMIT; i++) {
      Deno.writeTextFileSync(path.join(outDir, `extra-file-number-${i}.txt`), "");
    }
    await settle();
    const run = await runPivotInProcess(p.root, ["repro"]);
    assert.deepEqual([run.code, timeless(run.stdout), run.stderr], [0, RAN_PREP, ""]);
    // An entry status does not look for.
    const status = await rightAfterChanging(
      outDir,
      () => runPivotInProcess(p.root, ["status"]),
      "late.txt",
    );
    assert.deepEqual(status, { code: 0, stdout: "1 up to date\n", stderr: "" });
    // Its entries are not listed: the directory is no evidence, and no report stamp is left.
    assert.equal(readStampText(p, statusKey(p)), null);
  },
});

Deno.test({
  name: "a racy entry carried into a later stamp is dropped once its path has settled",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using p = await makeProject({
      ...FILES,
      "pivot.yaml": FILES["pivot.yaml"] +
        "  other:\n    cmd: cp ${deps.src} ${outs}\n    deps: {src: other.txt}\n    outs: txt\n",
      "other.txt": "1\n",
    });
    const out = p.path(OUT);
    let stamp: StoredStamp | null = null;
    for (let attempt = 1; attempt <= 20 && stamp?.racy[out] === undefined; attempt++) {
      await p.write("raw.csv", `a,b\n${Date.now()}.${attempt},2\n`);
      await settle();
      const result = await runPivotInProcess(p.root, ["repro"]);
      assert.deepEqual([result.code, result.stderr], [0, ""]);
      stamp = readStamp(p);
    }
    assert.ok(stamp?.racy[out] !== undefined, "no run stamped prep's output as a racy entry");
    await p.write("other.txt", "2\n");
    await settle();
    const result = await runPivotInProcess(p.root, ["repro"]);
    assert.deepEqual(
      [result.code, timeless(result.stdout), result.stderr],
      [
        0,
        "up to date prep\nran other: inputs changed (T)\n1 ran, 1 up to date (T)\n",
        "",
      ],
    );
    const rewritten = readStamp(p)!;
    assert.equal(rewritten.followed[out], stamp!.followed[out]);
    assert.equal(rewritten.racy[out], undefined);
    const answered = runFastNoopInProcess(p.root, ["repro"]);
    assert.deepEqual(
      [answered.code, timeless(answered.stdout), answered.stderr],
      [0, "up to date prep\nup to date other\n0 ran, 2 up to date (T)\n", ""],
    );
  },
});
