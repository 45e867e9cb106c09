/**
 * `pivot gc` beside a running `pivot repro` (SPEC §14): gc never removes a
 * blob the run has stored and not yet recorded in a lock. The repro runs in
 * a process of its own; gc runs in the test process (in process: it starts
 * at once, inside the window). `PIVOT_TEST_TRIALS=50` runs a longer series.
 *
 * @module
 */
import assert from "node:assert/strict";
import { exists, names } from "../_helpers/files.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject, pivotCommand, type TempProject } from "../_helpers/project.ts";
import { addBlob, blobPath } from "../_helpers/storage.ts";

const TRIALS = Number(Deno.env.get("PIVOT_TEST_TRIALS") ?? "10");

/**
 * `one` writes a file; `many` (after it) writes a directory of `files`
 * files, so that storing them in the cache takes a while before its lock is
 * written; `last` copies `one`.
 */
function pipelineYaml(files: number): string {
  return [
    "pipeline: ml",
    "stages:",
    "  one:",
    "    cmd: echo one > ${outs}",
    "    outs: txt",
    "  many:",
    `    cmd: mkdir -p \${outs}; for i in $(seq ${files}); do echo "file $i" > \${outs}/$i.txt; done`,
    "    deps: {x: one}",
    "    outs: dir",
    "  last:",
    "    cmd: cat ${deps.x} > ${outs}",
    "    deps: {x: one, y: many}",
    "    outs: txt",
    "",
  ].join("\n");
}

function spawnRepro(p: TempProject): Deno.ChildProcess {
  return pivotCommand(p.root, ["repro"]).spawn();
}

/** Blob files in the project's cache. */
function blobCount(p: TempProject): number {
  let count = 0;
  try {
    for (const bucket of Deno.readDirSync(p.path(".pivot/cache/files"))) {
      for (const entry of Deno.readDirSync(p.path(`.pivot/cache/files/${bucket.name}`))) {
        if (!entry.name.startsWith(".")) count++;
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return count;
}

Deno.test("pivot gc waits for a running repro, so the blobs it stores before writing their lock stay", async () => {
  await using p = await makeProject({ "pivot.yaml": pipelineYaml(1000) });
  const cache = p.path(".pivot/cache");
  // Garbage that gc should remove, written before the run.
  const garbage = await addBlob(cache, "nobody wants me\n");
  const repro = spawnRepro(p);
  let output: Deno.CommandOutput;
  let gc;
  try {
    // 'one' is recorded (its blob referenced by its lock) and 'many' has begun to store
    // its 1000 blobs, none of them in a lock yet.
    while (!exists(p.path(".pivot/stages/ml/one.lock")) || blobCount(p) < 3) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(exists(p.path(".pivot/stages/ml/many.lock")), false);
    gc = await runPivotInProcess(p.root, ["gc", "--grace", "0"]);
  } finally {
    output = await repro.output();
  }
  const decoder = new TextDecoder();
  assert.equal(output.code, 0, decoder.decode(output.stderr));
  assert.equal(gc.code, 0, gc.stderr);
  assert.equal(gc.stderr, `waiting: pivot (PID ${repro.pid}) may still add blobs to the cache\n`);
  assert.equal(
    gc.stdout,
    "removed 1 blob (16 B); kept 1001 blobs referenced by 3 lock and .pvt files\n",
  );
  assert.equal(exists(blobPath(cache, garbage)), false);
  const verify = await runPivotInProcess(p.root, ["verify"]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
});

Deno.test(`pivot gc in a loop beside pivot repro never leaves a lock without its blobs (${TRIALS} trials)`, async () => {
  const failures: string[] = [];
  let collections = 0;
  for (let trial = 1; trial <= TRIALS; trial++) {
    await using p = await makeProject({ "pivot.yaml": pipelineYaml(200) });
    const repro = spawnRepro(p);
    let done = false;
    const finished = repro.output().finally(() => (done = true));
    while (!done) {
      const gc = await runPivotInProcess(p.root, ["gc", "--grace", "0", "-q"]);
      collections++;
      if (gc.code !== 0) failures.push(`trial ${trial}: gc: ${gc.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const output = await finished;
    if (output.code !== 0) {
      failures.push(`trial ${trial}: repro: ${new TextDecoder().decode(output.stderr)}`);
    }
    const verify = await runPivotInProcess(p.root, ["verify"]);
    if (verify.code !== 0) failures.push(`trial ${trial}: verify: ${verify.stdout}`);
  }
  const failed = new Set(failures.map((failure) => failure.split(":")[0])).size;
  // deno-lint-ignore no-console -- the counts of a longer manual series (PIVOT_TEST_TRIALS)
  console.log(`${TRIALS} trials, ${collections} gc runs, ${failed} trials failed`);
  assert.deepEqual(failures, []);
});

/** A process that lives for `seconds`, standing in for another pivot. */
function otherProcess(seconds: number): Deno.ChildProcess {
  return new Deno.Command("sleep", { args: [String(seconds)] }).spawn();
}

Deno.test("pivot repro and pivot track wait while a gc runs", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  one:\n    cmd: echo one > ${outs}\n    outs: txt\n",
    "raw.csv": "a\n",
  });
  for (const args of [["repro"], ["track", "raw.csv"]]) {
    const gc = otherProcess(0.6);
    await p.write(".pivot/gc.running", `${gc.pid}\n`);
    const started = Date.now();
    const result = await runPivotInProcess(p.root, args);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, `warning: waiting for 'pivot gc' (PID ${gc.pid}) to finish\n`);
    assert.equal((await gc.status).success, true);
    assert.ok(Date.now() - started >= 500, `${args[0]} went on without waiting`);
    await Deno.remove(p.path(".pivot/gc.running"));
  }
  assert.equal(await p.read("data/ml/one.txt"), "one\n");
  assert.equal((await runPivotInProcess(p.root, ["verify"])).code, 0);
});

Deno.test("pivot gc waits for a live writer and drops the record of a killed one", async () => {
  await using p = await makeProject({});
  const unused = await addBlob(p.path(".pivot/cache"), "unreferenced");
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  const writer = otherProcess(30);
  const endWriter = () => {
    try {
      writer.kill("SIGKILL");
    } catch {
      // already ended
    }
  };
  await p.write(`.pivot/writer.${dead.pid}.0123456789ab.running`, `${dead.pid}\n`);
  await p.write(`.pivot/writer.${writer.pid}.ba9876543210.running`, `${writer.pid}\n`);
  // The writer lives until gc has said that it waits for it.
  const gc = runPivotInProcess(p.root, ["gc", "--grace", "0"], {}, (text) => {
    if (text.startsWith("waiting: ")) endWriter();
  }).finally(endWriter);
  await writer.status;
  // The live writer ends without removing its record (as if killed): gc goes on all the same.
  const result = await gc;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stderr,
    `waiting: pivot (PID ${writer.pid}) may still add blobs to the cache\n`,
  );
  assert.equal(
    result.stdout,
    "removed 1 blob (12 B); kept 0 blobs referenced by 0 lock and .pvt files\n",
  );
  assert.equal(exists(blobPath(p.path(".pivot/cache"), unused)), false);
  assert.deepEqual(names(p.path(".pivot")).filter((name) => name.endsWith(".running")), []);
});
