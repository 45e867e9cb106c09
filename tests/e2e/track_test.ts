import assert from "node:assert/strict";
import { tree } from "../_helpers/files.ts";
import {
  assertFailed,
  makeProject,
  nestedProject,
  pipelineYaml,
  runPivot,
  type TempProject,
  treeWithoutStateDb,
} from "../_helpers/project.ts";
import { git } from "../_helpers/git.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { blobPath, pvtHash } from "../_helpers/storage.ts";

/** The blob of `hash` in the default cache, relative to the project root. */
function blobOf(hash: string): string {
  return blobPath(".pivot/cache", hash);
}

Deno.test("pivot track data.csv, delete it, pivot checkout data.csv restores it", async () => {
  await using p = await makeProject({ "data.csv": "id,score\n1,0.5\n2,0.7\n" });
  const tracked = await runPivotInProcess(p.root, ["track", "data.csv"]);
  assert.equal(tracked.code, 0, tracked.stderr);
  assert.equal(
    tracked.stdout,
    "tracked data.csv (21 B) → data.csv.pvt\nhint: git add data.csv.pvt .gitignore\n",
  );
  assert.equal(tracked.stderr, "");

  const pvt = await p.read("data.csv.pvt");
  const hash = pvtHash(pvt);
  assert.equal(pvt, `path: data.csv\nhash: "${hash}"\nsize: 21\n`);
  assert.equal(await p.read(".gitignore"), "/data.csv\n");

  const blob = p.path(blobOf(hash));
  assert.equal(await Deno.readTextFile(blob), "id,score\n1,0.5\n2,0.7\n");
  const blobInfo = await Deno.stat(blob);
  assert.equal(blobInfo.mode! & 0o777, 0o444);
  // The workspace copy is linked back from the cache (hardlink is the first mode).
  assert.equal((await Deno.stat(p.path("data.csv"))).ino, blobInfo.ino);
  assert.deepEqual(tree(p.path(".pivot/cache/files")), [
    `${hash.slice(0, 2)}/`,
    `${hash.slice(0, 2)}/${hash.slice(2)}`,
  ]);

  await Deno.remove(p.path("data.csv"));
  const restored = await runPivotInProcess(p.root, ["checkout", "data.csv"]);
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(restored.stdout, "restored data.csv\n1 restored\n");
  assert.equal(await p.read("data.csv"), "id,score\n1,0.5\n2,0.7\n");

  await Deno.remove(p.path("data.csv"));
  const byPvt = await runPivotInProcess(p.root, ["checkout", "data.csv.pvt"]);
  assert.equal(byPvt.code, 0, byPvt.stderr);
  assert.equal(byPvt.stdout, "restored data.csv\n1 restored\n");
  assert.equal(await p.read("data.csv"), "id,score\n1,0.5\n2,0.7\n");

  await Deno.remove(p.path("data.csv"));
  const everything = await runPivotInProcess(p.root, ["checkout"]);
  assert.equal(everything.code, 0, everything.stderr);
  assert.equal(everything.stdout, "restored data.csv\n1 restored\n");
  assert.equal(await p.read("data.csv"), "id,score\n1,0.5\n2,0.7\n");
  assert.equal(everything.stderr, "");
});

Deno.test("pivot track DIR records num_files and a manifest, and refuses files inside it", async () => {
  await using p = await makeProject({
    "images/a.txt": "aaa",
    "images/nested/deep/b.txt": "bb",
    "images/nested/c.txt": "c",
  });
  const tracked = await runPivotInProcess(p.root, ["track", "images/"]);
  assert.equal(tracked.code, 0, tracked.stderr);
  assert.equal(
    tracked.stdout,
    "tracked images/ (3 files, 6 B) → images.pvt\nhint: git add images.pvt .gitignore\n",
  );
  const pvt = await p.read("images.pvt");
  const hash = pvtHash(pvt);
  const entries = [
    ...pvt.matchAll(/- relpath: (\S+)\n {4}hash: "([0-9a-f]{16})"\n {4}size: (\d+)/g),
  ]
    .map((m) => ({ relpath: m[1]!, hash: m[2]!, size: Number(m[3]) }));
  assert.match(
    pvt,
    new RegExp(`^path: images\nhash: "${hash}"\nsize: 6\nnum_files: 3\nmanifest:\n`),
  );
  assert.deepEqual(entries.map((e) => [e.relpath, e.size]), [
    ["a.txt", 3],
    ["nested/c.txt", 1],
    ["nested/deep/b.txt", 2],
  ]);
  assert.equal(await p.read(".gitignore"), "/images/\n");
  // Every file of the manifest is a blob holding that file's content.
  for (const entry of entries) {
    assert.equal(
      await p.read(blobOf(entry.hash)),
      await p.read(`images/${entry.relpath}`),
      entry.relpath,
    );
  }

  const inner = await runPivotInProcess(p.root, ["track", "images/nested/c.txt"]);
  assert.equal(inner.code, 1);
  assert.equal(
    inner.stderr,
    "error: cannot track images/nested/c.txt: it is inside the tracked directory images/\n" +
      "hint: update the directory instead: pivot track --force images\n",
  );
  assert.equal(await p.exists("images/nested/c.txt.pvt"), false);
});

