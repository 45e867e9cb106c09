/**
 * Report stamps end to end: `status`, `verify`, `list` and `dag` run the full
 * way leave a stamp of what they printed, the next same command line is
 * answered from it with the very same output and exit status, and any change
 * to what they read (an input, a new `.pvt` file anywhere in the project, a
 * blob brought into the cache) sends the command the full way again.
 *
 * @module
 */
import assert from "node:assert/strict";
import { hashBytes, serializePvt } from "../../src/storage/mod.ts";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { runFastNoopInProcess, runPivotInProcess } from "../_helpers/in_process.ts";
import { type CliResult, makeProject, type TempProject } from "../_helpers/project.ts";

const FILES = {
  "pivot.yaml": "pipeline: ml\nstages:\n  prep:\n    cmd: cp ${deps.raw} ${outs}\n" +
    "    deps: {raw: raw.csv}\n    outs: csv\n" +
    "  train:\n    cmd: cat ${deps.data} > ${outs.model}\n    deps: {data: prep}\n" +
    "    outs: {model: txt}\n    params: {lr: 0.1}\n",
  "raw.csv": "a,b\n1,2\n",
  "notes/readme.txt": "notes\n",
};

/** Every report command line checked. */
const COMMANDS: readonly (readonly string[])[] = [
  ["status"],
  ["status", "--json"],
  ["status", "-e"],
  ["-v", "status"],
  ["status", "-q"],
  ["status", "train"],
  ["verify"],
  ["verify", "--json"],
  ["list"],
  ["list", "--json"],
  ["dag"],
  ["dag", "--dot"],
  ["dag", "train", "--stages"],
];

/** Waits out the racy window after a change (a stamp vouches only for files settled before it). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
}

/** Runs `args` the full way first (when no stamp answers), then asserts the stamp answers alike. */
async function slowThenFast(p: TempProject, args: readonly string[]): Promise<CliResult> {
  const answered = runFastNoopInProcess(p.root, args);
  assert.equal(answered.code, null, `${args.join(" ")}: no stamp yet`);
  const slow = await runPivotInProcess(p.root, args);
  const fast = runFastNoopInProcess(p.root, args);
  assert.notEqual(fast.code, null, `${args.join(" ")}: answered from the stamp`);
  assert.deepEqual(fast, slow, args.join(" "));
  return slow;
}

Deno.test("report commands print the same from their stamp as the full way, and go the full way after a change", async (t) => {
  await using p = await makeProject(FILES);
  const fresh = await runPivotInProcess(p.root, ["repro"]);
  assert.deepEqual([fresh.code, fresh.stderr], [0, ""]);

  await t.step("an up-to-date project: every command line, text and JSON", async () => {
    for (const args of COMMANDS) {
      const slow = await slowThenFast(p, args);
      assert.equal(slow.code, 0, `${args.join(" ")}: ${slow.stderr}`);
    }
    const status = await runPivotInProcess(p.root, ["status"]);
    assert.deepEqual(status, { code: 0, stdout: "2 up to date\n", stderr: "" });
  });

  await t.step("an input edited: the full way, then the stamp of the stale state", async () => {
    await p.write("raw.csv", "a,b\n3,4\n");
    await settle();
    for (const args of COMMANDS) {
      if (args.includes("list") || args.includes("dag")) continue;
      await slowThenFast(p, args);
    }
    const status = runFastNoopInProcess(p.root, ["status"]);
    assert.deepEqual(status, {
      code: 0,
      stdout:
        "stale prep: inputs changed\nstale train: upstream 'prep' is stale\n2 stale, 0 up to date\n",
      stderr: "",
    });
    // `status -q` exits 1 when something is stale, from the stamp too.
    const quiet = await slowThenFast(p, ["-q", "status"]);
    assert.deepEqual(quiet, { code: 1, stdout: "", stderr: "" });
  });

  await t.step("a .pvt file added in a directory no stage reads: the full way", async () => {
    await p.write(
      "notes/readme.txt.pvt",
      serializePvt({ path: "readme.txt", info: { hash: hashBytes("other\n") }, size: 6 }),
    );
    assert.deepEqual(runFastNoopInProcess(p.root, ["status"]), {
      code: null,
      stdout: "",
      stderr: "",
    });
    await settle();
    const status = await runPivotInProcess(p.root, ["status"]);
    assert.match(status.stdout, /^tracked notes\/readme\.txt: /m);
    assert.deepEqual(runFastNoopInProcess(p.root, ["status"]), status);
  });
});

Deno.test("a report stamp that found a blob missing does not answer once the blob is back", async () => {
  await using p = await makeProject(FILES);
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  const content = await p.read("data/ml/prep.csv");
  const hash = hashBytes(content);
  const blob = `.pivot/cache/files/${hash.slice(0, 2)}/${hash.slice(2)}`;
  await Deno.remove(p.path("data/ml/prep.csv"));
  await Deno.remove(p.path(blob));
  await settle();
  const lost = await slowThenFast(p, ["status"]);
  assert.match(lost.stdout, /^stale prep: outputs missing from cache$/m);
  // The blob comes back (a pull, another clone's push): the stamp no longer holds.
  await p.write(blob, content);
  assert.deepEqual(runFastNoopInProcess(p.root, ["status"]), {
    code: null,
    stdout: "",
    stderr: "",
  });
  const restorable = await runPivotInProcess(p.root, ["status"]);
  assert.notEqual(restorable.stdout, lost.stdout);
});

Deno.test("report command lines that ask a remote are never answered from a stamp", async () => {
  await using p = await makeProject(FILES);
  const remote = await Deno.makeTempDir({ prefix: "pivot_test_remote_" });
  try {
    assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
    assert.equal((await runPivotInProcess(p.root, ["remote", "add", "origin", remote])).code, 0);
    await settle();
    const lines = [
      ["status", "-r"],
      ["status", "-r", "--no-index"],
      ["verify", "--allow-missing", "--no-index"],
      ["status", "--help"],
    ];
    for (const args of lines) {
      await runPivotInProcess(p.root, args);
      assert.equal(runFastNoopInProcess(p.root, args).code, null, args.join(" "));
    }
    const before = await runPivotInProcess(p.root, ["status", "-r", "--no-index"]);
    assert.match(before.stdout, /0 in sync, 2 only local/);
    assert.equal((await runPivotInProcess(p.root, ["push"])).code, 0);
    await settle();
    const after = await runPivotInProcess(p.root, ["status", "-r", "--no-index"]);
    assert.match(after.stdout, /: 2 in sync\n/);
  } finally {
    await Deno.remove(remote, { recursive: true });
  }
});
