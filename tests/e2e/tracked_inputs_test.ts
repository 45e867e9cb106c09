/**
 * Tracked inputs must match their `.pvt`: `repro` and `run` stop before
 * running anything when one was changed (replaced, or edited in place through
 * its hardlink to the cache) or is missing, and `verify` fails on a tracked
 * path that differs from its `.pvt` or whose content is not in the cache.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { type CliResult, makeProject, type TempProject } from "../_helpers/project.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { blobOf, lockRel, timeless } from "./_fixtures/engine.ts";

/** prep reads the tracked data/raw.csv; other reads nothing. Runs are counted in counter.txt. */
const YAML = `pipeline: ml
stages:
  prep:
    cmd: echo prep >> counter.txt && sed 's/^/p /' \${deps.raw} > \${outs}
    deps: {raw: data/raw.csv}
    outs: csv
  other:
    cmd: echo other >> counter.txt && echo other > \${outs}
    outs: txt
`;
const RAW = "data/raw.csv";

/** Runs `pivot ...args` in the project, in this process. */
function pivot(p: TempProject, ...args: string[]): Promise<CliResult> {
  return runPivotInProcess(p.root, args);
}

/** Runs `pivot ...args`, asserting exit 0 and no stderr; returns stdout without timings. */
async function pivotOk(p: TempProject, ...args: string[]): Promise<string> {
  const result = await pivot(p, ...args);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  return timeless(result.stdout);
}

/** The lines of a run's output (or of counter.txt), sorted: independent stages finish in any order. */
function unordered(stdout: string): string[] {
  return stdout.split("\n").sort();
}

/** A project whose data/raw.csv is tracked and whose stages have run once. */
async function trackedProject(): Promise<TempProject> {
  const p = await makeProject({ "pivot.yaml": YAML, [RAW]: "a\n1\n" });
  await pivotOk(p, "track", RAW);
  assert.deepEqual(
    unordered(await pivotOk(p, "repro")),
    unordered(
      "ran prep: no previous run (T)\nran other: no previous run (T)\n2 ran, 0 up to date (T)\n",
    ),
  );
  return p;
}

/** Makes `other` stale (its command changes), so a run that runs anything would run it. */
async function staleOther(p: TempProject): Promise<void> {
  await p.write("pivot.yaml", YAML.replace("echo other >", "echo other2 >"));
}

const MODIFIED_ERROR = "error: tracked input does not match its .pvt file, so nothing was run:\n" +
  "  data/raw.csv (read by prep): modified\n" +
  "hint: `pivot track --force data/raw.csv` records the workspace's content, or " +
  "`pivot checkout --force data/raw.csv` restores what the .pvt file records (discarding the " +
  "workspace's content, which no cache holds)\n";