Deno.test("pivot track: unchanged content is 'unchanged'; changed content needs --force", async () => {
  await using p = await makeProject({ "data.csv": "v1\n" });
  assert.equal((await runPivotInProcess(p.root, ["track", "data.csv"])).code, 0);
  const firstPvt = await p.read("data.csv.pvt");

  const again = await runPivotInProcess(p.root, ["track", "data.csv"]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, "unchanged data.csv (3 B) → data.csv.pvt\n");
  assert.equal(await p.read("data.csv.pvt"), firstPvt);

  // The workspace copy is a hardlink to the read-only blob: replace it, never edit it.
  await Deno.remove(p.path("data.csv"));
  await p.write("data.csv", "version 2\n");
  // A real process: exit status and output end to end.
  const refused = await runPivot(p.root, ["track", "data.csv"]);
  assertFailed(
    refused,
    "error: data.csv is already tracked and its content has changed\n" +
      "hint: record the new content: pivot track --force data.csv\n",
  );
  assert.equal(await p.read("data.csv.pvt"), firstPvt);

  const forced = await runPivotInProcess(p.root, ["track", "--force", "data.csv"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(
    forced.stdout,
    "updated data.csv (10 B) → data.csv.pvt\nhint: git add data.csv.pvt\n",
  );
  const newHash = pvtHash(await p.read("data.csv.pvt"));
  assert.notEqual(newHash, pvtHash(firstPvt));
  assert.equal(await p.read("data.csv.pvt"), `path: data.csv\nhash: "${newHash}"\nsize: 10\n`);
  assert.equal(await p.read(blobOf(newHash)), "version 2\n");
  // The old version stays in the cache (gc decides about it), and .gitignore is not doubled.
  assert.equal(await p.read(blobOf(pvtHash(firstPvt))), "v1\n");
  assert.equal(await p.read(".gitignore"), "/data.csv\n");
});

/** Writes `proj/pivot.yaml` with stage `train` and that stage's output `train:model`. */
async function writeStageOutput(p: TempProject): Promise<void> {
  await p.write("proj/pivot.yaml", pipelineYaml());
  await p.write("proj/data/ml/train/model.json", "{}\n");
}

/** Refusals: each gets a project with `proj/` as the root and `outside.csv` beside it. */
const REFUSALS: {
  name: string;
  args: string[];
  stderr: string;
  setup?: (p: TempProject) => Promise<void>;
}[] = [
  {
    name: "a path outside the project",
    args: ["../outside.csv"],
    stderr: "error: cannot track ../outside.csv: it is outside the project\n" +
      "hint: track paths below {root}\n",
  },
  {
    name: "a missing path",
    args: ["nope.csv"],
    stderr: "error: cannot track nope.csv: no such file or directory\n",
  },
  {
    name: "a symlink",
    args: ["link.csv"],
    setup: (p) => Deno.symlink("data.csv", p.path("proj/link.csv")),
    stderr: "error: cannot track link.csv: it is a symlink\n" +
      "hint: track the file or directory it points to\n",
  },
  {
    name: "a .pvt file",
    args: ["notes.pvt"],
    setup: (p) => p.write("proj/notes.pvt", "path: notes\n"),
    stderr: "error: cannot track notes.pvt: it is a tracking file itself\n" +
      "hint: track notes instead\n",
  },
  {
    name: "a path inside .pivot",
    args: [".pivot/config.yaml"],
    setup: (p) => p.write("proj/.pivot/config.yaml", "cache:\n  checkout_mode: copy\n"),
    stderr: "error: cannot track .pivot/config.yaml: it is inside pivot's or git's own directory\n",
  },
  {
    name: "a stage output",
    args: ["data/ml/train/model.json"],
    setup: writeStageOutput,
    stderr:
      "error: cannot track data/ml/train/model.json: it is the stage output train:model → data/ml/train/model.json\n" +
      "hint: stage outputs are cached by 'pivot repro'; refer to it as 'train:model'\n",
  },
  {
    name: "a directory holding a stage output",
    args: ["data"],
    setup: writeStageOutput,
    stderr:
      "error: cannot track data: it holds the stage output train:model → data/ml/train/model.json\n" +
      "hint: stage outputs are cached by 'pivot repro'; refer to it as 'train:model'\n",
  },
  {
    name: "a file and the directory holding it, in one call",
    args: ["d/a.bin", "d"],
    setup: (p) => p.write("proj/d/a.bin", "a\n"),
    stderr: "error: cannot track d/a.bin: it is inside d/, which this command also tracks\n" +
      "hint: track one or the other: 'pivot track d' (which holds d/a.bin) or 'pivot track d/a.bin'\n",
  },
  {
    name: "a directory and a file inside it, in one call",
    args: ["d", "d/sub/a.bin"],
    setup: (p) => p.write("proj/d/sub/a.bin", "a\n"),
    stderr: "error: cannot track d/sub/a.bin: it is inside d/, which this command also tracks\n" +
      "hint: track one or the other: 'pivot track d' (which holds d/sub/a.bin) or 'pivot track d/sub/a.bin'\n",
  },
  {
    name: "any bad path among good ones (all are checked before anything is written)",
    args: ["data.csv", "nope.csv"],
    stderr: "error: cannot track nope.csv: no such file or directory\n",
  },
];

for (const refusal of REFUSALS) {
  Deno.test(`pivot track refuses ${refusal.name} and writes nothing`, async () => {
    const { outer: p, root } = await nestedProject(
      { "data.csv": "a,b\n1,2\n" },
      { "outside.csv": "not in the project\n" },
    );
    await using _ = p;
    await refusal.setup?.(p);
    const before = tree(p.root);

    const result = await runPivotInProcess(root, ["track", ...refusal.args]);
    assertFailed(result, refusal.stderr.replace("{root}", root));
    // No .pvt, no cache, no .gitignore; only the state dir's own files (state.db) may be new.
    assert.deepEqual(treeWithoutStateDb(p.root), before);
  });
}

Deno.test({
  name: "pivot track --force replaces a malformed .pvt, as its error hint suggests",
  fn: async () => {
    await using p = await makeProject({
      "data.csv": "a,b\n",
      "data.csv.pvt": 'path: data.csv\nhash: "not-a-hash"\nsize: 4\n',
    });
    const checkout = await runPivotInProcess(p.root, ["checkout", "data.csv"]);
    assert.equal(checkout.code, 1);
    assert.match(checkout.stderr, /pivot track --force/);
    const forced = await runPivotInProcess(p.root, ["track", "--force", "data.csv"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^(tracked|updated) data\.csv \(4 B\) → data\.csv\.pvt$/m);
    assert.match(await p.read("data.csv.pvt"), /^hash: "[0-9a-f]{16}"$/m);
  },
});

Deno.test({
  name: "pivot track refuses the cache directory when cache.dir lies inside the project",
  fn: async () => {
    await using p = await makeProject({
      ".pivot/config.yaml": "cache:\n  dir: blobs\n",
      "data.csv": "a,b\n",
    });
    assert.equal((await runPivotInProcess(p.root, ["track", "data.csv"])).code, 0);
    const result = await runPivotInProcess(p.root, ["track", "blobs"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: cannot track blobs: /m);
    assert.equal(await p.exists("blobs.pvt"), false);
  },
});

Deno.test("pivot track hints quote a path that needs quoting", async (t) => {
  await using p = await makeProject({ "my data.csv": "v1\n", "my images/a.txt": "a\n" });
  assert.equal((await runPivotInProcess(p.root, ["track", "my data.csv", "my images"])).code, 0);

  await t.step("changed content", async () => {
    await Deno.remove(p.path("my data.csv"));
    await p.write("my data.csv", "v2\n");
    assertFailed(
      await runPivotInProcess(p.root, ["track", "my data.csv"]),
      "error: my data.csv is already tracked and its content has changed\n" +
        "hint: record the new content: pivot track --force 'my data.csv'\n",
    );
  });

  await t.step("a path inside a tracked directory", async () => {
    assertFailed(
      await runPivotInProcess(p.root, ["track", "my images/a.txt"]),
      "error: cannot track my images/a.txt: it is inside the tracked directory my images/\n" +
        "hint: update the directory instead: pivot track --force 'my images'\n",
    );
  });

  await t.step("a malformed tracking file", async () => {
    await p.write("it's.csv", "x\n");
    await p.write("it's.csv.pvt", "path: it's.csv\nhash: nope\nsize: 2\n");
    const result = await runPivotInProcess(p.root, ["checkout", "it's.csv"]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /\nhint: restore it from git \(git checkout -- 'it'"'"'s\.csv\.pvt'\) or record the data again \(pivot track --force 'it'"'"'s\.csv'\)\n$/,
    );
  });
});

Deno.test("pivot track warns about data git already holds and hints 'git rm --cached'", async () => {
  await using p = await makeProject({ "data/raw.csv": "a,b\n", "data/d/x.txt": "x\n" });
  await git(p.root, "init", "-q");
  await git(p.root, "add", "data/raw.csv", "data/d/x.txt");
  assert.deepEqual(await runPivotInProcess(p.root, ["track", "data/raw.csv", "data/d"]), {
    code: 0,
    stdout: "tracked data/raw.csv (4 B) → data/raw.csv.pvt\n" +
      "tracked data/d/ (1 file, 2 B) → data/d.pvt\n" +
      "hint: git rm -r --cached data/raw.csv data/d && git add data/raw.csv.pvt data/.gitignore data/d.pvt\n",
    stderr:
      "warning: data/raw.csv is in git too: take it out of git's index, the cache holds it now\n" +
      "warning: data/d is in git too: take it out of git's index, the cache holds it now\n",
  });
  // The hint works as given.
  await git(p.root, "rm", "-q", "-r", "--cached", "data/raw.csv", "data/d");
  await git(p.root, "add", "data/raw.csv.pvt", "data/.gitignore", "data/d.pvt");
  assert.equal(
    await git(p.root, "ls-files"),
    "data/.gitignore\ndata/d.pvt\ndata/raw.csv.pvt",
  );
  // Untracked by git: no warning.
  await p.write("other.csv", "c\n");
  assert.deepEqual(await runPivotInProcess(p.root, ["track", "other.csv"]), {
    code: 0,
    stdout: "tracked other.csv (2 B) → other.csv.pvt\nhint: git add other.csv.pvt .gitignore\n",
    stderr: "",
  });
});

Deno.test("pivot track through a symlinked directory inside the project hints git the real paths", async () => {
  await using p = await makeProject({ "real/f.txt": "x\n", "sub/g.txt": "y\n" });
  await git(p.root, "init", "-q");
  await Deno.symlink("real", p.path("inlink"));
  assert.deepEqual(await runPivotInProcess(p.root, ["track", "inlink/f.txt"]), {
    code: 0,
    stdout:
      "tracked inlink/f.txt (2 B) → inlink/f.txt.pvt\nhint: git add real/f.txt.pvt real/.gitignore\n",
    stderr: "",
  });
  // From a subdirectory, the paths are relative to it, as git takes them there.
  assert.deepEqual(await runPivotInProcess(p.path("sub"), ["track", "g.txt"]), {
    code: 0,
    stdout: "tracked sub/g.txt (2 B) → sub/g.txt.pvt\nhint: git add g.txt.pvt .gitignore\n",
    stderr: "",
  });
  await git(p.root, "add", "real/f.txt.pvt", "real/.gitignore");
  await git(p.path("sub"), "add", "g.txt.pvt", ".gitignore");
});
