/**
 * `trackPaths` and `trackedStatus` in-process.
 *
 * @module
 */
import assert from "node:assert/strict";
import { trackedStatus, trackPaths } from "../../src/ops/mod.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { CMD_FILES, sessionOf } from "./_session.ts";

const FILES: Record<string, string> = {
  ...CMD_FILES,
  "data.csv": "x\n1\n",
  "images/cat.txt": "cat\n",
  "images/sub/dog.txt": "dog\n",
};

/** `trackPaths` in a fresh session. */
async function track(p: TempProject, paths: readonly string[], force = false) {
  const warnings: string[] = [];
  await using session = await sessionOf(p, warnings);
  const results = await trackPaths(session, paths, { force });
  assert.deepEqual(warnings, []);
  return results;
}

/** `trackedStatus` of every tracked path in a fresh session, and the warnings. */
async function tracked(p: TempProject) {
  const warnings: string[] = [];
  await using session = await sessionOf(p, warnings);
  return { states: await trackedStatus(session), warnings };
}

/** Asserts that `promise` rejects with a PivotError saying `message` (and `hint`). */
async function assertRefused(
  promise: Promise<unknown>,
  message: string,
  hint?: string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PivotError, String(error));
    assert.equal(error.message, message);
    assert.equal(error.hint, hint);
    return true;
  });
}

Deno.test("trackPaths() caches files and directories, writes their .pvt and ignores them in git", async () => {
  await using p = await makeProject(FILES);
  const results = await track(p, ["data.csv", "images/"]);
  assert.deepEqual(results.map(({ hash: _, ...rest }) => rest), [
    {
      path: "data.csv",
      pvt: "data.csv.pvt",
      status: "tracked",
      size: 4,
      files: 1,
      gitignore: ".gitignore",
      gitPath: "data.csv",
      gitAdd: ["data.csv.pvt", ".gitignore"],
      inGit: false,
    },
    {
      path: "images/",
      pvt: "images.pvt",
      status: "tracked",
      size: 8,
      files: 2,
      gitignore: ".gitignore",
      gitPath: "images",
      gitAdd: ["images.pvt", ".gitignore"],
      inGit: false,
    },
  ]);
  assert.equal(results[0]!.hash, hashBytes("x\n1\n"));
  assert.equal(await p.read(".gitignore"), "/data.csv\n/images/\n");
  assert.equal(await p.exists("data.csv.pvt"), true);
  assert.equal(await p.exists("images.pvt"), true);
  await using session = await sessionOf(p);
  for (const text of ["x\n1\n", "cat\n", "dog\n"]) {
    assert.equal(session.cache.has(hashBytes(text)), true, JSON.stringify(text));
  }
  assert.deepEqual(await trackedStatus(session), [
    { path: "data.csv", status: "unchanged", cached: true },
    { path: "images", status: "unchanged", cached: true },
  ]);
});

Deno.test("trackPaths() again: unchanged content is unchanged, new content needs force", async () => {
  await using p = await makeProject(FILES);
  await track(p, ["data.csv"]);
  assert.equal((await track(p, ["data.csv"]))[0]!.status, "unchanged");
  await Deno.remove(p.path("data.csv"));
  await p.write("data.csv", "x\n2\n");
  await assertRefused(
    track(p, ["data.csv"]),
    "data.csv is already tracked and its content has changed",
    "record the new content: pivot track --force data.csv",
  );
  assert.deepEqual((await tracked(p)).states, [
    { path: "data.csv", status: "modified", cached: true, workspaceCached: false },
  ]);
  const [updated] = await track(p, ["data.csv"], true);
  assert.equal(updated!.status, "updated");
  assert.equal(updated!.hash, hashBytes("x\n2\n"));
  assert.deepEqual((await tracked(p)).states, [
    { path: "data.csv", status: "unchanged", cached: true },
  ]);
});

Deno.test("trackPaths() refuses stage outputs, paths outside the project and paths inside tracked directories, writing nothing", async () => {
  await using p = await makeProject(FILES);
  await track(p, ["images"]);
  const before = await p.read(".gitignore");
  await assertRefused(
    track(p, ["data.csv", "data/ml/prep.txt"]),
    "cannot track data/ml/prep.txt: it is the stage output prep → data/ml/prep.txt",
    "stage outputs are cached by 'pivot repro'; refer to it as 'prep'",
  );
  await assertRefused(
    track(p, ["images/cat.txt"]),
    "cannot track images/cat.txt: it is inside the tracked directory images/",
    "update the directory instead: pivot track --force images",
  );
  await assertRefused(
    track(p, ["../elsewhere.txt"]),
    "cannot track ../elsewhere.txt: it is outside the project",
    `track paths below ${p.root}`,
  );
  await assertRefused(track(p, ["nope.txt"]), "cannot track nope.txt: no such file or directory");
  assert.equal(await p.exists("data.csv.pvt"), false, "nothing of a refused call is written");
  assert.equal(await p.read(".gitignore"), before);
});

Deno.test("trackedStatus() tells missing, modified and unreadable tracked paths, and whether the cache holds them", async () => {
  await using p = await makeProject(FILES);
  await track(p, ["data.csv", "images"]);
  await Deno.remove(p.path("data.csv"));
  await Deno.remove(p.path("images/cat.txt"));
  await p.write("images/cat.txt", "tiger\n");
  assert.deepEqual(await tracked(p), {
    states: [
      { path: "data.csv", status: "missing", cached: true },
      { path: "images", status: "modified", cached: true, workspaceCached: false },
    ],
    warnings: [],
  });
  // The cache loses the content of data.csv; its .pvt becomes unreadable.
  {
    await using session = await sessionOf(p);
    await Deno.remove(session.cache.blobPath(hashBytes("x\n1\n")));
  }
  assert.deepEqual((await tracked(p)).states[0], {
    path: "data.csv",
    status: "missing",
    cached: false,
  });
  await p.write("images.pvt", "not: [a pvt\n");
  const { states, warnings } = await tracked(p);
  assert.deepEqual(states[1], { path: "images", status: "unreadable", cached: false });
  assert.deepEqual(warnings, [
    "malformed tracking file images.pvt: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1",
  ]);
});