// Before: repro ran prep on the new content and verify passed, so the lock recorded
// content that neither the .pvt nor the cache held.
Deno.test("a replaced tracked input stops repro and run before anything runs; track --force or checkout --force fixes it", async () => {
  await using p = await trackedProject();
  const lock = await p.read(lockRel("ml", "prep"));
  await Deno.remove(p.path(RAW));
  await p.write(RAW, "a\n2\n");
  await staleOther(p);

  assert.deepEqual(await pivot(p, "repro"), { code: 1, stdout: "", stderr: MODIFIED_ERROR });
  assert.deepEqual(await pivot(p, "run", "prep", "other"), {
    code: 1,
    stdout: "",
    stderr: MODIFIED_ERROR,
  });
  assert.deepEqual(
    unordered(await p.read("counter.txt")),
    unordered("prep\nother\n"),
    "nothing ran",
  );
  assert.equal(await p.read(lockRel("ml", "prep")), lock);
  // Only the stages that read it are stopped by it.
  assert.deepEqual(
    unordered(await pivotOk(p, "run", "other")),
    unordered("ran other: code changed (T)\n1 ran, 0 up to date (T)\n"),
  );

  // status, verify and --dry-run say what repro does: prep cannot run (before: "inputs changed",
  // as if repro would run it), with the fix on the tracked path's line.
  const trackedLine = "tracked data/raw.csv: modified; `pivot track --force data/raw.csv` " +
    "records the workspace's content, `pivot checkout --force data/raw.csv` restores what its " +
    ".pvt file records (discarding it)";
  const reason = "tracked input does not match its .pvt file: data/raw.csv (modified)";
  assert.equal(
    await pivotOk(p, "status"),
    `cannot run prep: ${reason}\n1 stale, 1 up to date\n${trackedLine}\n`,
  );
  assert.equal(
    await pivotOk(p, "status", "--explain", "prep"),
    `cannot run prep: ${reason}\n    data/raw.csv (read by prep): modified\n1 stale, 0 up to date\n` +
      `${trackedLine}\n`,
  );
  assert.deepEqual(JSON.parse(await pivotOk(p, "status", "--json")).stages[0], {
    stage: "prep",
    stale: true,
    reason,
    details: ["data/raw.csv (read by prep): modified"],
    failing: true,
    outputs: [],
  });
  assert.equal(
    await pivotOk(p, "repro", "--dry-run"),
    `cannot run prep: ${reason}\n1 would run, 1 up to date\n`,
  );
  assert.deepEqual(await pivot(p, "verify"), {
    code: 1,
    stdout: `FAILED prep: ${reason}\nok     other\n` +
      `FAILED ${trackedLine}\n` +
      "verification failed: 1 of 2 stages, 1 of 1 tracked path\n",
    stderr: "",
  });
  const verifyJson = await pivot(p, "verify", "--json");
  assert.equal(verifyJson.code, 1);
  assert.deepEqual(JSON.parse(verifyJson.stdout).stages[0].reason, reason);
  assert.deepEqual(JSON.parse(verifyJson.stdout).tracked, [
    { path: RAW, status: "modified", cached: true, workspaceCached: false },
  ]);

  // Going back to the recorded version.
  await pivotOk(p, "checkout", "--force", RAW);
  assert.deepEqual(
    unordered(await pivotOk(p, "repro")),
    unordered("up to date prep\nup to date other\n0 ran, 2 up to date (T)\n"),
  );

  // Recording the new content.
  await Deno.remove(p.path(RAW));
  await p.write(RAW, "a\n3\n");
  await pivotOk(p, "track", "--force", RAW);
  assert.deepEqual(
    unordered(await pivotOk(p, "repro")),
    unordered("ran prep: inputs changed (T)\nup to date other\n1 ran, 1 up to date (T)\n"),
  );
  assert.equal(await p.read("data/ml/prep.csv"), "p a\np 3\n");
  assert.deepEqual(
    unordered(await p.read("counter.txt")),
    unordered("prep\nother\nother2\nprep\n"),
  );
  assert.equal(
    await pivotOk(p, "verify"),
    "ok     prep\nok     other\nverification passed: 2 stages up to date\n",
  );
});

const IN_PLACE_ERROR = "error: tracked input does not match its .pvt file, so nothing was run:\n" +
  "  data/raw.csv (read by prep): modified, and the cache does not hold its recorded content\n" +
  "hint: `pivot track --force data/raw.csv` records the workspace's content (the recorded " +
  "version is in no cache here; a remote with it, 'pivot remote add', lets " +
  "`pivot pull data/raw.csv` fetch it)\n";

/** Edits data/raw.csv in place (through its hardlink to the blob), after `chmod` when asked. */
async function editInPlace(p: TempProject, chmod: boolean): Promise<string> {
  const blob = blobOf(p.root, hashBytes("a\n1\n"));
  assert.equal((await Deno.stat(p.path(RAW))).ino, (await Deno.stat(blob)).ino);
  if (chmod) await Deno.chmod(p.path(RAW), 0o644);
  await Deno.writeTextFile(p.path(RAW), "a\n9\n");
  assert.equal(await Deno.readTextFile(blob), "a\n9\n", "the blob was edited too");
  return blob;
}

