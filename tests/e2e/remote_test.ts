import assert from "node:assert/strict";
import * as path from "node:path";
import { tempDir } from "../_helpers/files.ts";
import { sharedS3Server } from "../_helpers/s3_server.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import {
  blobKey,
  blobKeys,
  cacheLeftovers,
  cloneOf,
  CONTENT,
  HASH,
  keysOf,
  pivot,
  pivotSpawned,
  ranProject,
  type RemoteKind,
  runCacheStages,
  testRemote,
} from "./_remote_fixture.ts";

/** One s3rver for the tests of this file, each with the bucket empty. */
const freshS3Server = await sharedS3Server();

const KINDS: RemoteKind[] = ["s3", "directory"];

Deno.test("pivot push, then pull in a git clone: verify passes and repro runs nothing (S3 and directory)", async (t) => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  for (const kind of KINDS) {
    await t.step(kind, async () => {
      // S3: real processes, with the credentials in their environment (the SDK's chain).
      const remote = testRemote(kind, server, dirs, "roundtrip", "environment");
      const run = kind === "s3" ? pivotSpawned : pivot;
      await using source = await ranProject(remote);
      const pushed = await run(source.path, ["push"]);
      assert.equal(
        pushed.stdout,
        `pushed 6 blobs (${
          Object.values(CONTENT).reduce((sum, text) => sum + text.length, 0)
        } B), 0 already there, 0 failed\npushed 2 run-cache entries\n`,
      );
      assert.equal(pushed.stderr, "");
      const keys = remote.keys();
      assert.deepEqual(blobKeys(keys), keysOf("prep", "model", "cat", "dog", "scores", "ref"));
      assert.deepEqual(runCacheStages(keys), ["runs/ml/prep", "runs/ml/train"]);

      const again = await run(source.path, ["push"]);
      assert.equal(again.stdout, "pushed 0 blobs (0 B), 6 already there, 0 failed\n");

      await using clone = await cloneOf(source.path);
      const pulled = await run(clone.path, ["pull"]);
      assert.equal(pulled.stderr, "");
      assert.match(pulled.stdout, /^fetched 5 blobs \(\d+ B\), 0 already in the cache, 0 failed\n/);
      assert.match(pulled.stdout, /\nfetched 2 run-cache entries\n/);
      assert.match(pulled.stdout, /\n4 restored, 0 up to date\n$/);
      assert.equal(
        await Deno.readTextFile(path.join(clone.path, "data/ml/prep.csv")),
        CONTENT.prep,
      );
      assert.equal(
        await Deno.readTextFile(path.join(clone.path, "data/ml/train/images/dog.txt")),
        CONTENT.dog,
      );
      assert.equal(await Deno.readTextFile(path.join(clone.path, "ref.txt")), CONTENT.ref);
      // Commands that do not reach the remote: in this process, for either kind.
      const verified = await pivot(clone.path, ["verify"]);
      assert.match(verified.stdout, /verification passed: 2 stages up to date/);
      const repro = await pivot(clone.path, ["repro"]);
      assert.match(repro.stdout, /^0 ran, 2 up to date/m);
      assert.deepEqual(cacheLeftovers(clone.path), []);
    });
  }
});

