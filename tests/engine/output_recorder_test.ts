import assert from "node:assert/strict";
import * as path from "node:path";
import { OutputRecorder } from "../../src/engine/output_recorder.ts";
import type { RecordSpec } from "../../src/engine/stage_job.ts";
import { hashBytes, xxhashReady } from "../../src/storage/xxhash.ts";
import { makeProject } from "../_helpers/project.ts";

/** The spec for outputs `rels` of the project at `root`, cache in `.pivot/cache`. */
function spec(root: string, rels: readonly string[]): RecordSpec {
  return {
    cacheDir: path.join(root, ".pivot/cache"),
    modes: ["hardlink", "copy"],
    realRoot: root,
    outs: rels.map((rel) => path.join(root, rel)),
  };
}

/** Where the blob of `content` lives in the cache of `root`. */
function blobOf(root: string, content: string): string {
  const hash = hashBytes(new TextEncoder().encode(content));
  return path.join(root, ".pivot/cache/files", hash.slice(0, 2), hash.slice(2));
}

Deno.test("OutputRecorder.record() makes each output a read-only hardlink of its blob and returns hashes and records", async () => {
  await xxhashReady;
  await using project = await makeProject({
    "data/a.json": "{}\n",
    "data/b.json": "{}\n",
    "data/c.txt": "c\n",
  });
  const recorder = new OutputRecorder();
  const started = Date.now();
  const recorded = await recorder.record(
    spec(project.root, ["data/a.json", "data/b.json", "data/c.txt"]),
  );
  assert.notEqual(recorded, null);
  const hashOf = (text: string) => hashBytes(new TextEncoder().encode(text));
  assert.deepEqual(recorded!.hashes, [hashOf("{}\n"), hashOf("{}\n"), hashOf("c\n")]);
  // a.json was linked in place; b.json found the blob there and was placed as a link of it.
  const blob = Deno.lstatSync(blobOf(project.root, "{}\n"));
  assert.equal(blob.nlink, 3);
  for (const rel of ["data/a.json", "data/b.json"]) {
    const info = Deno.lstatSync(project.path(rel));
    assert.equal(info.ino, blob.ino, rel);
    assert.equal((info.mode ?? 0) & 0o777, 0o444, rel);
    assert.equal(await project.read(rel), "{}\n");
  }
  assert.equal(
    Deno.lstatSync(project.path("data/c.txt")).ino,
    Deno.lstatSync(blobOf(project.root, "c\n")).ino,
  );
  // One hash-cache record per output, with the file's stamp as the hasher takes it.
  assert.deepEqual(recorded!.records.map((r) => [path.relative(project.root, r.path), r.hash]), [
    ["data/a.json", hashOf("{}\n")],
    ["data/b.json", hashOf("{}\n")],
    ["data/c.txt", hashOf("c\n")],
  ]);
  for (const record of recorded!.records) {
    assert.equal(record.size, Deno.statSync(record.path).size);
    assert.ok(record.hashedMs! >= started && record.hashedMs! <= Date.now());
  }
});

Deno.test("OutputRecorder.record() hands back, touching nothing, an output that is a symlink, missing, or in a directory leading out", async () => {
  await xxhashReady;
  await using project = await makeProject({ "data/ok.json": "{}\n", "outside/x.json": "{}\n" });
  await Deno.symlink(project.path("outside/x.json"), project.path("data/link.json"));
  await Deno.symlink(project.path("outside"), project.path("data/away"));
  const recorder = new OutputRecorder();
  // The project is `<root>/data` here: `outside` lies out of it.
  const root = project.path("data");
  for (const rel of ["link.json", "missing.json", "away/x.json"]) {
    const recorded = await recorder.record({
      ...spec(project.root, []),
      realRoot: root,
      outs: [path.join(root, "ok.json"), path.join(root, rel)],
    });
    assert.equal(recorded, null, rel);
  }
  // Nothing was cached: the checks come before the first link.
  assert.equal(Deno.lstatSync(project.path("data/ok.json")).nlink, 1);
  assert.equal((Deno.lstatSync(project.path("data/ok.json")).mode ?? 0) & 0o777, 0o644);
  assert.equal((Deno.lstatSync(project.path("outside/x.json")).mode ?? 0) & 0o777, 0o644);
  assert.throws(() => Deno.lstatSync(project.path(".pivot/cache/files")), Deno.errors.NotFound);
});
