/**
 * Failures of the environment, not of pivot (SPEC §14): a full disk, a
 * damaged state.db, a directory where a file should be, a read-only or
 * misplaced cache, YAML alias bombs. Each ends in a message naming the
 * cause, the file and the fix (never "this is unexpected"), and a damaged
 * state.db is replaced with a warning.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import {
  makeProject,
  runPivot,
  type TempProject,
  treeWithoutStateDb,
} from "../_helpers/project.ts";
import { bindReadOnly, CAN_MOUNT, mountTmpfs } from "../_helpers/tmpfs.ts";
import { timeless } from "./_fixtures/engine.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { metadataYaml } from "../../src/storage/_yaml_out.ts";

/** Pipeline `ml`: `train` copies `raw.txt` to its single txt output. */
const COPY_YAML = `pipeline: ml
stages:
  train:
    cmd: cat \${deps.raw} > \${outs}
    deps: {raw: raw.txt}
    outs: txt
`;

/** Asserts that nothing in `text` reads like a bug in pivot. */
function assertNoInternalError(text: string): void {
  assert.doesNotMatch(text, /this is unexpected|cannot rollback|os error \d+\)\n/, text);
}

/**
 * The name of input file `i`: long, so that each hash-cache row is large (1,000 of them make a
 * state.db of about 760 KiB, as 3,000 short names do) while there are few files to write and hash.
 */
function inputName(i: number): string {
  return `file-${i}-${"x".repeat(150)}.txt`;
}

/** A project whose `train` stage hashes a directory of `files` files (many hash-cache rows). */
async function projectWithManyInputs(files: number): Promise<TempProject> {
  const p = await makeProject({
    "pivot.yaml": `pipeline: ml
stages:
  train:
    cmd: ls \${deps.inputs} | wc -l > \${outs}
    deps: {inputs: inputs}
    outs: txt
`,
  });
  await Deno.mkdir(p.path("inputs"));
  for (let i = 0; i < files; i++) {
    Deno.writeTextFileSync(p.path(`inputs/${inputName(i)}`), `row ${i}\n`);
  }
  return p;
}

/** Overwrites 16 KiB in the middle of `file`, past its header and schema pages. */
function damageMiddle(file: string): void {
  const { size } = Deno.statSync(file);
  assert.ok(size > 128 * 1024, `${file} is too small (${size} bytes) to damage in the middle`);
  const handle = Deno.openSync(file, { write: true });
  try {
    handle.seekSync(Math.floor(size / 2), Deno.SeekMode.Start);
    handle.writeSync(new Uint8Array(16_384).fill(0xde));
  } finally {
    handle.close();
  }
}

Deno.test("a state.db damaged mid-file is moved aside with a warning and status, repro and verify succeed", async () => {
  await using p = await projectWithManyInputs(1_000);
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  const db = p.path(".pivot/state.db");
  damageMiddle(db);
  const warning = `warning: ${db} was corrupt; moved it to ${db}.corrupt and started a fresh one\n`;

  const status = await runPivotInProcess(p.root, ["status"]);
  assert.deepEqual(status, { code: 0, stdout: "1 up to date\n", stderr: warning });
  assert.equal((await Deno.stat(`${db}.corrupt`)).isFile, true);

  const repro = await runPivotInProcess(p.root, ["repro"]);
  assert.deepEqual({ ...repro, stdout: timeless(repro.stdout) }, {
    code: 0,
    stdout: "up to date train\n0 ran, 1 up to date (T)\n",
    stderr: "",
  });
  const verify = await runPivotInProcess(p.root, ["verify"]);
  assert.equal(verify.code, 0, verify.stderr);
  assert.equal(verify.stderr, "");
});

Deno.test("a state.db damaged mid-file is replaced by the repro that finds it, which then runs", async () => {
  await using p = await projectWithManyInputs(1_000);
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  const db = p.path(".pivot/state.db");
  damageMiddle(db);
  await Deno.writeTextFile(p.path(`inputs/${inputName(0)}`), "changed\n");
  const repro = await runPivotInProcess(p.root, ["repro"]);
  assert.deepEqual({ ...repro, stdout: timeless(repro.stdout) }, {
    code: 0,
    stdout: "ran train: inputs changed (T)\n1 ran, 0 up to date (T)\n",
    stderr: `warning: ${db} was corrupt; moved it to ${db}.corrupt and started a fresh one\n`,
  });
  assert.equal(await p.read("data/ml/train.txt"), "1000\n");
});

