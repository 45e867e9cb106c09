import assert from "node:assert/strict";
import * as path from "node:path";
import { type TempDir, tempDir } from "../_helpers/files.ts";
import { closedPort, sharedS3Server } from "../_helpers/s3_server.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import {
  credentialed,
  git,
  pivot,
  type RemoteKind,
  type TestRemote,
  testRemote,
} from "./_remote_fixture.ts";

/** One s3rver for the tests of this file, each with the bucket empty. */
const freshS3Server = await sharedS3Server();

const KINDS: RemoteKind[] = ["s3", "directory"];

/**
 * `prep` reads the tracked `input.txt` (param `p`), `train` reads prep's
 * output into a file, a directory and a metric. Each command appends its
 * name to `ran.log`, which nothing tracks: a stage restored instead of run
 * leaves no line.
 */
const PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prep:",
  `    cmd: echo prep >> ran.log && tr a-z A-Z < "$PIVOT_DEP_RAW" > "$PIVOT_OUT" && echo "p=\${params.p}" >> "$PIVOT_OUT"`,
  "    deps: {raw: input.txt}",
  "    outs: txt",
  "    params: {p: 1}",
  "  train:",
  "    cmd: |",
  "      echo train >> ran.log",
  `      cat "$PIVOT_DEP_DATA" "$PIVOT_DEP_DATA" > "$PIVOT_OUT_MODEL"`,
  `      mkdir -p "$PIVOT_OUT_IMAGES" && cp "$PIVOT_DEP_DATA" "$PIVOT_OUT_IMAGES/a.txt" && echo b > "$PIVOT_OUT_IMAGES/b.txt"`,
  `      wc -l < "$PIVOT_DEP_DATA" > "$PIVOT_OUT_SCORE"`,
  "    deps: {data: prep}",
  "    outs: {model: txt, images: dir, score: {format: json, kind: metric}}",
  "",
].join("\n");

const OUTPUTS = [
  "data/ml/prep.txt",
  "data/ml/train/model.txt",
  "data/ml/train/images/a.txt",
  "data/ml/train/images/b.txt",
  "data/ml/train/score.json",
];

/** A shared git repository (bare) of a project with the pipeline and a tracked, pushed input. */
async function upstream(remote: TestRemote, dirs: TempDir, name: string): Promise<string> {
  const work = path.join(dirs.path, `${name}-setup`);
  await Deno.mkdir(path.join(work, ".pivot"), { recursive: true });
  await Deno.writeTextFile(path.join(work, "pivot.yaml"), PIPELINE);
  await Deno.writeTextFile(path.join(work, "input.txt"), "hello\n");
  await Deno.writeTextFile(path.join(work, ".gitignore"), "ran.log\n");
  await git(work, "init", "-q", "-b", "main");
  await pivot(work, ["track", "input.txt"]);
  await pivot(work, ["remote", "add", "origin", remote.url]);
  for (const [key, value] of remote.settings) {
    await pivot(work, ["remote", "modify", "origin", key, value]);
  }
  await pivot(work, ["push"]);
  await git(work, "add", "-A");
  await git(work, "commit", "-q", "-m", "pipeline");
  const bare = path.join(dirs.path, `${name}.git`);
  await git(dirs.path, "clone", "-q", "--bare", work, bare);
  return bare;
}

/** A clone of `bare` named `name`. */
async function cloneAs(bare: string, dirs: TempDir, name: string): Promise<string> {
  await git(dirs.path, "clone", "-q", bare, name);
  return path.join(dirs.path, name);
}

/** The outputs' contents, by path. */
async function contents(root: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for (const file of OUTPUTS) found[file] = await Deno.readTextFile(path.join(root, file));
  return found;
}

/** `text` with the run's duration (`(0.1s)`) as `(…s)`. */
function timeless(text: string): string {
  return text.replace(/ \(\d+\.\ds\)$/m, " (…s)");
}

async function ranLog(root: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path.join(root, "ran.log"));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

