/**
 * The disposable claim of a stage's `.running` sentinel: claimed, waited for
 * while another live process holds it, released on dispose. "Another
 * process" is a real `sleep 30` child whose PID is written into the sentinel
 * as `running_sentinel.ts` writes it (`<pid>\n`).
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { releaseSentinel, takeSentinel } from "../../src/engine/running_sentinel.ts";
import { SentinelTemplates } from "../../src/engine/sentinel_templates.ts";
import { claimStage } from "../../src/engine/stage_claim.ts";
import { exists, names, tempDir } from "../_helpers/files.ts";
import { deadPid, liveProcess } from "../_helpers/processes.ts";

/** Resolves once `predicate()` holds (polling), failing after `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A sentinel path in `dir`, and the lines a claim said about it. */
function claimFor(dir: string, signal?: AbortSignal) {
  const lines: string[] = [];
  const sentinel = path.join(dir, "stages", "ml", "train.running");
  return {
    lines,
    sentinel,
    options: { name: "train", sentinel, onLine: (line: string) => lines.push(line), signal },
  };
}

Deno.test("claimStage() claims a free stage: the sentinel holds our PID until the claim is disposed of", async () => {
  await using dir = await tempDir();
  const { lines, sentinel, options } = claimFor(dir.path);
  const result = await claimStage(options);
  assert.equal(result.busy, undefined);
  const claim = result.claim!;
  assert.equal(claim.waited, false);
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\n`);
  await claim[Symbol.asyncDispose]();
  assert.equal(exists(sentinel), false);
  assert.deepEqual(names(path.dirname(sentinel)), []);
  assert.deepEqual(lines, []);
});

Deno.test("claimStage() with templates notes a command group in a sentinel of its own; the template's others keep theirs", async () => {
  await using dir = await tempDir();
  const { sentinel, options } = claimFor(dir.path);
  using templates = new SentinelTemplates();
  const other = path.join(path.dirname(sentinel), "eval.running");
  assert.deepEqual(takeSentinel(other, templates), { created: true });
  await using claim = (await claimStage({ ...options, templates })).claim!;
  assert.equal(Deno.statSync(sentinel).nlink, 3, "the template and two sentinels: one file");
  claim.recordGroup(12345);
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\ngroup 12345 ${Deno.pid}\n`);
  assert.equal(Deno.statSync(sentinel).nlink, 1);
  // The other sentinel (and the template) did not get the line.
  assert.equal(await Deno.readTextFile(other), `${Deno.pid}\n`);
  assert.equal(Deno.statSync(other).nlink, 2);
  releaseSentinel(other);
});

Deno.test("claimStage() with `await using` releases the stage at the end of the block", async () => {
  await using dir = await tempDir();
  const { sentinel, options } = claimFor(dir.path);
  {
    const result = await claimStage(options);
    await using claim = result.claim!;
    assert.equal(claim.waited, false);
    assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\n`);
  }
  assert.equal(exists(sentinel), false);
  // Free again: claimed at once.
  {
    await using claim = (await claimStage(options)).claim!;
    assert.equal(claim.waited, false);
    assert.equal(exists(sentinel), true);
  }
  assert.equal(exists(sentinel), false);
});

Deno.test("claimStage() waits while another live process holds the stage, says so once, then claims it", async () => {
  await using dir = await tempDir();
  await using other = liveProcess();
  const { lines, sentinel, options } = claimFor(dir.path);
  await Deno.mkdir(path.dirname(sentinel), { recursive: true });
  await Deno.writeTextFile(sentinel, `${other.pid}\n`);
  let settled = false;
  const pending = claimStage(options).finally(() => (settled = true));
  // Several polls (every 100 ms) go by: still waiting, and the line is said once.
  await new Promise((resolve) => setTimeout(resolve, 350));
  assert.equal(settled, false);
  assert.deepEqual(lines, [
    `waiting: 'train' is running in another pivot process (PID ${other.pid})`,
  ]);
  assert.equal(await Deno.readTextFile(sentinel), `${other.pid}\n`, "its sentinel is untouched");
  // The other process releases the stage.
  await Deno.remove(sentinel);
  const result = await pending;
  await using claim = result.claim!;
  assert.equal(claim.waited, true);
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\n`);
  assert.equal(lines.length, 1);
});

Deno.test("claimStage() stops waiting when aborted and names the process still holding the stage", async () => {
  await using dir = await tempDir();
  await using other = liveProcess();
  const controller = new AbortController();
  const { lines, sentinel, options } = claimFor(dir.path, controller.signal);
  await Deno.mkdir(path.dirname(sentinel), { recursive: true });
  await Deno.writeTextFile(sentinel, `${other.pid}\n`);
  const pending = claimStage(options);
  await until(() => lines.length === 1);
  controller.abort();
  const result = await pending;
  assert.deepEqual(result, { busy: other.pid });
  assert.equal(await Deno.readTextFile(sentinel), `${other.pid}\n`, "the holder's sentinel stays");
  assert.deepEqual(lines, [
    `waiting: 'train' is running in another pivot process (PID ${other.pid})`,
  ]);
});

Deno.test("claimStage() takes over a stale sentinel (its process is gone) without waiting", async () => {
  await using dir = await tempDir();
  const { lines, sentinel, options } = claimFor(dir.path);
  await Deno.mkdir(path.dirname(sentinel), { recursive: true });
  const dead = await deadPid();
  await Deno.writeTextFile(sentinel, `${dead}\n`);
  const result = await claimStage(options);
  {
    await using claim = result.claim!;
    assert.equal(claim.waited, false);
    assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\nkilled ${dead}\n`);
  }
  // No "waiting" line: a wait always starts by saying so.
  assert.deepEqual(lines, []);
  assert.equal(exists(sentinel), false);
});

Deno.test("recordGroup() appends the group line only while this process holds the stage", async () => {
  await using dir = await tempDir();
  await using other = liveProcess();
  const { sentinel, options } = claimFor(dir.path);
  const claim = (await claimStage(options)).claim!;
  claim.recordGroup(4250);
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\ngroup 4250 ${Deno.pid}\n`);
  await claim[Symbol.asyncDispose]();
  assert.equal(exists(sentinel), false);
  // Released: nothing is written (no sentinel is created).
  claim.recordGroup(4251);
  assert.equal(exists(sentinel), false);
  // Another process holds the stage now: its sentinel is neither appended to nor removed.
  await Deno.writeTextFile(sentinel, `${other.pid}\n`);
  claim.recordGroup(4252);
  await claim[Symbol.asyncDispose]();
  assert.equal(await Deno.readTextFile(sentinel), `${other.pid}\n`);
});