Deno.test("a lock file that is a directory fails its stage with the fix, and status names it", async () => {
  await using p = await makeProject({ "pivot.yaml": COPY_YAML, "raw.txt": "one\n" });
  const lock = p.path(".pivot/stages/ml/train.lock");
  await Deno.mkdir(lock, { recursive: true });
  const before = treeWithoutStateDb(p.root);

  const repro = await runPivotInProcess(p.root, ["repro"]);
  assert.deepEqual({ ...repro, stdout: timeless(repro.stdout), stderr: timeless(repro.stderr) }, {
    code: 1,
    stdout: "0 ran, 0 up to date, 1 failed (T)\n",
    stderr: `FAILED train: cannot read ${lock}: it is a directory\n` +
      `    hint: remove or rename the directory ${lock}\n`,
  });
  assert.deepEqual(treeWithoutStateDb(p.root), before);

  const status = await runPivotInProcess(p.root, ["status"]);
  assert.deepEqual(status, {
    code: 1,
    stdout: "",
    stderr: `error: cannot read ${lock}: it is a directory\n` +
      `hint: remove or rename the directory ${lock}\n`,
  });

  await Deno.remove(lock);
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  assert.equal(await p.read("data/ml/train.txt"), "one\n");
});

Deno.test("config.yaml or params.yaml that is a directory is an error naming it and the fix", async (t) => {
  for (const rel of [".pivot/config.yaml", "params.yaml"]) {
    await t.step(rel, async () => {
      await using p = await makeProject({ "pivot.yaml": COPY_YAML, "raw.txt": "one\n" });
      await Deno.mkdir(p.path(rel));
      const before = treeWithoutStateDb(p.root);
      for (const command of ["status", "repro"]) {
        const result = await runPivotInProcess(p.root, [command]);
        assert.deepEqual(result, {
          code: 1,
          stdout: "",
          stderr: `error: cannot read ${p.path(rel)}: it is a directory\n` +
            `hint: remove or rename the directory ${p.path(rel)}\n`,
        }, command);
      }
      assert.deepEqual(treeWithoutStateDb(p.root), before);
    });
  }
});

Deno.test("a state.db that is a directory is an error naming it and the fix", async () => {
  await using p = await makeProject({ "pivot.yaml": COPY_YAML, "raw.txt": "one\n" });
  const db = p.path(".pivot/state.db");
  await Deno.mkdir(db);
  const status = await runPivotInProcess(p.root, ["status"]);
  assert.deepEqual(status, {
    code: 1,
    stdout: "",
    stderr: `error: cannot open ${db}: it is a directory\n` +
      `hint: remove or rename the directory ${db}\n`,
  });
  assert.equal((await Deno.stat(db)).isDirectory, true);
});

Deno.test("a .pvt that is a directory is an error naming it, for track and for checkout", async () => {
  await using p = await makeProject({ "raw.txt": "one\n" });
  const pvt = p.path("raw.txt.pvt");
  await Deno.mkdir(pvt);
  const track = await runPivotInProcess(p.root, ["track", "raw.txt"]);
  assert.deepEqual(track, {
    code: 1,
    stdout: "",
    stderr: `error: cannot read ${pvt}: it is a directory\n` +
      `hint: remove or rename the directory ${pvt}\n`,
  });
  const checkout = await runPivotInProcess(p.root, ["checkout", "raw.txt"]);
  assert.deepEqual(checkout, {
    code: 1,
    stdout: "",
    stderr: `error: cannot read ${pvt}: it is a directory, not a tracking file\n` +
      `hint: remove or rename the directory ${pvt}, then track the data again with 'pivot track'\n`,
  });
  assert.equal(await p.read("raw.txt"), "one\n");
});

