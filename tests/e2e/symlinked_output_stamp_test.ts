/**
 * Stamps and directory outputs checked out as symlinks into the cache: a
 * file of such a directory edited through its link changes the blob, not the
 * link, so a stamp must vouch for what each link points to, not only for
 * the link itself; otherwise `status`, `verify` and `repro` are answered
 * "up to date" from the stamp while the full way finds the output modified.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { runFastNoopInProcess, runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject } from "../_helpers/project.ts";
import { CHECKOUT_HINT } from "./_fixtures/engine.ts";

const FILES = {
  ".pivot/config.yaml": "cache:\n  checkout_mode: [symlink]\n",
  "pivot.yaml": "pipeline: ml\nstages:\n  gen:\n" +
    "    cmd: mkdir -p ${outs.d} && echo two > ${outs.d}/two.txt && cat ${deps.r} > ${outs.d}/r.txt\n" +
    "    deps: {r: raw.txt}\n    outs: {d: dir}\n",
  "raw.txt": "a\n",
};

/** Waits out the racy window after a change (a stamp vouches only for files settled before it). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
}

Deno.test("a file of a symlinked directory output edited through its link: no stamp answers up to date", async () => {
  await using p = await makeProject(FILES);
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  const link = p.path("data/ml/gen/d/two.txt");
  assert.equal(Deno.lstatSync(link).isSymlink, true, "checked out as a symlink");
  await settle();
  for (const args of [["status"], ["verify"], ["repro"]]) {
    const slow = await runPivotInProcess(p.root, args);
    assert.equal(slow.code, 0, `${args.join(" ")}: ${slow.stderr}`);
    assert.notEqual(runFastNoopInProcess(p.root, args).code, null, `${args.join(" ")}: stamped`);
  }
  // Root may write a read-only blob: the edit goes through the link into the cache.
  Deno.writeTextFileSync(link, "TWO\n");
  await settle();

  const status = await runPivotInProcess(p.root, ["status"]);
  assert.deepEqual(status, {
    code: 0,
    stdout: "stale gen: output gen:d → data/ml/gen/d/ was modified\n1 stale, 0 up to date\n" +
      CHECKOUT_HINT,
    stderr: "",
  });
  const verify = await runPivotInProcess(p.root, ["verify"]);
  assert.equal(verify.code, 1);
  assert.match(verify.stdout, /^FAILED gen: output gen:d → data\/ml\/gen\/d\/ was modified$/m);
  const repro = runFastNoopInProcess(p.root, ["repro"]);
  assert.deepEqual(repro, { code: null, stdout: "", stderr: "" });
});

Deno.test("an incremental repro after another input changed still looks at a symlinked directory output edited through its link", async () => {
  await using p = await makeProject({
    ...FILES,
    "pivot.yaml": FILES["pivot.yaml"] +
      "  other:\n    cmd: cat ${deps.r} > ${outs}\n    deps: {r: r2.txt}\n    outs: txt\n",
    "r2.txt": "b\n",
  });
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  await settle();
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  assert.notEqual(runFastNoopInProcess(p.root, ["repro"]).code, null, "stamped");
  await p.write("r2.txt", "c\n");
  Deno.writeTextFileSync(p.path("data/ml/gen/d/two.txt"), "TWO\n");
  await settle();

  const repro = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(repro.code, 0, repro.stderr);
  assert.match(repro.stdout, /^ran gen: output gen:d → data\/ml\/gen\/d\/ was modified \(/m);
  assert.match(repro.stdout, /^ran other: inputs changed \(/m);
  assert.equal(await p.read("data/ml/gen/d/two.txt"), "two\n");
});

Deno.test("the stamp a run that ran stages leaves does not answer once a symlinked directory output is edited through its link", async () => {
  await using p = await makeProject(FILES);
  await settle();
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  assert.notEqual(runFastNoopInProcess(p.root, ["repro"]).code, null, "stamped by the run");
  Deno.writeTextFileSync(p.path("data/ml/gen/d/two.txt"), "TWO\n");
  await settle();

  assert.deepEqual(runFastNoopInProcess(p.root, ["repro"]), { code: null, stdout: "", stderr: "" });
  const repro = await runPivotInProcess(p.root, ["repro"]);
  assert.match(repro.stdout, /^ran gen: output gen:d → data\/ml\/gen\/d\/ was modified \(/m);
});
