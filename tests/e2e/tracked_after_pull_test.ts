/**
 * A tracked input whose `.pvt` moved ahead (a `git pull` of a teammate's
 * `pivot track --force`) or that a fresh clone lacks: with a remote
 * configured, `status` and `repro` point to `pivot pull`, not to recording
 * the stale copy with `track --force` (which would undo the teammate's change).
 *
 * @module
 */
import assert from "node:assert/strict";
import { tempDir } from "../_helpers/files.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";

const YAML = "pipeline: ml\nstages:\n  prep:\n    cmd: sort ${deps.raw} > ${outs}\n" +
  "    deps: {raw: raw.csv}\n    outs: csv\n";

/** Runs pivot in `p`, asserting the exit status; returns what it printed. */
async function pivot(p: TempProject, code: number, ...args: string[]) {
  const result = await runPivotInProcess(p.root, args);
  assert.equal(result.code, code, `pivot ${args.join(" ")}: ${result.stderr}`);
  return result;
}

/** A clone of `from`'s committed files (pipeline, `.pvt`, config), as `git clone` gives. */
async function cloneOf(from: TempProject): Promise<TempProject> {
  return await makeProject({
    "pivot.yaml": YAML,
    "raw.csv.pvt": await from.read("raw.csv.pvt"),
    ".pivot/config.yaml": await from.read(".pivot/config.yaml"),
  });
}

Deno.test("after a git pull of a newer .pvt, status and repro say 'pivot pull', which fixes it", async () => {
  await using remote = await tempDir();
  await using mine = await makeProject({ "pivot.yaml": YAML, "raw.csv": "b\na\n" });
  await pivot(mine, 0, "remote", "add", "origin", remote.path, "--default");
  await pivot(mine, 0, "track", "raw.csv");
  await pivot(mine, 0, "repro");
  await pivot(mine, 0, "push");
  await using theirs = await cloneOf(mine);
  await pivot(theirs, 0, "pull");
  // The teammate records new data and pushes it; this clone gets the .pvt from git.
  await Deno.remove(theirs.path("raw.csv"));
  await theirs.write("raw.csv", "c\nb\na\n");
  await pivot(theirs, 0, "track", "--force", "raw.csv");
  await pivot(theirs, 0, "push");
  await mine.write("raw.csv.pvt", await theirs.read("raw.csv.pvt"));

  const status = await pivot(mine, 0, "status");
  assert.equal(
    status.stdout,
    "cannot run prep: tracked input does not match its .pvt file: raw.csv (modified)\n" +
      "1 stale, 0 up to date\n" +
      "tracked raw.csv: modified, and the cache does not hold its recorded content; " +
      "`pivot pull raw.csv` fetches it (the newer version after a `git pull`), " +
      "`pivot track --force raw.csv` records the workspace's content\n",
  );
  assert.equal(status.stderr, "");
  const repro = await pivot(mine, 1, "repro");
  assert.equal(
    repro.stderr,
    "error: tracked input does not match its .pvt file, so nothing was run:\n" +
      "  raw.csv (read by prep): modified, and the cache does not hold its recorded content\n" +
      "hint: `pivot pull raw.csv` fetches what the .pvt file records (the newer version after a " +
      "`git pull`), or `pivot track --force raw.csv` records the workspace's content instead\n",
  );
  await pivot(mine, 0, "pull", "raw.csv");
  assert.equal(await mine.read("raw.csv"), "c\nb\na\n");
  await pivot(mine, 0, "repro");
  assert.equal(await mine.read("data/ml/prep.csv"), "a\nb\nc\n");
});

Deno.test("a fresh clone's repro says to pull a tracked input the remote holds", async () => {
  await using remote = await tempDir();
  await using mine = await makeProject({ "pivot.yaml": YAML, "raw.csv": "b\na\n" });
  await pivot(mine, 0, "remote", "add", "origin", remote.path, "--default");
  await pivot(mine, 0, "track", "raw.csv");
  await pivot(mine, 0, "push");
  await using clone = await cloneOf(mine);
  const repro = await pivot(clone, 1, "repro");
  assert.equal(
    repro.stderr,
    "error: tracked input does not match its .pvt file, so nothing was run:\n" +
      "  raw.csv (read by prep): missing, and the cache does not hold its recorded content\n" +
      "hint: fetch with `pivot pull raw.csv`, or run `pivot repro --pull`\n",
  );
  await pivot(clone, 0, "repro", "--pull");
  assert.equal(await clone.read("data/ml/prep.csv"), "a\nb\n");
});
