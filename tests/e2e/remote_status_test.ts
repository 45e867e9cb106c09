import assert from "node:assert/strict";
import * as path from "node:path";
import { tempDir } from "../_helpers/files.ts";
import { sharedS3Server, startFaultProxy } from "../_helpers/s3_server.ts";
import {
  blobKey,
  cloneOf,
  credentialed,
  pivot,
  ranProject,
  type RemoteKind,
  testRemote,
} from "./_remote_fixture.ts";

/** One s3rver for the tests of this file, each with the bucket empty. */
const freshS3Server = await sharedS3Server();

const KINDS: RemoteKind[] = ["s3", "directory"];

const PREP = "prep → data/ml/prep.csv";
const MODEL = "train:model → data/ml/train/model.txt";
const IMAGES = "train:images → data/ml/train/images/";

Deno.test("pivot status -r lists what is only local, only remote, split or in neither (S3 and directory)", async (t) => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  for (const kind of KINDS) {
    await t.step(kind, async () => {
      const remote = testRemote(kind, server, dirs, "status");
      const url = kind === "s3" ? "s3://pivot/status" : remote.url;
      await using source = await ranProject(remote);
      const before = await pivot(source.path, ["status", "-r"]);
      assert.equal(
        before.stdout,
        [
          `only local  ${PREP}`,
          `only local  ${MODEL}`,
          `only local  ${IMAGES}`,
          "only local  ref.txt",
          `remote 'origin' (${url}): 0 in sync, 4 only local`,
          "hint: 'pivot push' uploads what is only local",
          "",
        ].join("\n"),
      );
      assert.equal(before.stderr, "");
      // -q prints nothing and exits 1 while anything differs.
      const quiet = await pivot(source.path, ["status", "-r", "-q"], 1);
      assert.equal(quiet.stdout + quiet.stderr, "");

      await pivot(source.path, ["push", "train:model"]);
      const some = await pivot(source.path, ["status", "-r", "origin"]);
      assert.equal(
        some.stdout,
        [
          `only local  ${PREP}`,
          `only local  ${IMAGES}`,
          "only local  ref.txt",
          `remote 'origin' (${url}): 1 in sync, 3 only local`,
          "hint: 'pivot push' uploads what is only local",
          "",
        ].join("\n"),
      );
      // -v lists the ones in sync too.
      const verbose = await pivot(source.path, ["status", "-r", "-v"]);
      assert.ok(verbose.stdout.includes(`in sync     ${MODEL}\n`), verbose.stdout);

      await using clone = await cloneOf(source.path);
      const fresh = await pivot(clone.path, ["status", "-r"]);
      assert.equal(
        fresh.stdout,
        [
          `missing      ${PREP}`,
          `only remote  ${MODEL}`,
          `missing      ${IMAGES}`,
          "missing      ref.txt",
          `remote 'origin' (${url}): 0 in sync, 1 only remote, 3 missing from both`,
          "hint: 'pivot pull' downloads what is only remote; what is missing from both comes back only from a clone that has it ('pivot push' there) or by producing it again ('pivot repro -f STAGE', 'pivot track --force PATH')",
          "",
        ].join("\n"),
      );
      await pivot(source.path, ["push"]);
      await pivot(clone.path, ["fetch", "train:images"]);
      // Targets as for push: identities and tracked paths.
      const targeted = await pivot(clone.path, ["status", "train", "ref.txt", "-r", "--json"]);
      assert.deepEqual(JSON.parse(targeted.stdout), {
        remote: "origin",
        url,
        items: [
          { label: MODEL, kind: "output", status: "only_remote", blobs: 1, local: 0, remote: 1 },
          { label: IMAGES, kind: "output", status: "in_sync", blobs: 2, local: 2, remote: 2 },
          {
            label: "ref.txt",
            kind: "tracked",
            status: "only_remote",
            blobs: 1,
            local: 0,
            remote: 1,
          },
        ],
        notRun: [],
        notCached: [],
        problems: [],
      });

      // One image only in the clone's cache, the other only on the remote: split. The
      // remote index still lists the removed blob until --no-index asks the remote.
      await remote.remove(blobKey("cat"));
      await Deno.remove(path.join(clone.path, ".pivot/cache", blobKey("dog")));
      const trusting = await pivot(clone.path, ["status", "train:images", "-r", "--json"]);
      assert.equal(JSON.parse(trusting.stdout).items[0].status, "only_remote");
      const asked = await pivot(clone.path, ["status", "train:images", "-r", "--no-index"]);
      assert.equal(
        asked.stdout,
        [
          `split  ${IMAGES}`,
          `remote 'origin' (${url}): 0 in sync, 1 split between them`,
          "hint: 'pivot push' uploads what is only local; 'pivot pull' downloads what is only remote",
          "",
        ].join("\n"),
      );
      // --no-index dropped the blob from the index: a later check knows it is gone.
      const after = await pivot(clone.path, ["status", "train:images", "-r", "--json"]);
      assert.equal(JSON.parse(after.stdout).items[0].status, "split");
      await remote.remove(blobKey("ref"));
      const lost = await pivot(clone.path, ["status", "ref.txt", "-r", "--no-index", "--json"]);
      assert.equal(JSON.parse(lost.stdout).items[0].status, "missing");

      await pivot(clone.path, ["push", "train:images"]);
      await pivot(clone.path, ["pull", "train:images", "prep", "train:model"]);
      const synced = await pivot(clone.path, ["status", "train", "prep", "-r", "-q"]);
      assert.equal(synced.stdout + synced.stderr, "");
    });
  }
});

