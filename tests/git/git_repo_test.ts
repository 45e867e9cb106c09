import assert from "node:assert/strict";
import * as path from "node:path";
import { GitRepo } from "../../src/git/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { commitAll, git } from "../_helpers/git.ts";
import { makeProject } from "../_helpers/project.ts";

async function rejects(promise: Promise<unknown>, message: string, hint?: RegExp) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof PivotError, String(error));
    assert.equal(error.message, message);
    if (hint !== undefined) assert.match(error.hint ?? "", hint);
    return true;
  });
}

Deno.test("GitRepo.resolveCommit() accepts what git rev-parse accepts", async () => {
  await using p = await makeProject({ "a.txt": "1\n" }, { init: false });
  await git(p.root, "init", "-q");
  const first = await commitAll(p.root, "first");
  await git(p.root, "tag", "v1");
  await git(p.root, "tag", "-a", "v1-annotated", "-m", "annotated");
  await p.write("a.txt", "2\n");
  const second = await commitAll(p.root, "second");
  await git(p.root, "branch", "old", first);
  const repo = await GitRepo.open(path.join(p.root));
  for (
    const [rev, commit] of [
      ["HEAD", second],
      ["HEAD~1", first],
      ["HEAD^", first],
      ["main", second],
      ["old", first],
      ["v1", first],
      ["v1-annotated", first],
      [first.slice(0, 7), first],
      [second, second],
    ]
  ) {
    assert.equal(await repo.resolveCommit(rev!), commit, rev);
  }
});

Deno.test("GitRepo.resolveCommit() names an unknown revision, an empty repository, an option", async () => {
  await using p = await makeProject({ "a.txt": "1\n" }, { init: false });
  await git(p.root, "init", "-q");
  const repo = await GitRepo.open(p.root);
  await rejects(
    repo.resolveCommit("HEAD"),
    `no commits yet in the git repository ${p.root}`,
    /git commit/,
  );
  await commitAll(p.root, "first");
  await rejects(repo.resolveCommit("HEAD~5"), "unknown revision 'HEAD~5'", /HEAD~1/);
  await rejects(repo.resolveCommit("nosuchbranch"), "unknown revision 'nosuchbranch'");
  await rejects(repo.resolveCommit("--output=x"), "invalid revision '--output=x'");
  await rejects(repo.resolveCommit("HEAD\nHEAD"), "invalid revision 'HEAD\nHEAD'");
});

Deno.test("GitRepo.open() outside a repository says so", async () => {
  await using p = await makeProject({}, { init: false });
  await rejects(GitRepo.open(p.root), `not a git repository: ${p.root}`, /git init/);
});

Deno.test("GitRepo.readFiles() reads many files, bytes intact, as committed", async () => {
  await using p = await makeProject({}, { init: false });
  await git(p.root, "init", "-q");
  const names = Array.from({ length: 300 }, (_, i) => `dir/f${i}.txt`);
  for (const name of names) await p.write(name, `content of ${name}\n`);
  const binary = new Uint8Array([0, 10, 13, 255, 10, 0, 32, 10]);
  await Deno.writeFile(p.path("bin.dat"), binary);
  await p.write("name with spaces.txt", "spaced\n");
  const commit = await commitAll(p.root, "files");
  await p.write("dir/f0.txt", "changed in the workspace\n");
  const repo = await GitRepo.open(p.root);
  const read = await repo.readFiles(commit, [
    ...names,
    "bin.dat",
    "name with spaces.txt",
    "missing.txt",
    "dir",
  ]);
  assert.equal(read.size, names.length + 2);
  const decoder = new TextDecoder();
  for (const name of names) assert.equal(decoder.decode(read.get(name)), `content of ${name}\n`);
  assert.deepEqual([...read.get("bin.dat")!], [...binary]);
  assert.equal(decoder.decode(read.get("name with spaces.txt")), "spaced\n");
  assert.equal(read.has("missing.txt"), false);
  assert.equal(read.has("dir"), false);
});

Deno.test("GitRepo.listFiles() lists regular files below a directory, without symlinks", async () => {
  await using p = await makeProject({
    "proj/a.txt": "a",
    "proj/sub/b.txt": "b",
    "other/c.txt": "c",
  }, { init: false });
  await Deno.symlink("a.txt", p.path("proj/link.txt"));
  await git(p.root, "init", "-q");
  const commit = await commitAll(p.root, "files");
  const repo = await GitRepo.open(p.path("proj/sub"));
  assert.equal(repo.topLevel, p.root);
  assert.deepEqual(await repo.listFiles(commit, "proj/"), [
    { path: "proj/a.txt", mode: "100644" },
    { path: "proj/sub/b.txt", mode: "100644" },
  ]);
  assert.equal((await repo.listFiles(commit)).length, 3);
});

Deno.test("GitRepo lists commits, peels refs, and reads trees and blobs in one batch", async () => {
  await using p = await makeProject({ "a.txt": "1\n", "d/b.txt": "b\n" }, { init: false });
  await git(p.root, "init", "-q");
  const first = await commitAll(p.root, "first");
  await git(p.root, "tag", "-a", "v1", "-m", "annotated");
  await git(p.root, "tag", "blob-tag", await git(p.root, "rev-parse", "HEAD:a.txt"));
  await git(p.root, "branch", "old");
  await p.write("a.txt", "2\n");
  const second = await commitAll(p.root, "second");
  const repo = await GitRepo.open(p.root);
  assert.deepEqual(await repo.allCommits(), [second, first]);
  assert.deepEqual((await repo.refCommits("refs/heads")).sort(), [first, second].sort());
  assert.deepEqual(await repo.refCommits("refs/tags"), [first], "the blob's tag is left out");
  const [root, sub, missing] = await repo.readTrees([`${second}^{tree}`, `${first}:d`, "HEAD:x"]);
  assert.deepEqual(root!.map((entry) => [entry.mode, entry.name]), [["100644", "a.txt"], [
    "40000",
    "d",
  ]]);
  assert.deepEqual(sub!.map((entry) => entry.name), ["b.txt"]);
  assert.equal(missing, null);
  const ids = root!.map((entry) => entry.id);
  const blobs = await repo.readBlobs([ids[0]!, ids[1]!, ids[0]!]);
  assert.deepEqual([...blobs.keys()], [ids[0]], "a tree is not a blob");
  assert.equal(new TextDecoder().decode(blobs.get(ids[0]!)), "2\n");
});
