import assert from "node:assert/strict";
import * as path from "node:path";
import { tempDir } from "../_helpers/files.ts";
import { sharedS3Server } from "../_helpers/s3_server.ts";
import {
  blobKey,
  cloneOf,
  git,
  pivot,
  ranProject,
  type RemoteKind,
  testRemote,
} from "./_remote_fixture.ts";

/** One s3rver for the tests of this file, each with the bucket empty. */
const freshS3Server = await sharedS3Server();

const KINDS: RemoteKind[] = ["s3", "directory"];

const LOST_MODEL =
  "    train:model → data/ml/train/model.txt: content in neither the local cache nor the remote; push it from a clone that has it, or produce it again with 'pivot repro -f train'";
const LOST_IMAGES =
  "    train:images → data/ml/train/images/: content in neither the local cache nor the remote; push it from a clone that has it, or produce it again with 'pivot repro -f train'";
const LOST_REF =
  "FAILED tracked ref.txt: content in neither the local cache nor remote 'origin'; push it from a clone that has it, or record the data again with 'pivot track --force ref.txt'";

Deno.test("pivot verify --allow-missing in a fresh clone: passes when every blob is on the remote, lists what is on neither (S3 and directory)", async (t) => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  for (const kind of KINDS) {
    await t.step(kind, async () => {
      const remote = testRemote(kind, server, dirs, "gate");
      await using source = await ranProject(remote);
      await pivot(source.path, ["push", "prep"]);
      await using clone = await cloneOf(source.path);
      // Plain verify wants the data; --allow-missing wants it somewhere.
      const plain = await pivot(clone.path, ["verify"], 1);
      assert.match(plain.stdout, /^FAILED prep: outputs missing from cache$/m);
      const partial = await pivot(clone.path, ["verify", "--allow-missing"], 1);
      assert.equal(
        partial.stdout,
        [
          "ok     prep",
          "FAILED train: content in neither the local cache nor remote 'origin': train:model, train:images",
          LOST_MODEL,
          LOST_IMAGES,
          LOST_REF,
          "verification failed: 1 of 2 stages, 1 of 1 tracked path",
          "",
        ].join("\n"),
      );
      assert.equal(partial.stderr, "");

      await pivot(source.path, ["push"]);
      const passed = await pivot(clone.path, ["verify", "--allow-missing"]);
      assert.equal(
        passed.stdout,
        "ok     prep\nok     train\nverification passed: 2 stages up to date as recorded; content: 0 blobs in the cache, 5 only on remote 'origin'\n",
      );
      // Nothing was downloaded or written to the workspace.
      assert.equal(await exists(path.join(clone.path, ".pivot/cache/files")), false);
      assert.equal(await exists(path.join(clone.path, "data/ml/prep.csv")), false);
      const json = JSON.parse(
        (await pivot(clone.path, ["verify", "train", "--allow-missing", "--json"])).stdout,
      );
      assert.equal(json.passed, true);
      assert.equal(json.remote, "origin");
      assert.deepEqual([json.local, json.remoteOnly], [0, 4]);
      assert.deepEqual(json.stages.map((s: { stage: string }) => s.stage), ["prep", "train"]);
      assert.deepEqual(json.tracked, []);

      // Some content local, the rest on the remote.
      await pivot(clone.path, ["pull", "prep"]);
      const mixed = await pivot(clone.path, ["verify", "--allow-missing"]);
      assert.match(mixed.stdout, /content: 1 blob in the cache, 4 only on remote 'origin'\n$/);
      // A present output must still hold its recorded content.
      const prep = path.join(clone.path, "data/ml/prep.csv");
      await Deno.remove(prep);
      await Deno.writeTextFile(prep, "EDITED\n");
      const edited = await pivot(clone.path, ["verify", "--allow-missing"], 1);
      assert.equal(
        edited.stdout,
        [
          "FAILED prep: output prep → data/ml/prep.csv was modified",
          "FAILED train: upstream 'prep' is stale",
          "verification failed: 2 of 2 stages",
          "",
        ].join("\n"),
      );
    });
  }
});