Deno.test("a cache dir that is a file fails the stage, naming the cache and both ways out", async () => {
  await using p = await makeProject({
    "pivot.yaml": COPY_YAML,
    "raw.txt": "one\n",
    ".pivot/config.yaml": "cache:\n  dir: store\n",
    "store": "not a directory\n",
  });
  const repro = await runPivotInProcess(p.root, ["repro"]);
  const cache = p.path("store");
  assert.deepEqual({ ...repro, stdout: timeless(repro.stdout), stderr: timeless(repro.stderr) }, {
    code: 1,
    stdout: "0 ran, 0 up to date, 1 failed (T)\n",
    stderr: `FAILED train: the cache ${cache} is not a directory (T)\n` +
      `    hint: remove or rename the file ${cache}, or point cache.dir (in .pivot/config.yaml) or PIVOT_CACHE_DIR at another directory\n`,
  });
  assert.equal(await p.exists(".pivot/stages/ml/train.lock"), false);
});

// Before the fix, gc printed the raw "Not a directory (os error 20): lstat …/files", and a bucket
// (files/ab) that is a file was reported as "cannot read the cache <cache dir>: a part of its path
// is a file".
Deno.test("gc and checkout name the file that stands where the cache, its files/ or a bucket should be", async (t) => {
  await using p = await makeProject({ "pivot.yaml": COPY_YAML, "raw.txt": "one\n" });
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  const cache = p.path(".pivot/cache");
  const moveHint =
    "or point cache.dir (in .pivot/config.yaml) or PIVOT_CACHE_DIR at another directory";
  /** Puts a file where `rel` (a directory of the cache) is, runs `args`, puts the directory back. */
  const withFileAt = async (rel: string, args: string[]) => {
    const dir = path.join(cache, rel);
    await Deno.rename(dir, `${dir}.away`);
    await Deno.writeTextFile(dir, "not a directory\n");
    try {
      return await runPivotInProcess(p.root, args);
    } finally {
      await Deno.remove(dir);
      await Deno.rename(`${dir}.away`, dir);
    }
  };
  await t.step("gc, the cache a file", async () => {
    assert.deepEqual(await withFileAt("", ["gc"]), {
      code: 1,
      stdout: "",
      stderr: `error: the cache ${cache} is not a directory\n` +
        `hint: remove or rename the file ${cache}, ${moveHint}\n`,
    });
  });
  await t.step("gc, files/ a file", async () => {
    const files = path.join(cache, "files");
    assert.deepEqual(await withFileAt("files", ["gc", "--grace", "0"]), {
      code: 1,
      stdout: "",
      stderr: `error: cannot collect the cache: ${files} is a file, not a directory\n` +
        `hint: remove or rename the file ${files}: the cache keeps a directory there\n`,
    });
  });
  await t.step("checkout, a bucket a file", async () => {
    const bucket = path.join(cache, "files", hashBytes("one\n").slice(0, 2));
    await Deno.remove(p.path("data/ml/train.txt"));
    assert.deepEqual(await withFileAt(path.relative(cache, bucket), ["checkout"]), {
      code: 1,
      stdout: "",
      stderr: `error: cannot read the cache: ${bucket} is a file, not a directory\n` +
        `hint: remove or rename the file ${bucket}: the cache keeps a directory there\n`,
    });
    assert.equal(
      (await runPivotInProcess(p.root, ["checkout"])).stdout,
      "restored train → data/ml/train.txt\n1 restored\n",
    );
  });
});

Deno.test("repro records an output through a bucket that is a symlink inside the cache, and names a file standing where its bucket should be", async () => {
  await using p = await makeProject({ "pivot.yaml": COPY_YAML, "raw.txt": "one\n" });
  const files = p.path(".pivot/cache/files");
  const bucket = path.join(files, hashBytes("one\n").slice(0, 2));
  const output = p.path("data/ml/train.txt");
  // A file where the bucket belongs: the stage fails naming it, the output left unlinked.
  await Deno.mkdir(files, { recursive: true });
  await Deno.writeTextFile(bucket, "not a directory\n");
  const failed = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(failed.code, 1);
  assert.match(
    failed.stderr,
    new RegExp(
      `^FAILED train: cannot read the cache: ${bucket} is a file, not a directory \\(`,
      "m",
    ),
  );
  assertNoInternalError(failed.stderr);
  assert.equal(await Deno.readTextFile(output), "one\n");
  assert.equal(Deno.statSync(output).nlink, 1);
  assert.equal(await Deno.readTextFile(bucket), "not a directory\n");
  // The bucket a symlink to a directory inside the cache: the blob is linked through it.
  await Deno.remove(bucket);
  await Deno.mkdir(path.join(files, "elsewhere"));
  await Deno.symlink("elsewhere", bucket);
  const ran = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(ran.code, 0, ran.stderr);
  const blob = path.join(files, "elsewhere", hashBytes("one\n").slice(2));
  assert.equal(Deno.statSync(output).ino, Deno.statSync(blob).ino);
  assert.equal((await runPivotInProcess(p.root, ["status"])).code, 0);
});