Deno.test("pivot repro --pull in a second clone restores what the first ran and pushed, running nothing (S3 and directory)", async (t) => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  for (const kind of KINDS) {
    await t.step(kind, async () => {
      const remote = testRemote(kind, server, dirs, `twin-${kind}`);
      const bare = await upstream(remote, dirs, `twin-${kind}`);
      const a = await cloneAs(bare, dirs, `a-${kind}`);
      // Nothing on the remote to restore: the tracked input comes back, the stages run.
      const first = await pivot(a, ["repro", "--pull"]);
      assert.ok(
        first.stdout.startsWith(
          "pulled 1 blob (6 B) from 'origin': 0 stages to restore instead of running\nrestored tracked input input.txt\n",
        ),
        first.stdout,
      );
      assert.equal(await ranLog(a), "prep\ntrain\n");
      await pivot(a, ["push"]);
      await git(a, "add", "-A");
      await git(a, "commit", "-q", "-m", "ran");
      await git(a, "push", "-q", "origin", "main");

      const b = await cloneAs(bare, dirs, `b-${kind}`);
      const pulled = await pivot(b, ["repro", "--pull"]);
      assert.equal(
        timeless(pulled.stdout),
        [
          // a.txt holds what prep.txt holds: four blobs.
          "pulled 4 blobs (38 B) from 'origin': 2 stages to restore instead of running",
          "restored tracked input input.txt",
          "restored prep: outputs restored from the cache",
          "restored train: outputs restored from the cache",
          "0 ran, 0 up to date, 2 restored (…s)",
          "",
        ].join("\n"),
      );
      assert.equal(pulled.stderr, "");
      assert.equal(await ranLog(b), null);
      assert.deepEqual(await contents(b), await contents(a));
      await pivot(b, ["verify"]);
      const again = await pivot(b, ["repro", "--pull"]);
      assert.match(again.stdout, /^pulled 0 blobs \(0 B\) from 'origin': 0 stages/);
      assert.equal(await ranLog(b), null);

      // A runs a parameter B never ran and pushes, committing nothing: B switches to it too.
      await Deno.writeTextFile(path.join(a, "params.yaml"), "prep: {p: 2}\n");
      await pivot(a, ["repro"]);
      assert.equal(await ranLog(a), "prep\ntrain\nprep\ntrain\n");
      await pivot(a, ["push"]);
      await Deno.writeTextFile(path.join(b, "params.yaml"), "prep: {p: 2}\n");
      const switched = await pivot(b, ["repro", "--pull", "-v"]);
      // -v: each blob as it arrives (in any order), then where each stage comes from.
      const lines = timeless(switched.stdout).split("\n");
      assert.deepEqual(lines.slice(0, 3).map((line) => line.slice(17)).sort(), [
        "prep → data/ml/prep.txt",
        "train:model → data/ml/train/model.txt",
        "train:score → data/ml/train/score.json",
      ]);
      assert.deepEqual(lines.slice(3), [
        "pulled 3 blobs (32 B) and 2 run-cache entries from 'origin': 2 stages to restore instead of running",
        "  prep: from the run cache",
        "  train: from the run cache",
        "restored prep: restored from the run cache (params changed)",
        "restored train: restored from the run cache (inputs changed)",
        "0 ran, 0 up to date, 2 restored (…s)",
        "",
      ]);
      assert.equal(await ranLog(b), null);
      assert.deepEqual(await contents(b), await contents(a));
      assert.match(await Deno.readTextFile(path.join(b, "data/ml/prep.txt")), /p=2/);

      // A combination nobody ran: the stages run.
      await Deno.writeTextFile(path.join(b, "params.yaml"), "prep: {p: 3}\n");
      const fresh = await pivot(b, ["repro", "--pull"]);
      assert.match(fresh.stdout, /^pulled 0 blobs \(0 B\) from 'origin': 0 stages/);
      assert.match(fresh.stdout, /^2 ran/m);
      assert.equal(await ranLog(b), "prep\ntrain\n");
    });
  }
});