for (const chmod of [true, false]) {
  Deno.test({
    name: `a tracked input edited in place through its hardlink${
      chmod ? " after chmod" : " by root, without chmod"
    } stops repro; its damaged blob is moved aside`,
    // Only root can write to the read-only file without chmod.
    ignore: !chmod && Deno.uid() !== 0,
    fn: async () => {
      await using p = await trackedProject();
      const blob = await editInPlace(p, chmod);
      await staleOther(p);
      assert.deepEqual(await pivot(p, "repro"), { code: 1, stdout: "", stderr: IN_PLACE_ERROR });
      assert.deepEqual(
        unordered(await p.read("counter.txt")),
        unordered("prep\nother\n"),
        "nothing ran",
      );
      assert.equal(await Deno.readTextFile(`${blob}.corrupt`), "a\n9\n");
      assert.equal(await p.exists(blob.slice(p.root.length + 1)), false);

      const verify = await pivot(p, "verify", "prep");
      assert.equal(verify.code, 1);
      assert.equal(
        verify.stdout,
        "FAILED prep: tracked input does not match its .pvt file: data/raw.csv (modified)\n" +
          "FAILED tracked data/raw.csv: modified, and the cache does not hold its recorded " +
          "content; `pivot track --force data/raw.csv` records the workspace's content\n" +
          "verification failed: 1 of 1 stage, 1 of 1 tracked path\n",
      );

      await pivotOk(p, "track", "--force", RAW);
      assert.deepEqual(
        unordered(await pivotOk(p, "repro")),
        unordered(
          "ran prep: inputs changed (T)\nran other: code changed (T)\n2 ran, 0 up to date (T)\n",
        ),
      );
      assert.equal(await p.read("data/ml/prep.csv"), "p a\np 9\n");
    },
  });
}

Deno.test("a missing tracked input stops repro with the checkout hint", async () => {
  await using p = await trackedProject();
  await Deno.remove(p.path(RAW));
  await staleOther(p);
  assert.deepEqual(await pivot(p, "repro"), {
    code: 1,
    stdout: "",
    stderr: "error: tracked input does not match its .pvt file, so nothing was run:\n" +
      "  data/raw.csv (read by prep): missing\n" +
      "hint: restore with `pivot checkout data/raw.csv`\n",
  });
  assert.deepEqual(
    unordered(await p.read("counter.txt")),
    unordered("prep\nother\n"),
    "nothing ran",
  );
  assert.equal(
    await pivotOk(p, "status"),
    "cannot run prep: tracked input does not match its .pvt file: data/raw.csv (missing)\n" +
      "stale other: code changed\n" +
      "2 stale, 0 up to date\n" +
      "tracked data/raw.csv: missing, restorable: pivot checkout data/raw.csv\n",
  );
  await pivotOk(p, "checkout", RAW);
  assert.deepEqual(
    unordered(await pivotOk(p, "repro")),
    unordered("up to date prep\nran other: code changed (T)\n1 ran, 1 up to date (T)\n"),
  );
});

Deno.test("verify fails on a tracked file whose content is missing from the cache; track re-caches it", async () => {
  await using p = await trackedProject();
  // The workspace copy is a hardlink: removing the blob leaves it as it was.
  await Deno.remove(blobOf(p.root, hashBytes("a\n1\n")));
  const line = "tracked data/raw.csv: content missing from the cache; " +
    "`pivot track data/raw.csv` re-caches it from the workspace";
  assert.deepEqual(await pivot(p, "verify"), {
    code: 1,
    stdout: "ok     prep\nok     other\n" +
      `FAILED ${line}\n` +
      "verification failed: 1 of 1 tracked path (2 stages passed)\n",
    stderr: "",
  });
  assert.equal(await pivotOk(p, "status"), `2 up to date\n${line}\n`);
  assert.deepEqual(await pivot(p, "-q", "status"), { code: 1, stdout: "", stderr: "" });
  // With targets, only the tracked paths their stages read are checked.
  assert.equal(
    await pivotOk(p, "verify", "other", "--json"),
    `${
      JSON.stringify(
        {
          passed: true,
          stages: [{ stage: "other", passed: true, reason: "", missing: [], outputs: [] }],
          tracked: [],
        },
        null,
        2,
      )
    }\n`,
  );
  assert.equal((await pivot(p, "verify", "prep")).code, 1);
  // repro needs the content, not its cache copy.
  assert.deepEqual(
    unordered(await pivotOk(p, "repro")),
    unordered("up to date prep\nup to date other\n0 ran, 2 up to date (T)\n"),
  );

  await pivotOk(p, "track", RAW);
  assert.equal(
    await pivotOk(p, "verify"),
    "ok     prep\nok     other\nverification passed: 2 stages up to date\n",
  );
});