Deno.test("pivot status -r answers from the remote index, asking the remote once per unknown blob", async () => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  await using source = await ranProject(testRemote("s3", server, dirs, "index"));
  await using proxy = startFaultProxy(server.endpoint);
  await pivot(source.path, [
    "remote",
    "modify",
    "origin",
    "endpoint",
    credentialed(proxy.endpoint),
  ]);
  await pivot(source.path, ["status", "-r"]);
  // Four outputs and a tracked file: five blobs, one HEAD each (fewer than a listing needs).
  assert.deepEqual(proxy.requests.map((r) => r.method), ["HEAD", "HEAD", "HEAD", "HEAD", "HEAD"]);
  await pivot(source.path, ["push"]);
  const pushed = proxy.requests.length;
  const synced = await pivot(source.path, ["status", "-r"]);
  assert.match(synced.stdout, /: 4 in sync\n$/);
  assert.equal(proxy.requests.length, pushed, "everything pushed is in the index");
  await pivot(source.path, ["status", "-r", "--no-index"]);
  assert.equal(proxy.requests.length, pushed + 5);
});

Deno.test("pivot status -r: a targeted stage with nothing recorded, an unknown remote, --no-index alone", async () => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  await using source = await ranProject(testRemote("directory", server, dirs, "bad"));
  await Deno.writeTextFile(
    path.join(source.path, "pivot.yaml"),
    (await Deno.readTextFile(path.join(source.path, "pivot.yaml"))) +
      '  later:\n    cmd: echo x > "$PIVOT_OUT"\n    outs: txt\n',
  );
  const notRun = await pivot(source.path, ["status", "later", "-r"], 1);
  assert.equal(notRun.stdout, `remote 'origin' (${path.join(dirs.path, "bad")}): 0 in sync\n`);
  assert.equal(
    notRun.stderr,
    "error: nothing recorded for later: no lock file with that output\nhint: run 'pivot repro later' first\n",
  );
  const unknown = await pivot(source.path, ["status", "-r", "orign"], 1);
  assert.equal(
    unknown.stderr,
    "error: unknown remote 'orign' (did you mean 'origin'?)\nhint: configured remotes: origin\n",
  );
  const alone = await pivot(source.path, ["status", "--no-index"], 2);
  assert.equal(alone.stderr, "error: --no-index applies only with -r/--remote\n");
});