Deno.test("pivot repro --pull: targets, run --pull, --all, and a downstream stage judged by its restored input", async () => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  const remote = testRemote("directory", server, dirs, "scoped");
  const bare = await upstream(remote, dirs, "scoped");
  const a = await cloneAs(bare, dirs, "a");
  await Deno.mkdir(path.join(a, "eval"));
  await Deno.writeTextFile(
    path.join(a, "eval/pivot.yaml"),
    'pipeline: ev\nstages:\n  judge:\n    cmd: echo judge >> ran.log && echo fair > "$PIVOT_OUT"\n    outs: txt\n',
  );
  await pivot(a, ["repro", "--pull", "--all"]);
  await pivot(a, ["push", "--all"]);
  await git(a, "add", "-A");
  await git(a, "commit", "-q", "-m", "ran");
  await git(a, "push", "-q", "origin", "main");

  const b = await cloneAs(bare, dirs, "b");
  // run --pull: exactly prep (its tracked input comes along).
  const only = await pivot(b, ["run", "prep", "--pull"]);
  assert.match(only.stdout, /^pulled 2 blobs \(\d+ B\) from 'origin': 1 stage to restore/);
  assert.match(only.stdout, /^0 ran, 0 up to date, 1 restored/m);
  assert.equal(await ranLog(b), null);
  assert.equal(await exists(path.join(b, "data/ml/train/model.txt")), false);
  // B's prep output is what A recorded; train's lock agrees, so train comes back as recorded.
  const all = await pivot(b, ["repro", "--all", "--pull"]);
  assert.match(all.stdout, /^pulled 3 blobs \(\d+ B\) from 'origin': 2 stages to restore/);
  assert.match(all.stdout, /^0 ran, 1 up to date, 2 restored/m);
  assert.equal(await ranLog(b), null);
  assert.equal(await ranLog(path.join(b, "eval")), null);
  assert.equal(await Deno.readTextFile(path.join(b, "eval/data/ev/judge.txt")), "fair\n");
  // --json: one `pull` event before the run's events.
  const json = await pivot(b, ["repro", "--all", "--pull", "--json"]);
  const events = json.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(events[0], {
    type: "pull",
    remote: "origin",
    url: remote.url,
    tracked: [],
    stages: [],
    transferred: 0,
    bytes: 0,
    entries: 0,
    failed: [],
    entryFailures: [],
  });
  assert.deepEqual(events.slice(1).map((event) => event.type), [
    "stage_complete",
    "stage_complete",
    "stage_complete",
    "summary",
  ]);

  // A's prep runs on new input and A pushes; B's workspace still holds the old prep output.
  // Only a walk that predicts prep's restored content finds train's run-cache entry.
  await Deno.remove(path.join(a, "input.txt"));
  await Deno.writeTextFile(path.join(a, "input.txt"), "bye\n");
  await pivot(a, ["track", "--force", "input.txt"]);
  await pivot(a, ["repro"]);
  await pivot(a, ["push"]);
  await git(a, "add", "-A");
  await git(a, "commit", "-q", "-m", "new input");
  await git(a, "push", "-q", "origin", "main");
  await git(b, "pull", "-q", "--rebase=false", "origin", "main");
  await Deno.remove(path.join(b, "input.txt"));
  const chained = await pivot(b, ["repro", "--pull"]);
  assert.match(chained.stdout, /: 2 stages to restore instead of running\n/);
  assert.match(chained.stdout, /^0 ran, 0 up to date, 2 restored/m);
  assert.equal(await ranLog(b), null);
  assert.equal(
    await Deno.readTextFile(path.join(b, "data/ml/train/model.txt")),
    await Deno.readTextFile(path.join(a, "data/ml/train/model.txt")),
  );
});

