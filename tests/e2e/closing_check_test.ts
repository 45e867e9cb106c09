/**
 * The closing look of a run that ran many stages (more than are stamped at
 * once: the run waits the racy window out, then looks again): a stage whose
 * lock the run wrote is taken as up to date from that write only while its
 * lock, inputs, outputs and blobs still hold what it recorded. Each test
 * changes one of them while the run runs (a later stage does it), or right
 * after (a process the last stage leaves behind), and the next command must
 * see the change: no stamp answers it, and the changed stage runs again.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { runFastNoopInProcess, runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { timeless } from "./_fixtures/engine.ts";

/** More stages than a run stamps at once (`STAMP_AT_ONCE_STAGES`, 64). */
const STAGES = 70;

const names = Array.from({ length: STAGES }, (_, i) => `s${String(i).padStart(2, "0")}`);

/**
 * A project of `STAGES` stages each copying `raw/<name>.txt`, and `last`,
 * which reads all their outputs and, after writing its own, runs `tamper`.
 */
async function project(tamper: string): Promise<TempProject> {
  const lines = ["pipeline: p", "stages:"];
  for (const name of names) {
    lines.push(`  ${name}:`, `    cmd: cat \${deps.raw} > \${outs}`);
    lines.push(`    deps: {raw: raw/${name}.txt}`, "    outs: txt");
  }
  lines.push("  last:", "    cmd: |", `      cat data/p/s*.txt > \${outs} && ${tamper}`);
  lines.push(`    deps: {in: [${names.join(", ")}]}`, "    outs: txt");
  const files: Record<string, string> = { "pivot.yaml": `${lines.join("\n")}\n` };
  for (const name of names) files[`raw/${name}.txt`] = `${name}\n`;
  const p = await makeProject(files);
  // Its files settle first: the fresh run may then leave a stamp (the tests check it does not).
  await settle();
  return p;
}

/** Waits out the racy window (20 ms for fine times). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
}

/** Runs `pivot repro -j 2` in-process; it must succeed quietly. Returns the output, times masked. */
async function repro(p: TempProject): Promise<string> {
  const result = await runPivotInProcess(p.root, ["repro", "-j", "2"]);
  assert.deepEqual([result.code, result.stderr], [0, ""]);
  return timeless(result.stdout);
}

/** Waits until `rel` holds `content` (written by a process left running), then the racy window. */
async function waitFor(p: TempProject, rel: string, content: string): Promise<void> {
  for (let i = 0; i < 200 && await p.read(rel) !== content; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(await p.read(rel), content);
  await settle();
}

/** The fresh run ran every stage. */
function assertFresh(output: string): void {
  const lines = output.trimEnd().split("\n");
  assert.equal(lines.length, STAGES + 2);
  assert.equal(lines.at(-1), `${STAGES + 1} ran, 0 up to date (T)`);
}

/** No stamp answers the next no-op: the fast path goes the full way. */
function assertNoStampAnswers(p: TempProject): void {
  assert.deepEqual(runFastNoopInProcess(p.root, ["repro", "-j", "2"]), {
    code: null,
    stdout: "",
    stderr: "",
  });
}

/**
 * The lines of a repro that ran `ran` (with its reason) and found every
 * other stage up to date, sorted (stages end in no fixed order).
 */
function expected(ran: readonly (readonly [string, string])[]): string[] {
  const done = new Map(ran);
  const lines = [...names, "last"].map((name) =>
    done.has(name) ? `ran ${name}: ${done.get(name)} (T)` : `up to date ${name}`
  );
  return [...lines, `${ran.length} ran, ${STAGES + 1 - ran.length} up to date (T)`].sort();
}

/** The lines of `output`, sorted. */
function sorted(output: string): string[] {
  return output.trimEnd().split("\n").sort();
}

Deno.test("closing check: with nothing changed, the fresh run leaves a stamp that answers the first no-op", async () => {
  await using p = await project("true");
  assertFresh(await repro(p));
  const answered = runFastNoopInProcess(p.root, ["repro", "-j", "2"]);
  assert.deepEqual(
    [answered.code, sorted(timeless(answered.stdout))],
    [0, expected([])],
  );
});

Deno.test("closing check: an input rewritten during the run, after its stage was recorded, is seen by the next repro", async () => {
  // Same size, so only the content tells.
  await using p = await project("printf 'S07\\n' > raw/s07.txt");
  assertFresh(await repro(p));
  assert.equal(await p.read("raw/s07.txt"), "S07\n");
  assertNoStampAnswers(p);
  assert.deepEqual(
    sorted(await repro(p)),
    expected([["s07", "inputs changed"], ["last", "inputs changed"]]),
  );
  assert.equal(await p.read("data/p/s07.txt"), "S07\n");
});

Deno.test("closing check: an output rewritten in place during the run, size and mtime kept, is seen by the next repro", async () => {
  await using p = await project(
    "chmod u+w data/p/s03.txt && touch -r data/p/s03.txt stamp && " +
      "printf 'XYZ\\n' > data/p/s03.txt && touch -r stamp data/p/s03.txt",
  );
  assertFresh(await repro(p));
  assert.equal(await p.read("data/p/s03.txt"), "XYZ\n");
  assertNoStampAnswers(p);
  const output = await repro(p);
  assert.match(output, /^ran s03: output s03 → data\/p\/s03\.txt was edited in place/m);
  assert.equal(await p.read("data/p/s03.txt"), "s03\n");
});

Deno.test("closing check: a lock rewritten during the run, its size kept, is seen by the next repro", async () => {
  // The code hash s05's lock records (its first hash) becomes another of the same length; the
  // hashes of its input and output stay as they were.
  await using p = await project(
    'sed -i -e \'0,/"hash": "/{s/"hash": "[1-9a-f]/"hash": "0/;t;s/"hash": "0/"hash": "1/}\' ' +
      ".pivot/stages/p/s05.lock",
  );
  assertFresh(await repro(p));
  assertNoStampAnswers(p);
  // The lock now records other code: the run cache has the outputs for the code there is.
  assert.match(await repro(p), /^restored s05: restored from the run cache \(code changed\)$/m);
});

Deno.test("closing check: an input rewritten right after the run, while it looks at its stages again, is seen by the next repro", async () => {
  // A process the last stage leaves behind rewrites s11's input a moment after the stage ends.
  await using p = await project(
    "(sleep 0.01; printf 'S11\\n' > raw/s11.txt) > /dev/null 2>&1 &",
  );
  assertFresh(await repro(p));
  await waitFor(p, "raw/s11.txt", "S11\n");
  assertNoStampAnswers(p);
  assert.deepEqual(
    sorted(await repro(p)),
    expected([["s11", "inputs changed"], ["last", "inputs changed"]]),
  );
});