Deno.test("an input inside a tracked directory that changed stops repro, naming the directory", async () => {
  await using p = await makeProject({
    "pivot.yaml":
      "pipeline: ml\nstages:\n  use:\n    cmd: cat ${deps.a} > ${outs}\n    deps: {a: inputs/a.csv}\n    outs: csv\n",
    "inputs/a.csv": "a\n",
    "inputs/b.csv": "b\n",
  });
  await pivotOk(p, "track", "inputs");
  await pivotOk(p, "repro");
  await Deno.remove(p.path("inputs/a.csv"));
  await p.write("inputs/a.csv", "A\n");
  assert.deepEqual(await pivot(p, "repro"), {
    code: 1,
    stdout: "",
    stderr: "error: tracked input does not match its .pvt file, so nothing was run:\n" +
      "  inputs (read by use): modified\n" +
      "hint: `pivot track --force inputs` records the workspace's content, or " +
      "`pivot checkout --force inputs` restores what the .pvt file records (discarding the " +
      "workspace's content, which no cache holds)\n",
  });
  assert.equal(await p.read("data/ml/use.csv"), "a\n");
});

Deno.test("several tracked inputs that do not match are listed in one error, each with its fix", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  join:\n" +
      "    cmd: cat ${deps.a} ${deps.b} ${deps.c} > ${outs}\n" +
      "    deps: {a: in/a.csv, b: in/b.csv, c: in/c.csv}\n    outs: csv\n",
    "in/a.csv": "a\n",
    "in/b.csv": "b\n",
    "in/c.csv": "c\n",
  });
  await pivotOk(p, "track", "in/a.csv", "in/b.csv", "in/c.csv");
  await pivotOk(p, "repro");
  await Deno.remove(p.path("in/a.csv"));
  await p.write("in/a.csv", "A\n");
  await Deno.remove(p.path("in/b.csv"));
  await p.write("in/c.csv.pvt", "path: c.csv\nhash: nonsense\n");
  const result = await pivot(p, "repro");
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  assert.equal(
    result.stderr,
    'warning: malformed tracking file in/c.csv.pvt: hash: invalid hash "nonsense": ' +
      "expected 16 lowercase hex characters\n" +
      "error: 3 tracked inputs do not match their .pvt files, so nothing was run:\n" +
      "  in/a.csv (read by join): modified\n" +
      "  in/b.csv (read by join): missing\n" +
      "  in/c.csv (read by join): its .pvt file cannot be read, see the warning above\n" +
      "hint: `pivot track --force in/a.csv` records the workspace's content, or " +
      "`pivot checkout --force in/a.csv` restores what the .pvt file records (discarding the " +
      "workspace's content, which no cache holds); " +
      "restore with `pivot checkout in/b.csv`; restore the .pvt file from git, " +
      "or record the data again with `pivot track --force in/c.csv`\n",
  );
  // status says the same of the stage, and warns once about the .pvt it cannot read.
  assert.deepEqual(await pivot(p, "status"), {
    code: 0,
    stdout: "cannot run join: 3 tracked inputs do not match their .pvt files: " +
      "in/a.csv (modified), in/b.csv (missing), in/c.csv (unreadable .pvt file)\n" +
      "1 stale, 0 up to date\n" +
      "tracked in/a.csv: modified; `pivot track --force in/a.csv` records the workspace's content, " +
      "`pivot checkout --force in/a.csv` restores what its .pvt file records (discarding it)\n" +
      "tracked in/b.csv: missing, restorable: pivot checkout in/b.csv\n" +
      "tracked in/c.csv: its .pvt file cannot be read\n",
    stderr: 'warning: malformed tracking file in/c.csv.pvt: hash: invalid hash "nonsense": ' +
      "expected 16 lowercase hex characters\n",
  });
});