Deno.test("pivot repro --pull: a corrupt remote blob stops the command before anything runs; option errors", async () => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  const remote = testRemote("s3", server, dirs, "corrupt");
  const bare = await upstream(remote, dirs, "corrupt");
  const a = await cloneAs(bare, dirs, "a");
  await pivot(a, ["repro", "--pull"]);
  await pivot(a, ["push"]);
  const model = hashBytes(await Deno.readTextFile(path.join(a, "data/ml/train/model.txt")));
  await remote.overwrite(
    `files/${model.slice(0, 2)}/${model.slice(2)}`,
    new TextEncoder().encode("junk"),
  );
  await git(a, "add", "-A");
  await git(a, "commit", "-q", "-m", "ran");
  await git(a, "push", "-q", "origin", "main");
  const b = await cloneAs(bare, dirs, "b");
  const failed = await pivot(b, ["repro", "--pull"], 1);
  assert.equal(
    failed.stderr.split("\n")[0],
    "error: 1 blob failed to download (remote 'origin'), so nothing was run:",
  );
  assert.match(
    failed.stderr,
    /\n {2}train:model → data\/ml\/train\/model\.txt \([0-9a-f]{16}\): the remote copy is corrupt/,
  );
  assert.equal(await ranLog(b), null);
  assert.equal(await exists(path.join(b, "data/ml/prep.txt")), false);

  const usage = [
    [["repro", "-r", "origin"], "error: -r/--remote applies only with --pull\n"],
    [["repro", "--pull", "-n"], "error: --pull and --dry-run cannot be used together\n"],
    [["repro", "--pull", "--no-commit"], "error: --pull and --no-commit cannot be used together\n"],
    [["repro", "--pull", "--watch"], "error: --pull and --watch cannot be used together\n"],
  ] as const;
  for (const [args, stderr] of usage) {
    const result = await pivot(b, args, 2);
    assert.equal(result.stderr, stderr);
  }
  const unknown = await pivot(b, ["repro", "--pull", "-r", "nope"], 1);
  assert.equal(unknown.stderr, "error: unknown remote 'nope'\nhint: configured remotes: origin\n");
});

Deno.test("pivot repro --pull: a remote that cannot be reached stops the command with exit 1, before anything runs", async () => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  const remote = testRemote("s3", server, dirs, "unreachable");
  const bare = await upstream(remote, dirs, "unreachable");
  const a = await cloneAs(bare, dirs, "a");
  await pivot(a, ["repro", "--pull"]);
  await pivot(a, ["push"]);
  await git(a, "add", "-A");
  await git(a, "commit", "-q", "-m", "ran");
  await git(a, "push", "-q", "origin", "main");
  const b = await cloneAs(bare, dirs, "b");
  const refused = `http://127.0.0.1:${closedPort()}`;
  await pivot(b, ["remote", "modify", "origin", "endpoint", credentialed(refused)]);
  await pivot(b, ["config", "set", "remote.retries", "0"]);

  // A fresh clone: asking which blobs the remote holds fails.
  const fresh = await pivot(b, ["repro", "--pull"], 1);
  assert.equal(fresh.stdout, "");
  assert.match(
    fresh.stderr,
    /^error: cannot find out what remote 'origin' holds: files\/[0-9a-f]{2}\/[0-9a-f]{14}: connect ECONNREFUSED 127\.0\.0\.1:\d+\n$/,
  );
  assert.equal(await ranLog(b), null);
  assert.equal(await exists(path.join(b, "input.txt")), false);
  assert.equal(await exists(path.join(b, "data/ml/prep.txt")), false);

  // Everything local, a parameter changed: reading the run cache fails; nothing runs.
  await pivot(b, ["remote", "modify", "origin", "endpoint", credentialed(server.endpoint)]);
  await pivot(b, ["repro", "--pull"]);
  await pivot(b, ["remote", "modify", "origin", "endpoint", credentialed(refused)]);
  await Deno.writeTextFile(path.join(b, "params.yaml"), "prep: {p: 2}\n");
  const entries = await pivot(b, ["repro", "--pull"], 1);
  assert.equal(entries.stdout, "");
  assert.match(
    entries.stderr,
    /^error: cannot read the run cache of remote 'origin': runs\/ml\/prep\/[0-9a-f]{16}\.json: connect ECONNREFUSED 127\.0\.0\.1:\d+\nhint: check the remote \(pivot remote list\), or leave out --pull to run the stages\n$/,
  );
  assert.equal(await ranLog(b), null);
  assert.match(await Deno.readTextFile(path.join(b, "data/ml/prep.txt")), /p=1/);

  // A directory remote that is not there.
  await pivot(b, ["remote", "add", "gone", path.join(dirs.path, "no-such-dir")]);
  const gone = await pivot(b, ["repro", "--pull", "-r", "gone"], 1);
  assert.equal(gone.stdout, "");
  assert.match(
    gone.stderr,
    new RegExp(
      `^error: the remote directory ${path.join(dirs.path, "no-such-dir")} does not exist\n`,
    ),
  );
  assert.equal(await ranLog(b), null);
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