Deno.test({
  name: "a read-only cache fails the stage, naming the cache, the cause and both ways out",
  ignore: !CAN_MOUNT,
  fn: async () => {
    await using p = await makeProject({ "pivot.yaml": COPY_YAML, "raw.txt": "one\n" });
    const cache = p.path(".pivot/cache");
    await Deno.mkdir(cache);
    {
      using _readOnly = bindReadOnly(cache);
      const repro = await runPivotInProcess(p.root, ["repro"]);
      assert.deepEqual(
        { ...repro, stdout: timeless(repro.stdout), stderr: timeless(repro.stderr) },
        {
          code: 1,
          stdout: "0 ran, 0 up to date, 1 failed (T)\n",
          stderr: `FAILED train: cannot write to the cache ${cache}: read-only file system (T)\n` +
            `    hint: ${cache} is on a file system mounted read-only; remount it writable, or point cache.dir (in .pivot/config.yaml) or PIVOT_CACHE_DIR at another directory\n`,
        },
      );
      assert.equal(await p.exists(".pivot/stages/ml/train.lock"), false);
    }
    assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  },
});

Deno.test({
  name: "a full cache disk fails the stage, naming the cache, the cause and both ways out",
  ignore: !CAN_MOUNT,
  fn: async () => {
    await using fs = mountTmpfs(256);
    await using p = await makeProject({
      "pivot.yaml": COPY_YAML,
      "raw.txt": "x".repeat(64 * 1024),
      ".pivot/config.yaml": `cache:\n  dir: ${fs.dir}/cache\n`,
    });
    fs.fill();
    const cache = `${fs.dir}/cache`;
    const repro = await runPivotInProcess(p.root, ["repro"]);
    assert.deepEqual({ ...repro, stdout: timeless(repro.stdout), stderr: timeless(repro.stderr) }, {
      code: 1,
      stdout: "0 ran, 0 up to date, 1 failed (T)\n",
      stderr: `FAILED train: cannot write to the cache ${cache}: no space left on device (T)\n` +
        `    hint: free some space on the disk holding ${cache}, or point cache.dir (in .pivot/config.yaml) or PIVOT_CACHE_DIR at another directory\n`,
    });
    fs.free();
    assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  },
});

/** `stages` stages in a chain, each writing an empty output (no data pages of its own). */
function chainYaml(stages: number): string {
  const lines = ["pipeline: ml", "stages:"];
  for (let i = 0; i < stages; i++) {
    lines.push(`  s${i}:`, `    cmd: ": > \${outs}"`, "    outs: txt");
    if (i > 0) lines.push(`    deps: {up: s${i - 1}}`);
  }
  return `${lines.join("\n")}\n`;
}

Deno.test({
  name:
    "a disk that fills mid-run ends in messages naming the cause and a file, and repro recovers",
  ignore: !CAN_MOUNT,
  fn: async () => {
    await using fs = mountTmpfs(1024);
    let failures = 0;
    // Each amount of space left runs out at another write: a sentinel, a lock, the
    // state.db records, the .gitignore of outputs, the run history.
    const leaves = Array.from({ length: 16 }, (_, k) => k * 8 * 1024);
    for (const [i, leave] of leaves.entries()) {
      const root = path.join(fs.dir, `p${i}`);
      await Deno.mkdir(path.join(root, ".pivot"), { recursive: true });
      await Deno.writeTextFile(path.join(root, "pivot.yaml"), chainYaml(30));
      // The state.db exists: the disk fills while stages run.
      assert.equal((await runPivotInProcess(root, ["status"])).code, 0);
      fs.fill(leave);
      // A process of its own: a sentinel whose write failed keeps its descriptor until exit.
      const full = await runPivot(root, ["repro"]);
      const text = `${full.stdout}${full.stderr}`;
      assertNoInternalError(text);
      if (full.code !== 0) {
        failures++;
        assert.equal(full.code, 1, text);
        assert.match(
          text,
          new RegExp(
            `(cannot (write|use) ${fs.dir}/p${i}/\\S+: (no space left on device|input/output error))`,
          ),
          text,
        );
        assert.match(
          text,
          new RegExp(`hint: (free some space on|check) the disk holding ${fs.dir}/p${i}/`),
          text,
        );
      }
      fs.free();
      const again = await runPivotInProcess(root, ["repro"]);
      assert.equal(again.code, 0, `${leave} bytes left, then: ${again.stdout}${again.stderr}`);
      const verify = await runPivotInProcess(root, ["verify"]);
      assert.equal(verify.code, 0, `${leave} bytes left, then: ${verify.stdout}${verify.stderr}`);
      await Deno.remove(root, { recursive: true });
    }
    assert.ok(failures >= leaves.length / 2, `only ${failures} runs ran out of space`);
  },
});