Deno.test("pivot push TARGETS and --all send exactly the blobs their locks and .pvt files name", async (t) => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  for (const kind of KINDS) {
    await t.step(kind, async () => {
      const remote = testRemote(kind, server, dirs, "select");
      await using source = await ranProject(remote);
      await pivot(source.path, ["push", "prep"]);
      assert.deepEqual(blobKeys(remote.keys()), keysOf("prep"));
      assert.deepEqual(runCacheStages(remote.keys()), ["runs/ml/prep"]);

      await pivot(source.path, ["push", "train:images"]);
      assert.deepEqual(blobKeys(remote.keys()), keysOf("prep", "cat", "dog"));
      // train's run-cache entry needs its model and metric on the remote too: not yet.
      assert.deepEqual(runCacheStages(remote.keys()), ["runs/ml/prep"]);

      await pivot(source.path, ["push", "ref.txt.pvt"]);
      assert.deepEqual(blobKeys(remote.keys()), keysOf("prep", "cat", "dog", "ref"));

      // A second pipeline, reached only with --all.
      await Deno.mkdir(path.join(source.path, "eval"));
      await Deno.writeTextFile(
        path.join(source.path, "eval/pivot.yaml"),
        'pipeline: ev\nstages:\n  judge:\n    cmd: echo fair > "$PIVOT_OUT"\n    outs: txt\n',
      );
      await pivot(path.join(source.path, "eval"), ["repro"]);
      await pivot(source.path, ["push"]);
      assert.deepEqual(
        blobKeys(remote.keys()),
        keysOf("prep", "model", "cat", "dog", "scores", "ref"),
      );
      await pivot(source.path, ["push", "--all"]);
      const fair = `files/${HASHED_FAIR.slice(0, 2)}/${HASHED_FAIR.slice(2)}`;
      assert.deepEqual(
        blobKeys(remote.keys()),
        [...keysOf("prep", "model", "cat", "dog", "scores", "ref"), fair].sort(),
      );

      // fetch with an identity brings its recorded inputs too.
      await using clone = await cloneOf(source.path);
      const fetched = await pivot(clone.path, ["fetch", "train:model"]);
      assert.match(fetched.stdout, /^fetched 2 blobs/);
      const cache = path.join(clone.path, ".pivot/cache");
      for (const name of ["model", "prep"] as const) {
        assert.equal(await Deno.readTextFile(path.join(cache, blobKey(name))), CONTENT[name]);
      }
      assert.equal(await existsAt(path.join(cache, blobKey("cat"))), false);
    });
  }
});

const HASHED_FAIR = hashBytes("fair\n");

async function existsAt(file: string): Promise<boolean> {
  try {
    await Deno.lstat(file);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

Deno.test("pivot pull refuses a corrupt or truncated remote object: reported, exit 1, nothing enters the cache", async (t) => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  for (const kind of KINDS) {
    await t.step(kind, async () => {
      const remote = testRemote(kind, server, dirs, "corrupt");
      await using source = await ranProject(remote);
      await pivot(source.path, ["push"]);
      await remote.overwrite(blobKey("prep"), new TextEncoder().encode("A,B\n6,6\n"));
      await remote.overwrite(blobKey("cat"), new TextEncoder().encode("ca"));
      await using clone = await cloneOf(source.path);
      const pulled = await pivot(clone.path, ["pull"], 1);
      assert.match(pulled.stdout, /^fetched 3 blobs \(\d+ B\), 0 already in the cache, 2 failed\n/);
      const lines = pulled.stderr.split("\n");
      assert.equal(lines[0], "error: 2 blobs failed to fetch (remote 'origin'):");
      assert.ok(
        lines.includes(
          `  prep → data/ml/prep.csv (${HASH.prep}): the remote copy is corrupt or truncated (8 bytes whose content hashes to ${
            hashBytes("A,B\n6,6\n")
          }); not stored`,
        ),
        pulled.stderr,
      );
      assert.ok(
        lines.includes(
          `  train:images → data/ml/train/images/cat.txt (${HASH.cat}): the remote copy is corrupt or truncated (2 bytes whose content hashes to ${
            hashBytes("ca")
          }); not stored`,
        ),
        pulled.stderr,
      );
      assert.ok(pulled.stderr.endsWith("nothing was checked out\n"), pulled.stderr);
      const cache = path.join(clone.path, ".pivot/cache");
      assert.equal(await existsAt(path.join(cache, blobKey("prep"))), false);
      assert.equal(await existsAt(path.join(cache, blobKey("cat"))), false);
      assert.equal(await existsAt(path.join(cache, blobKey("dog"))), true);
      assert.deepEqual(cacheLeftovers(clone.path), []);
      assert.equal(await existsAt(path.join(clone.path, "data/ml/prep.csv")), false);
    });
  }
});
