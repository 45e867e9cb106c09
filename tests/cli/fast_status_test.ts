/**
 * The status fast path (`src/cli/fast_status.ts`): which command lines it
 * reads, and that right after a run it answers `status` from the run's
 * no-op stamp (before the pipeline loads), leaving a report stamp, only
 * while that stamp holds and no `.pvt` file asks for a comparison.
 *
 * @module
 */
import assert from "node:assert/strict";
import { isFastStatusLine, runFastStatus } from "../../src/cli/fast_status.ts";
import { hashBytes, serializePvt } from "../../src/storage/mod.ts";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { runFastNoopInProcess, runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject } from "../_helpers/project.ts";

/** `runFastStatus(args)` in `cwd`: its exit status (`null`: not answered) and what it printed. */
function fastStatus(cwd: string, args: readonly string[]) {
  let stdout = "";
  let stderr = "";
  const code = runFastStatus(args, {
    cwd,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: (name) => name === "NO_COLOR" ? "1" : Deno.env.get(name),
    isTerminal: () => false,
  });
  return { code, stdout, stderr };
}

Deno.test("isFastStatusLine: status without targets, with display options only", () => {
  for (
    const args of [["status"], ["-q", "status"], ["status", "-v", "--json"], ["status", "--json"]]
  ) {
    assert.ok(isFastStatusLine(args), args.join(" "));
  }
  assert.ok(isFastStatusLine(["--verbose", "status", "-a", "-e", "--explain", "--all"]));
  const declined = [
    [],
    ["repro"],
    ["status", "train"],
    ["status", "-r"],
    ["status", "--remote", "origin"],
    ["status", "--help"],
    ["status", "-qa"],
    ["status", "--"],
    ["verify"],
    ["list", "status"],
    // The full way refuses -q with -v.
    ["status", "-q", "-v"],
    ["--quiet", "status", "--verbose"],
  ];
  for (const args of declined) assert.ok(!isFastStatusLine(args), args.join(" "));
});

Deno.test("runFastStatus answers status right after a run, and nothing once the stamp no longer holds", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  prep:\n    cmd: cp ${deps.raw} ${outs}\n" +
      "    deps: {raw: raw.csv}\n    outs: csv\n",
    "raw.csv": "a,b\n1,2\n",
    "notes/readme.txt": "notes\n",
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
  assert.equal(fastStatus(p.root, ["status"]).code, null, "no run yet");
  await settle();
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  assert.deepEqual(fastStatus(p.root, ["status"]), {
    code: 0,
    stdout: "1 up to date\n",
    stderr: "",
  });
  assert.deepEqual(fastStatus(p.root, ["-v", "status", "-e"]), {
    code: 0,
    stdout: "up to date prep\n1 up to date\n",
    stderr: "",
  });
  assert.deepEqual(fastStatus(p.root, ["status", "-q"]), { code: 0, stdout: "", stderr: "" });
  // -q with -v is refused right after a run as at any other time.
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(await runPivotInProcess(p.root, ["-q", "-v", "status"]), {
      code: 2,
      stdout: "",
      stderr: "error: -q/--quiet and -v/--verbose cannot be used together\n",
    });
  }
  // It left the report stamp the full way leaves: the next `status` is answered from that.
  assert.deepEqual(runFastNoopInProcess(p.root, ["status"]), {
    code: 0,
    stdout: "1 up to date\n",
    stderr: "",
  });
  assert.equal(fastStatus(p.root, ["status", "-a"]).code, null, "no stamp of repro -a");
  assert.equal(fastStatus(p.root, ["status", "prep"]).code, null, "a target");
  // A .pvt file in a directory no stage reads: neither the report stamp nor the fast path
  // answers (the full way compares it).
  await p.write(
    "notes/readme.txt.pvt",
    serializePvt({ path: "readme.txt", info: { hash: hashBytes("notes\n") }, size: 6 }),
  );
  await settle();
  assert.equal(runFastNoopInProcess(p.root, ["status"]).code, null, "a .pvt file added");
  assert.equal(fastStatus(p.root, ["status"]).code, null, "a .pvt file added");
  await Deno.remove(p.path("notes/readme.txt.pvt"));
  await settle();
  assert.deepEqual(fastStatus(p.root, ["status"]).stdout, "1 up to date\n");
  await p.write("raw.csv", "a,b\n3,4\n");
  assert.equal(fastStatus(p.root, ["status"]).code, null, "an input changed");
  assert.equal(runFastNoopInProcess(p.root, ["status"]).code, null, "its report stamp too");
});