Deno.test("pivot verify --allow-missing: locks that disagree with the pipeline, with each other or with a .pvt fail without the data", async () => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  const remote = testRemote("directory", server, dirs, "records");
  await using source = await ranProject(remote);
  const yaml = path.join(source.path, "pivot.yaml");
  const pipeline = await Deno.readTextFile(yaml);
  // A stage reading the tracked file: its lock records the .pvt's hash.
  await Deno.writeTextFile(
    yaml,
    `${pipeline}  count:\n    cmd: wc -c < "$PIVOT_DEP_REF" > "$PIVOT_OUT"\n    deps: {ref: ref.txt}\n    outs: txt\n`,
  );
  await pivot(source.path, ["repro"]);
  await pivot(source.path, ["push"]);
  await git(source.path, "add", "-A");
  await git(source.path, "commit", "-q", "-m", "count");
  {
    await using clone = await cloneOf(source.path);
    const ok = await pivot(clone.path, ["verify", "--allow-missing"]);
    assert.match(ok.stdout, /^verification passed: 3 stages up to date as recorded/m);
  }

  // prep ran again on new data and its lock was committed; train's was not.
  await Deno.writeTextFile(path.join(source.path, "raw.csv"), "a,b\n3,4\n");
  await pivot(source.path, ["run", "prep"]);
  // ref.txt was re-tracked; count did not run again.
  await Deno.remove(path.join(source.path, "ref.txt"));
  await Deno.writeTextFile(path.join(source.path, "ref.txt"), "new reference\n");
  await pivot(source.path, ["track", "--force", "ref.txt"]);
  await pivot(source.path, ["push"]);
  await git(source.path, "add", "-A");
  await git(source.path, "commit", "-q", "-m", "half");
  await using clone = await cloneOf(source.path);
  const half = await pivot(clone.path, ["verify", "--allow-missing"], 1);
  assert.equal(
    half.stdout,
    [
      "ok     prep",
      "FAILED train: inputs changed",
      "FAILED count: inputs changed",
      "verification failed: 2 of 3 stages",
      "",
    ].join("\n"),
  );
  // The pipeline changed after the locks were written.
  await Deno.writeTextFile(
    path.join(clone.path, "pivot.yaml"),
    (await Deno.readTextFile(path.join(clone.path, "pivot.yaml"))).replace(
      "tr a-z A-Z",
      "tr a-z B-Z",
    ),
  );
  const code = await pivot(clone.path, ["verify", "train", "--allow-missing"], 1);
  assert.equal(
    code.stdout,
    "FAILED prep: code changed\nFAILED train: upstream 'prep' is stale\nverification failed: 2 of 2 stages\n",
  );
});

Deno.test("pivot verify --allow-missing trusts the remote index unless --no-index; -r and --no-index need --allow-missing", async () => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  const remote = testRemote("s3", server, dirs, "indexed");
  await using source = await ranProject(remote);
  await pivot(source.path, ["push"]);
  await remote.remove(blobKey("prep"));
  await Deno.remove(path.join(source.path, "data/ml/prep.csv"));
  await Deno.remove(path.join(source.path, ".pivot/cache", blobKey("prep")));
  const trusting = await pivot(source.path, ["verify", "prep", "--allow-missing", "-r", "origin"]);
  assert.match(trusting.stdout, /content: 0 blobs in the cache, 1 only on remote 'origin'\n$/);
  const asked = await pivot(source.path, ["verify", "prep", "--allow-missing", "--no-index"], 1);
  assert.match(
    asked.stdout,
    /^FAILED prep: content in neither the local cache nor remote 'origin': prep$/m,
  );

  const remoteAlone = await pivot(source.path, ["verify", "-r", "origin"], 2);
  assert.equal(remoteAlone.stderr, "error: -r/--remote applies only with --allow-missing\n");
  const indexAlone = await pivot(source.path, ["verify", "--no-index"], 2);
  assert.equal(indexAlone.stderr, "error: --no-index applies only with --allow-missing\n");
  const unknown = await pivot(source.path, ["verify", "--allow-missing", "-r", "nope"], 1);
  assert.equal(unknown.stderr, "error: unknown remote 'nope'\nhint: configured remotes: origin\n");
});

async function exists(file: string): Promise<boolean> {
  try {
    await Deno.lstat(file);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
