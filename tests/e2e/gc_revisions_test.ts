import assert from "node:assert/strict";
import * as path from "node:path";
import { exists, tempDir } from "../_helpers/files.ts";
import { commitAll, git } from "../_helpers/git.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { nestedProject, type TempProject } from "../_helpers/project.ts";
import { addBlob, blobPath } from "../_helpers/storage.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { EVENTS, historyProject, pivotOk, RAW, step } from "./_fixtures/history.ts";

/** True when the cache of `p` holds the blob of `content`. */
function cached(p: TempProject, content: string): boolean {
  return exists(blobPath(p.path(".pivot/cache"), hashBytes(content)));
}

/** The history project plus a version that no commit records (run, then reverted). */
async function projectWithStray(): Promise<TempProject> {
  const p = await historyProject();
  await step(p, { raw: "id\nstray\n" });
  await git(p.root, "checkout", "-q", "--", ".");
  await pivotOk(p.root, "-q", "checkout", "--force");
  assert.ok(cached(p, "id\nstray\n"));
  return p;
}

Deno.test("pivot gc --all-commits keeps every committed version restorable and removes the rest", async () => {
  await using p = await projectWithStray();
  const report = JSON.parse(await pivotOk(p.root, "gc", "--grace", "0", "--all-commits", "--json"));
  assert.deepEqual(
    [report.removed, report.references, report.revisions],
    [2, 4, { commits: 3, files: 11 }],
    "the stray csv and its copy go; 11 distinct lock and .pvt texts in 3 commits",
  );
  assert.equal(cached(p, "id\nstray\n"), false);
  for (const text of [RAW.first, RAW.second, RAW.third, EVENTS.first, EVENTS.second]) {
    assert.ok(cached(p, text), text);
  }
  // Switching to the oldest commit still works without a remote.
  await git(p.root, "checkout", "-q", "HEAD~2", "--", ".");
  await pivotOk(p.root, "-q", "checkout");
  assert.equal(await p.read("raw.csv"), RAW.first);
  assert.equal(await p.read("data/ml/prep.csv"), RAW.first);
  assert.equal(await p.read("data/ml/parts/head.csv"), "id,name,score\n1,ann,0.5\n");
  assert.equal(await pivotOk(p.root, "status"), "3 up to date\n");

  // A plain gc keeps the workspace's versions only (now HEAD~2's): HEAD's go.
  await pivotOk(p.root, "-q", "gc", "--grace", "0");
  assert.equal(cached(p, RAW.third), false);
  assert.ok(cached(p, RAW.first));
});