// Before the fix, every modified tracked path got a `pivot checkout --force` hint, although plain
// checkout replaces workspace content that is itself in the cache (and --force would lose any
// that is not).
Deno.test("status and repro recommend checkout --force only for workspace content the cache lacks", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  use:\n    cmd: cat ${deps.a} ${deps.f} > ${outs}\n" +
      "    deps: {a: inputs/a.csv, f: f.csv}\n    outs: csv\n",
    "inputs/a.csv": "a\n",
    "inputs/b.csv": "b\n",
    "f.csv": "old\n",
  });
  await pivotOk(p, "track", "inputs", "f.csv");
  await pivotOk(p, "repro");
  const oldPvt = await p.read("f.csv.pvt");
  // A file removed from a tracked directory; a newer version recorded, then the older .pvt back
  // (as `git checkout` of an older commit does): what the workspace holds is in the cache.
  await Deno.remove(p.path("inputs/b.csv"));
  await Deno.remove(p.path("f.csv"));
  await p.write("f.csv", "new\n");
  await pivotOk(p, "track", "--force", "f.csv");
  await p.write("f.csv.pvt", oldPvt);
  assert.equal(
    await pivotOk(p, "status"),
    "cannot run use: 2 tracked inputs do not match their .pvt files: f.csv (modified), inputs (modified)\n" +
      "1 stale, 0 up to date\n" +
      "tracked f.csv: modified; `pivot checkout f.csv` restores what its .pvt file records, " +
      "`pivot track --force f.csv` records the workspace's content\n" +
      "tracked inputs: modified; `pivot checkout inputs` restores what its .pvt file records, " +
      "`pivot track --force inputs` records the workspace's content\n",
  );
  assert.deepEqual(await pivot(p, "repro"), {
    code: 1,
    stdout: "",
    stderr: "error: 2 tracked inputs do not match their .pvt files, so nothing was run:\n" +
      "  f.csv (read by use): modified\n" +
      "  inputs (read by use): modified\n" +
      "hint: `pivot checkout f.csv inputs` restores what the .pvt file records (as after a " +
      "`git pull` or `git checkout`), or `pivot track --force f.csv inputs` records the " +
      "workspace's content instead\n",
  });

  // Content the cache does not hold: only --force goes back (and loses it).
  await Deno.remove(p.path("f.csv"));
  await p.write("f.csv", "edited, never tracked\n");
  assert.deepEqual(await pivot(p, "repro"), {
    code: 1,
    stdout: "",
    stderr: "error: 2 tracked inputs do not match their .pvt files, so nothing was run:\n" +
      "  f.csv (read by use): modified\n" +
      "  inputs (read by use): modified\n" +
      "hint: `pivot checkout inputs` restores what the .pvt file records (as after a " +
      "`git pull` or `git checkout`), or `pivot track --force inputs` records the workspace's " +
      "content instead; `pivot track --force f.csv` records the workspace's content, or " +
      "`pivot checkout --force f.csv` restores what the .pvt file records (discarding the " +
      "workspace's content, which no cache holds)\n",
  });

  // The hints are right: plain checkout goes back where they say so.
  assert.equal(await pivotOk(p, "checkout", "inputs"), "restored inputs/\n1 restored\n");
  assert.equal(await p.read("inputs/b.csv"), "b\n");
});

// Before the fix, a shell-quoted path went inside a quoted command:
// `'pivot track --force 'my data/raw file.csv'' records it`.
Deno.test("hints that hold a shell-quoted path put the command in backticks, never inside quotes", async () => {
  const RAW_SPACED = "my data/raw file.csv";
  await using p = await makeProject({
    "pivot.yaml": 'pipeline: ml\nstages:\n  prep:\n    cmd: cat "${deps.raw}" > ${outs}\n' +
      `    deps: {raw: '${RAW_SPACED}'}\n    outs: csv\n`,
    [RAW_SPACED]: "a\n",
  });
  await pivotOk(p, "track", RAW_SPACED);
  await pivotOk(p, "repro");
  await Deno.remove(p.path(RAW_SPACED));
  await p.write(RAW_SPACED, "b\n");
  const quoted = "'my data/raw file.csv'";
  assert.equal(
    await pivotOk(p, "status"),
    `cannot run prep: tracked input does not match its .pvt file: ${RAW_SPACED} (modified)\n` +
      "1 stale, 0 up to date\n" +
      `tracked ${RAW_SPACED}: modified; \`pivot track --force ${quoted}\` records the workspace's ` +
      `content, \`pivot checkout --force ${quoted}\` restores what its .pvt file records (discarding it)\n`,
  );
  assert.deepEqual(await pivot(p, "repro"), {
    code: 1,
    stdout: "",
    stderr: "error: tracked input does not match its .pvt file, so nothing was run:\n" +
      `  ${RAW_SPACED} (read by prep): modified\n` +
      `hint: \`pivot track --force ${quoted}\` records the workspace's content, or ` +
      `\`pivot checkout --force ${quoted}\` restores what the .pvt file records (discarding ` +
      `the workspace's content, which no cache holds)\n`,
  });
});

