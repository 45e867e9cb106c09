import assert from "node:assert/strict";
import * as path from "node:path";
import { pseudoRandomBytes, tempDir } from "../_helpers/files.ts";
import { type CliResult, pivotCommand } from "../_helpers/project.ts";
import {
  closedPort,
  type FaultProxy,
  sharedS3Server,
  startFaultProxy,
} from "../_helpers/s3_server.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import {
  AWS_ENV,
  blobKey,
  blobKeys,
  cacheLeftovers,
  cloneOf,
  credentialed,
  git,
  HASH,
  keysOf,
  pivot,
  pivotSpawned,
  ranProject,
  testRemote,
} from "./_remote_fixture.ts";

/** One s3rver for the tests of this file, each with the bucket empty. */
const freshS3Server = await sharedS3Server();

/**
 * The first retry's delay (`remote.retry_delay`, ms) these tests use: short, so they check the
 * retries instead of waiting for them (tests/remote/retry_test.ts proves the default schedule).
 */
const RETRY_DELAY = 40;

/**
 * Points `origin` of the project at `root` to `endpoint` (with the credentials
 * in it), with `retries` retries, the first after 20–40 ms.
 */
async function useEndpoint(root: string, endpoint: string, retries = 2): Promise<void> {
  await pivot(root, ["remote", "modify", "origin", "endpoint", credentialed(endpoint)]);
  await pivot(root, ["config", "set", "remote.retries", String(retries)]);
  await pivot(root, ["config", "set", "remote.retry_delay", String(RETRY_DELAY)]);
}

function gaps(proxy: FaultProxy): number[] {
  return proxy.requests.slice(1).map((request, i) => request.at - proxy.requests[i]!.at);
}

Deno.test("a remote answering 503 and 500 is retried with growing delays, then used or reported", async () => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  await using source = await ranProject(testRemote("s3", server, dirs, "retry"));

  // Two throttling answers, then the server: the push succeeds on the third attempt.
  await using throttled = startFaultProxy(server.endpoint, { fail: (n) => (n < 2 ? 503 : null) });
  await useEndpoint(source.path, throttled.endpoint);
  await pivot(source.path, ["push", "prep", "-j", "1"]);
  const [first, second, third] = throttled.requests;
  assert.deepEqual(
    [first, second, third].map((r) => [r!.method, r!.url, r!.status]),
    [
      ["HEAD", `/pivot/retry/${blobKey("prep")}`, 503],
      ["HEAD", `/pivot/retry/${blobKey("prep")}`, 503],
      ["HEAD", `/pivot/retry/${blobKey("prep")}`, 404],
    ],
  );
  const [wait1, wait2] = gaps(throttled);
  // Delays: half of 40 ms, 80 ms plus jitter up to the other half.
  assert.ok(wait1! >= 20 && wait1! < 1_000, `first retry after ${wait1} ms`);
  assert.ok(wait2! >= 40 && wait2! < 1_500, `second retry after ${wait2} ms`);
  assert.deepEqual(blobKeys(server.keys().map((k) => k.replace("retry/", ""))), keysOf("prep"));

  // Always 500: three attempts (retries: 2), then one clear error and exit 1.
  await using broken = startFaultProxy(null, { fail: () => 500 });
  await useEndpoint(source.path, broken.endpoint);
  const started = performance.now();
  const failed = await pivot(source.path, ["push", "train:model", "-j", "1"], 1);
  const elapsed = performance.now() - started;
  assert.equal(failed.stdout, "");
  assert.equal(
    failed.stderr,
    `error: cannot find out what remote 'origin' holds: ${
      blobKey("model")
    }: HTTP 500 (gave up after 3 attempts)\n`,
  );
  assert.equal(broken.requests.length, 3);
  assert.ok(elapsed < 10_000, `took ${elapsed} ms`);

  // A download failing once is retried.
  await using clone = await cloneOf(source.path);
  await using flaky = startFaultProxy(server.endpoint, { fail: (n) => (n === 0 ? 503 : null) });
  await useEndpoint(clone.path, flaky.endpoint);
  const fetched = await pivot(clone.path, ["fetch", "prep"]);
  assert.match(fetched.stdout, /^fetched 1 blob \(8 B\), 0 already in the cache, 0 failed\n/);
  assert.deepEqual(
    flaky.requests.slice(0, 2).map((r) => [r.method, r.url, r.status]),
    [
      ["GET", `/pivot/retry/${blobKey("prep")}?x-id=GetObject`, 503],
      ["GET", `/pivot/retry/${blobKey("prep")}?x-id=GetObject`, 200],
    ],
  );
});