Deno.test("pivot gc --rev keeps what those revisions reference, besides the workspace", async () => {
  await using p = await projectWithStray();
  const text = await pivotOk(p.root, "gc", "--grace", "0", "--rev", "HEAD~1", "--dry-run");
  assert.match(
    text,
    /^would remove \d+ blobs \(\d+ B\); kept \d+ blobs referenced by 4 lock and \.pvt files, and by 4 lock and \.pvt files in 1 git commit\n$/,
  );
  assert.ok(cached(p, RAW.first), "a dry run removes nothing");
  await pivotOk(p.root, "-q", "gc", "--grace", "0", "--rev", "HEAD~1", "--rev", "HEAD");
  assert.equal(cached(p, RAW.first), false);
  assert.equal(cached(p, EVENTS.first), false);
  assert.ok(cached(p, RAW.second));
  assert.ok(cached(p, EVENTS.second));
  assert.ok(cached(p, RAW.third));
  const unknown = await runPivotInProcess(p.root, ["gc", "--rev", "nope"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^error: unknown revision 'nope'\n/);
});

Deno.test("pivot gc --all-branches and --all-tags keep the versions at branch tips and tags", async () => {
  await using p = await projectWithStray();
  await git(p.root, "branch", "old", "HEAD~2");
  await git(p.root, "tag", "-a", "v2", "-m", "second", "HEAD~1");
  await pivotOk(p.root, "-q", "gc", "--grace", "0", "--all-branches", "--dry-run");
  const branches = JSON.parse(
    await pivotOk(p.root, "gc", "--grace", "0", "--all-branches", "--json", "-n"),
  );
  assert.deepEqual(branches.revisions, { commits: 2, files: 8 });
  await pivotOk(p.root, "-q", "gc", "--grace", "0", "--all-tags", "--all-branches");
  assert.ok(cached(p, RAW.first), "branch old");
  assert.ok(cached(p, RAW.second), "tag v2");
  assert.equal(cached(p, "id\nstray\n"), false);
  await pivotOk(p.root, "-q", "gc", "--grace", "0", "--all-tags");
  assert.equal(cached(p, RAW.first), false);
  assert.ok(cached(p, RAW.second));
});

Deno.test("pivot gc reads a project in a subdirectory of the repository, and warns about a malformed committed lock", async () => {
  const nested = await nestedProject({ "a.csv": "v1\n" });
  await using _ = nested.outer;
  await git(nested.outer.root, "init", "-q");
  await pivotOk(nested.root, "-q", "track", "a.csv");
  await commitAll(nested.outer.root, "one");
  await Deno.remove(nested.outer.path("proj/a.csv"));
  await nested.outer.write("proj/a.csv", "v2\n");
  await pivotOk(nested.root, "-q", "track", "--force", "a.csv");
  await nested.outer.write("proj/.pivot/stages/ml/x.lock", "schema: 1\nstage: [\n");
  await commitAll(nested.outer.root, "two");
  await Deno.remove(nested.outer.path("proj/.pivot/stages/ml/x.lock"));
  const result = await runPivotInProcess(nested.root, ["gc", "--grace", "0", "--all-commits"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    /^warning: ignoring the malformed lock file \.pivot\/stages\/ml\/x\.lock \(git object [0-9a-f]{10}\) in the history: /,
  );
  assert.equal(
    result.stdout,
    "removed 0 blobs (0 B); kept 2 blobs referenced by 1 lock or .pvt file, and by 3 lock and .pvt files in 2 git commits\n",
  );
  assert.ok(exists(blobPath(path.join(nested.root, ".pivot/cache"), hashBytes("v1\n"))));
});

Deno.test("pivot gc --cloud removes unreferenced blobs from the remote only when confirmed", async () => {
  await using p = await projectWithStray();
  await using remote = await tempDir();
  await pivotOk(p.root, "remote", "add", "store", remote.path, "--default");
  // The remote holds everything the cache holds, and a run-cache entry.
  await new Deno.Command("cp", { args: ["-r", p.path(".pivot/cache/files"), remote.path] })
    .output();
  await Deno.mkdir(path.join(remote.path, "runs/ml/prep"), { recursive: true });
  await Deno.writeTextFile(path.join(remote.path, "runs/ml/prep/0123456789abcdef.json"), "{}");
  const onRemote = (content: string) => exists(blobPath(remote.path, hashBytes(content)));
  const refused = await runPivotInProcess(p.root, ["gc", "--cloud", "--all-commits"]);
  assert.deepEqual(refused, {
    code: 2,
    stdout: "",
    stderr:
      "error: gc --cloud deletes blobs from the remote for good: pass --yes-delete-remote to confirm\n" +
      "hint: run 'pivot gc --cloud --dry-run' first; only what this clone's workspace and the revisions you name reference is kept, so fetch your team's branches and add --all-branches --all-tags (or --all-commits)\n",
  });
  assert.ok(cached(p, "id\nstray\n"), "nothing removed, not even locally");
  const dry = await pivotOk(p.root, "gc", "--grace", "0", "--cloud", "--all-commits", "--dry-run");
  assert.match(
    dry.split("\n")[1]!,
    new RegExp(
      `^would remove 2 blobs \\(\\d+ B\\) from remote 'store' \\(${remote.path}\\); kept \\d+ blobs$`,
    ),
  );
  assert.ok(onRemote("id\nstray\n"));
  // Blobs pushed within the grace period stay: a teammate's push may precede its commit.
  const young = await pivotOk(p.root, "gc", "--cloud", "--all-commits", "--yes-delete-remote");
  assert.match(
    young.split("\n")[1]!,
    new RegExp(
      `^removed 0 blobs \\(0 B\\) from remote 'store' \\(${remote.path}\\); kept \\d+ blobs, and 2 unreferenced blobs pushed in the last 60 minutes \\(--grace 0 removes them\\)$`,
    ),
  );
  assert.ok(onRemote("id\nstray\n"));
  await pivotOk(
    p.root,
    "-q",
    "gc",
    "--grace",
    "0",
    "--cloud",
    "--all-commits",
    "--yes-delete-remote",
  );
  assert.equal(onRemote("id\nstray\n"), false);
  assert.equal(cached(p, "id\nstray\n"), false);
  for (const text of [RAW.first, RAW.second, RAW.third]) assert.ok(onRemote(text), text);
  assert.ok(exists(path.join(remote.path, "runs/ml/prep/0123456789abcdef.json")));
  // Without --all-commits only the workspace's versions stay on the remote.
  await pivotOk(p.root, "-q", "gc", "--grace", "0", "-c", "-r", "store", "--yes-delete-remote");
  assert.equal(onRemote(RAW.first), false);
  assert.ok(onRemote(RAW.third));
  const usage = await runPivotInProcess(p.root, ["gc", "-r", "store"]);
  assert.deepEqual(usage, {
    code: 2,
    stdout: "",
    stderr: "error: -r/--remote and -j/--jobs go with --cloud\n",
  });
  // A blob nothing references is removed by a plain gc as before.
  await addBlob(p.path(".pivot/cache"), "unreferenced");
  await pivotOk(p.root, "-q", "gc", "--grace", "0");
  assert.equal(cached(p, "unreferenced"), false);
});