Deno.test("an output edited in place through a hardlink a tracked file shares is named as such, without 'track --force'", async () => {
  await using p = await makeProject({
    "pivot.yaml": [
      "pipeline: a8",
      "stages:",
      "  u:",
      "    cmd: cat d/one > ${outs}",
      "    deps: {d: d}",
      "    outs: txt",
      "",
    ].join("\n"),
    "d/one": "1\n",
    "d/two": "2\n",
  });
  await pivotOk(p, "track", "d");
  await pivotOk(p, "repro");
  // The output and d/one hold the same content: both are hardlinks of one blob.
  assert.equal(
    (await Deno.stat(p.path("data/a8/u.txt"))).ino,
    (await Deno.stat(p.path("d/one"))).ino,
  );
  await Deno.chmod(p.path("data/a8/u.txt"), 0o644);
  await Deno.writeTextFile(p.path("data/a8/u.txt"), "X\n", { append: true });
  const problem =
    "d/one was edited through a hardlink it shares with the cache and data/a8/u.txt, so the cached content changed too";
  const fix =
    "get the recorded content back ('pivot pull --force d' when a remote holds it, or undo the edit and run 'pivot track d'), and set cache.checkout_mode: copy to edit files in place";
  assert.deepEqual(await pivot(p, "repro"), {
    code: 1,
    stdout: "",
    stderr: "error: tracked input does not match its .pvt file, so nothing was run:\n" +
      `  d (read by u): ${problem}\nhint: ${fix}\n`,
  });
  // Later commands still know (the blob was moved aside by the first).
  assert.deepEqual(await pivot(p, "status"), {
    code: 0,
    stdout: "cannot run u: tracked input does not match its .pvt file: d (modified)\n" +
      `1 stale, 0 up to date\ntracked d: ${problem}; ${fix}\n`,
    stderr: "",
  });
  // The fix works: undo the edit (through either path), re-cache, and all is well.
  await Deno.writeTextFile(p.path("data/a8/u.txt"), "1\n");
  await pivotOk(p, "track", "d");
  assert.equal(await pivotOk(p, "repro"), "up to date u\n0 ran, 1 up to date (T)\n");
});

// Before, `raw/many` missing read as the identity of stage 'many' in pipeline 'raw': every
// command failed ("the project has no pipeline 'raw'"), checkout and pull included.
Deno.test("a tracked directory missing from the workspace is still a path: status names it, checkout restores it", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  split:\n    cmd: ls ${deps.many} > ${outs}\n" +
      "    deps: {many: raw/many}\n    outs: txt\n",
    "raw/many/a.txt": "a\n",
    "raw/many/b.txt": "b\n",
  });
  await pivotOk(p, "track", "raw/many");
  await pivotOk(p, "repro");
  await Deno.remove(p.path("raw/many"), { recursive: true });
  assert.deepEqual(await pivot(p, "status"), {
    code: 0,
    stdout: "cannot run split: tracked input does not match its .pvt file: raw/many (missing)\n" +
      "1 stale, 0 up to date\n" +
      "tracked raw/many: missing, restorable: pivot checkout raw/many\n",
    stderr: "",
  });
  assert.equal(await pivotOk(p, "checkout"), "restored raw/many/\n1 restored, 1 up to date\n");
  assert.equal(await p.read("raw/many/b.txt"), "b\n");
  assert.equal(await pivotOk(p, "status"), "1 up to date\n");
});