Deno.test("a remote refusing connections is retried, then reported with exit 1", async () => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  await using source = await ranProject(testRemote("s3", server, dirs, "refused"));
  await useEndpoint(source.path, `http://127.0.0.1:${closedPort()}`, 3);
  const started = performance.now();
  const result = await pivot(source.path, ["push", "prep", "-v"], 1);
  const elapsed = performance.now() - started;
  const retries = result.stderr.split("\n").filter((line) => line.startsWith("retrying "));
  assert.equal(retries.length, 3, result.stderr);
  assert.match(
    result.stderr,
    /\nerror: cannot find out what remote 'origin' holds: files\/[0-9a-f]{2}\/[0-9a-f]{14}: connect ECONNREFUSED 127\.0\.0\.1:\d+ \(gave up after 4 attempts\)\n$/,
  );
  // Delays of at least 20 + 40 + 80 ms, at most 40 + 80 + 160 ms (plus start-up).
  assert.ok(elapsed >= 140 && elapsed < 10_000, `took ${elapsed} ms`);
});

/** Waits until `dir` holds a hidden temp file with data in it; gives up after 20 s. */
async function waitForTemp(dir: string, suffix: string): Promise<string> {
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    try {
      for (const entry of Deno.readDirSync(dir)) {
        if (entry.name.startsWith(".") && entry.name.endsWith(suffix)) {
          if (Deno.statSync(path.join(dir, entry.name)).size > 0) return entry.name;
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no temp file appeared in ${dir}`);
}

/** Spawns `pivot ...args` in `cwd` with the AWS environment. */
function spawnPivot(cwd: string, args: string[]): Deno.ChildProcess {
  return pivotCommand(cwd, args, { env: AWS_ENV, stdout: "null", stderr: "null" }).spawn();
}

Deno.test("pivot pull and push killed (-9) mid-transfer leave nothing half-written; a rerun completes", async (t) => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  const big = pseudoRandomBytes(3 * 1024 * 1024, 7);
  const bigHash = hashBytes(big);
  const bigKey = `files/${bigHash.slice(0, 2)}/${bigHash.slice(2)}`;
  for (const trial of [1, 2]) {
    await t.step(`trial ${trial}`, async () => {
      const remote = testRemote("s3", server, dirs, `killed${trial}`);
      await using source = await ranProject(remote);
      await Deno.writeFile(path.join(source.path, "big.bin"), big);
      await pivot(source.path, ["track", "big.bin"]);
      await git(source.path, "add", "-A");
      await git(source.path, "commit", "-q", "-m", "big");

      // push through a proxy that slows the upload down, killed while it streams
      await using slow = startFaultProxy(server.endpoint, { chunkDelayMs: 10 });
      await pivot(source.path, ["remote", "modify", "origin", "endpoint", slow.endpoint]);
      const push = spawnPivot(source.path, ["push", "big.bin"]);
      // Killed once the upload streams: 256 KiB of its 3 MiB are through the proxy.
      const deadline = performance.now() + 20_000;
      while (slow.uploadedBytes() < 256 * 1024 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(slow.requests.some((r) => r.method === "HEAD"), "the push asked before sending");
      push.kill("SIGKILL");
      await push.status;
      // Let the proxy see the connection drop and abort the request it forwards.
      const settle = performance.now() + 10_000;
      while (!slow.requests.some((r) => r.method === "PUT") && performance.now() < settle) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      // S3 never shows an object before its upload completes; s3rver does keep a partial
      // file, which pivot must not take for the blob (its size differs).
      const partial = remote.keys().includes(bigKey) ? await remote.size(bigKey) : null;
      assert.notEqual(partial, big.length, "a complete object after a killed upload");
      await pivot(source.path, [
        "remote",
        "modify",
        "origin",
        "endpoint",
        credentialed(server.endpoint),
      ]);
      const pushed = await pivot(source.path, ["push", "big.bin"]);
      assert.match(pushed.stdout, /^pushed 1 blob \(3\.0 MiB\), 0 already there, 0 failed\n/);

      // pull through a proxy that slows the download down, killed while it streams
      await using clone = await cloneOf(source.path);
      await using slowDown = startFaultProxy(server.endpoint, { chunkDelayMs: 10 });
      await pivot(clone.path, ["remote", "modify", "origin", "endpoint", slowDown.endpoint]);
      const pull = spawnPivot(clone.path, ["pull", "big.bin"]);
      const bucketDir = path.join(clone.path, ".pivot/cache/files", bigHash.slice(0, 2));
      const temp = await waitForTemp(bucketDir, ".tmp");
      pull.kill("SIGKILL");
      await pull.status;
      assert.deepEqual(
        [...Deno.readDirSync(bucketDir)].map((e) => e.name),
        [temp],
        "only the hidden temp file, no blob",
      );
      const checkout = await pivot(clone.path, ["checkout", "big.bin"], 1);
      assert.match(checkout.stderr, /cannot be restored: content missing from the cache/);
      await pivot(clone.path, [
        "remote",
        "modify",
        "origin",
        "endpoint",
        credentialed(server.endpoint),
      ]);
      const pulled = await pivot(clone.path, ["pull", "big.bin"]);
      assert.match(pulled.stdout, /^fetched 1 blob \(3\.0 MiB\)/);
      assert.deepEqual(await Deno.readFile(path.join(clone.path, "big.bin")), big);
      assert.deepEqual(cacheLeftovers(clone.path), [`${bigHash.slice(0, 2)}/${temp}`]);
    });
  }
});

Deno.test("the remote index is keyed by URL: a repointed remote gets everything again; --no-index asks the remote", async () => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  const first = testRemote("directory", server, dirs, "first");
  const second = testRemote("directory", server, dirs, "second");
  await using source = await ranProject(first);
  const everything = /^pushed 6 blobs \(\d+ B\), 0 already there, 0 failed\n/;
  assert.match((await pivot(source.path, ["push"])).stdout, everything);

  await pivot(source.path, ["remote", "modify", "origin", "url", second.url]);
  assert.match((await pivot(source.path, ["push"])).stdout, everything);
  assert.deepEqual(blobKeys(second.keys()), blobKeys(first.keys()));

  await pivot(source.path, ["remote", "remove", "origin"]);
  await pivot(source.path, ["remote", "add", "origin", first.url]);
  await first.remove(blobKey("prep"));
  // The index still lists it: a plain push trusts the index ...
  assert.equal(
    (await pivot(source.path, ["push"])).stdout,
    "pushed 0 blobs (0 B), 6 already there, 0 failed\n",
  );
  // ... --no-index asks the remote.
  assert.equal(
    (await pivot(source.path, ["push", "--no-index"])).stdout,
    "pushed 1 blob (8 B), 5 already there, 0 failed\n",
  );

  // A fetch that finds a listed blob missing drops it from the index and says so.
  await first.remove(blobKey("prep"));
  await Deno.remove(path.join(source.path, ".pivot/cache", blobKey("prep")));
  const fetched = await pivot(source.path, ["fetch", "prep"], 1);
  assert.equal(
    fetched.stderr,
    [
      `warning: the remote index of 'origin' listed 1 blob that the remote does not have; dropped them from the index: ${HASH.prep}`,
      "error: 1 blob failed to fetch (remote 'origin'):",
      `  prep → data/ml/prep.csv (${HASH.prep}): not on the remote`,
      "hint: push them from a machine that has them ('pivot push'), or produce them with 'pivot repro'",
      "",
    ].join("\n"),
  );
  const again = await pivot(source.path, ["fetch", "prep"], 1);
  assert.doesNotMatch(again.stderr, /warning/);
});

Deno.test("push, fetch and pull --dry-run say what would move and change nothing", async () => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  const remote = testRemote("s3", server, dirs, "dry");
  await using source = await ranProject(remote);
  const dry = await pivot(source.path, ["push", "--dry-run"]);
  const lines = dry.stdout.trimEnd().split("\n");
  assert.equal(lines.at(-1), "would push 6 blobs to 'origin', 0 already there");
  assert.ok(lines.includes(`would push prep → data/ml/prep.csv (${HASH.prep})`), dry.stdout);
  assert.ok(lines.includes(`would push ref.txt (${HASH.ref})`), dry.stdout);
  assert.deepEqual(remote.keys(), []);
  assert.match((await pivot(source.path, ["push"])).stdout, /^pushed 6 blobs/);

  await using clone = await cloneOf(source.path);
  for (const command of ["fetch", "pull"]) {
    const result = await pivot(clone.path, [command, "-n"]);
    assert.match(result.stdout, /\nwould fetch 5 blobs from 'origin', 0 already in the cache\n$/);
  }
  const cache = path.join(clone.path, ".pivot/cache");
  assert.deepEqual(cacheLeftovers(clone.path), []);
  assert.equal(await Deno.lstat(cache).catch(() => null), null);
  assert.equal(await Deno.lstat(path.join(clone.path, "data/ml/prep.csv")).catch(() => null), null);
});

Deno.test("credentials in an endpoint or the environment never appear in any output, also with -v and --json", async () => {
  await using server = await freshS3Server();
  await using dirs = await tempDir();
  // The commands that reach the remote run as real processes: the credentials are also in
  // their environment, where the SDK reads them. The others run in this process with the same
  // variables (pivot reads its environment through the CLI's io).
  await using source = await ranProject(testRemote("s3", server, dirs, "secret", "environment"));
  const secrets = [
    "EndpointSecret-7890",
    "EnvSecretKey-123456",
    "SessionToken-abcdef",
    "BadSecret-555",
  ];
  const env = { AWS_SECRET_ACCESS_KEY: secrets[1]!, AWS_SESSION_TOKEN: secrets[2]! };
  const outputs: string[] = [];
  const record = async (result: Promise<CliResult>) => {
    const { stdout, stderr } = await result;
    outputs.push(`${stdout}${stderr}`);
    return { stdout, stderr };
  };
  /** A command that reaches the remote: a real process. */
  const run = (args: string[], code: number) => record(pivotSpawned(source.path, args, code, env));
  /** A command that only reads and writes the configuration: in this process. */
  const local = (args: string[], code: number) =>
    record(pivot(source.path, args, code, { ...AWS_ENV, ...env }));
  // Credentials in the endpoint are used (S3RVER is the key s3rver accepts).
  const good = server.endpoint.replace("http://", `http://S3RVER:${secrets[0]}@`);
  await local(["remote", "modify", "origin", "endpoint", good], 0);
  const pushed = await run(["push", "-v"], 0);
  assert.match(pushed.stdout, /pushed 6 blobs/);
  await local(["remote", "list"], 0);
  await local(["remote", "list", "--json"], 0);
  await local(["config", "list"], 0);
  await local(["config", "get", "remotes.origin.endpoint"], 0);
  await local(["remote", "modify", "origin", "endpoint", `ftp://u:${secrets[3]}@host`], 1);
  // A missing bucket, and a closed port: errors from the SDK and the network.
  await local(["remote", "modify", "origin", "url", "s3://no-such-bucket/x"], 0);
  await run(["push", "-v"], 1);
  await run(["fetch", "-v", "--json"], 1);
  const refused = `http://S3RVER:${secrets[0]}@127.0.0.1:${closedPort()}`;
  await local(["remote", "modify", "origin", "endpoint", refused], 0);
  await local(["config", "set", "remote.retries", "0"], 0);
  await run(["push", "-v", "--json"], 1);
  await run(["pull", "-v"], 1);
  const all = outputs.join("\n");
  for (const secret of secrets) assert.equal(all.includes(secret), false, `${secret} in:\n${all}`);
  assert.match(all, /http:\/\/\*\*\*@127\.0\.0\.1/);
  assert.match(all, /the bucket 'no-such-bucket' does not exist/);
});