/** YAML whose nine levels of nine aliases would expand to 9⁹ strings. */
const ALIAS_BOMB = [
  'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
  ..."bcdefghi".split("").map((name, i) => {
    const previous = "abcdefghi"[i]!;
    return `${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`;
  }),
].join("\n");

Deno.test("a YAML alias bomb in any file pivot reads is an error naming the file", async (t) => {
  const bombMessage = (file: string) =>
    `error: ${file}: invalid YAML: uses too many aliases (more than 100 expansions of '*name'), as an alias bomb does\n` +
    "hint: write the repeated values out, or use fewer aliases\n";
  await t.step(".pivot/config.yaml", async () => {
    await using p = await makeProject({
      "pivot.yaml": COPY_YAML,
      "raw.txt": "one\n",
      ".pivot/config.yaml": `${ALIAS_BOMB}\n`,
    });
    const status = await runPivotInProcess(p.root, ["status"]);
    assert.deepEqual(status, { code: 1, stdout: "", stderr: bombMessage(".pivot/config.yaml") });
  });
  await t.step("params.yaml", async () => {
    await using p = await makeProject({
      "pivot.yaml": COPY_YAML,
      "raw.txt": "one\n",
      "params.yaml": `train:\n  x: 1\n${ALIAS_BOMB}\n`,
    });
    const status = await runPivotInProcess(p.root, ["status"]);
    assert.deepEqual(status, { code: 1, stdout: "", stderr: bombMessage("params.yaml") });
  });
  await t.step("pivot.yaml", async () => {
    await using p = await makeProject({
      "pivot.yaml": `${COPY_YAML}x-bomb:\n${ALIAS_BOMB.replace(/^/gm, "  ")}\n`,
      "raw.txt": "one\n",
    });
    const status = await runPivotInProcess(p.root, ["status"]);
    assert.deepEqual(status, { code: 1, stdout: "", stderr: bombMessage("pivot.yaml") });
  });
  await t.step("a vars file", async () => {
    await using p = await makeProject({
      "pivot.yaml": `vars: [vars.yaml]\n${COPY_YAML}`,
      "vars.yaml": `${ALIAS_BOMB}\n`,
      "raw.txt": "one\n",
    });
    const status = await runPivotInProcess(p.root, ["status"]);
    assert.deepEqual(status, { code: 1, stdout: "", stderr: bombMessage("vars.yaml") });
  });
  await t.step("a lock file reads as absent with a warning naming it", async () => {
    await using p = await makeProject({ "pivot.yaml": COPY_YAML, "raw.txt": "one\n" });
    assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
    const lock = ".pivot/stages/ml/train.lock";
    // A lock as earlier versions wrote it (YAML; pivot reads those still), with a bomb added.
    const yamlLock = metadataYaml(JSON.parse(await p.read(lock)), ["manifest"]);
    await p.write(lock, `${yamlLock}${ALIAS_BOMB}\n`);
    const status = await runPivotInProcess(p.root, ["status"]);
    assert.deepEqual(status, {
      code: 0,
      stdout: "stale train: no previous run\n1 stale, 0 up to date\n",
      stderr:
        `warning: ignoring malformed lock file ${lock}: not valid YAML: uses too many aliases, as an alias bomb does\n`,
    });
  });
});
