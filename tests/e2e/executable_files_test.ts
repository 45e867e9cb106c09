/**
 * Executable files in directory outputs and tracked directories keep their
 * executable bit in every checkout mode, and so stay up to date: a link
 * would share the blob's read-only, non-executable mode (and the manifest
 * records `isexec`), so executables are placed as copies.
 */
import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject } from "../_helpers/project.ts";

const PIPELINE = [
  "pipeline: p",
  "stages:",
  "  build:",
  "    cmd: >-",
  "      mkdir -p ${outs.bin} &&",
  "      printf '#!/bin/sh\\necho hi\\n' > ${outs.bin}/run.sh && chmod +x ${outs.bin}/run.sh &&",
  "      echo data > ${outs.bin}/data.txt",
  "    outs:",
  "      bin: dir",
  "",
].join("\n");

const BIN = "data/p/build/bin";

/** The permission bits of `file`. */
function modeOf(file: string): number {
  return (Deno.statSync(file).mode ?? 0) & 0o777;
}

/** Whether `file` is a symlink or shares its inode with another name. */
function isLink(file: string): boolean {
  const info = Deno.lstatSync(file);
  return info.isSymlink || (info.nlink ?? 1) > 1;
}

for (const mode of ["hardlink", "symlink", "copy"]) {
  Deno.test(`${mode} mode: an executable in a directory output stays executable and up to date`, async () => {
    await using p = await makeProject({
      "pivot.yaml": PIPELINE,
      ".pivot/config.yaml": `cache:\n  checkout_mode: ${mode}\n`,
    });
    const run = (args: string[]) => runPivotInProcess(p.root, args);
    const repro = await run(["repro"]);
    assert.equal(repro.code, 0, repro.stderr);
    const script = p.path(`${BIN}/run.sh`);
    assert.equal(modeOf(script), 0o755);
    assert.equal(isLink(script), false, "an executable is a copy");
    if (mode !== "copy") assert.equal(isLink(p.path(`${BIN}/data.txt`)), true);
    const status = await run(["status"]);
    assert.equal(status.stdout, "1 up to date\n", status.stderr);
    assert.equal((await run(["verify"])).code, 0);

    await Deno.remove(p.path("data"), { recursive: true });
    const checkout = await run(["checkout"]);
    assert.equal(checkout.code, 0, checkout.stderr);
    assert.equal(modeOf(script), 0o755);
    assert.equal((await new Deno.Command(script).output()).success, true);
    assert.equal((await run(["status"])).stdout, "1 up to date\n");

    // --relink finds the copy placed as it should be and keeps it executable.
    const relink = await run(["checkout", "--relink"]);
    assert.equal(relink.code, 0, relink.stderr);
    assert.equal(modeOf(script), 0o755);
    assert.equal((await run(["status"])).stdout, "1 up to date\n");
  });
}

Deno.test("a tracked directory holding an executable stays executable and up to date", async () => {
  await using p = await makeProject({
    "tools/run.sh": "#!/bin/sh\necho hi\n",
    "tools/a.txt": "a\n",
  });
  Deno.chmodSync(p.path("tools/run.sh"), 0o755);
  const track = await runPivotInProcess(p.root, ["track", "tools"]);
  assert.equal(track.code, 0, track.stderr);
  assert.equal(modeOf(p.path("tools/run.sh")), 0o755);
  assert.equal(isLink(p.path("tools/a.txt")), true);
  const status = await runPivotInProcess(p.root, ["status"]);
  assert.doesNotMatch(status.stdout, /modified/, status.stdout);
  assert.equal((await runPivotInProcess(p.root, ["verify"])).code, 0);
});
