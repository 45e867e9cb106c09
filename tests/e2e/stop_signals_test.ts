/**
 * Stop signals sent to a real pivot in the middle of commands other than a
 * run: each stops at its next safe point, removes what it had half written
 * (temp files in the cache, a directory half built in the workspace, an S3
 * multipart upload), warns once, and exits with the signal's status.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { pseudoRandomBytes, tempDir } from "../_helpers/files.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { sharedS3Server, startFaultProxy } from "../_helpers/s3_server.ts";
import { spawnPivot, until } from "../_helpers/spawned.ts";
import { AWS_ENV, cacheLeftovers, credentialed, pivot } from "./_remote_fixture.ts";

/** One s3rver for the tests of this file, each with the bucket empty. */
const freshS3Server = await sharedS3Server();

const NOT_LINUX = Deno.build.os !== "linux";

/** The hash a `.pvt` file records. */
async function pvtHash(file: string): Promise<string> {
  return (await Deno.readTextFile(file)).match(/hash: "([0-9a-f]{16})"/)![1]!;
}

/** Temp files (`.…tmp`) anywhere under `dir`. */
function tempFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (abs: string) => {
    for (const entry of Deno.readDirSync(abs)) {
      const child = path.join(abs, entry.name);
      if (entry.isDirectory) walk(child);
      else if (entry.name.endsWith(".tmp")) found.push(path.relative(dir, child));
    }
  };
  walk(dir);
  return found;
}

/**
 * A project tracking `big.bin` (1 MiB), pushed to an S3 remote `origin`,
 * then with its cache and workspace copy removed: what a fetch brings back.
 */
async function pushedAndWiped(endpoint: string, prefix: string): Promise<TempProject> {
  const p = await makeProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  copy:",
      '    cmd: cp "$PIVOT_DEP_BIG" "$PIVOT_OUT"',
      "    deps: {big: big.bin}",
      "    outs: bin",
      "",
    ].join("\n"),
  });
  await Deno.writeFile(p.path("big.bin"), pseudoRandomBytes(1024 * 1024, 7));
  await pivot(p.root, ["track", "big.bin"]);
  await pivot(p.root, ["remote", "add", "origin", `s3://pivot/${prefix}`]);
  await pivot(p.root, ["remote", "modify", "origin", "endpoint", credentialed(endpoint)]);
  await pivot(p.root, ["remote", "modify", "origin", "path_style", "true"]);
  await pivot(p.root, ["push"]);
  await Deno.remove(p.path("big.bin"));
  await Deno.remove(p.path(".pivot/cache"), { recursive: true });
  return p;
}

for (
  const [command, signal, code, word, doing] of [
    ["fetch", "SIGTERM", 143, "terminated", "stopping the fetch"],
    ["pull", "SIGINT", 130, "interrupted", "stopping the pull"],
    ["repro --pull", "SIGHUP", 129, "hung up", "stopping running stages"],
  ] as const
) {
  Deno.test({
    name:
      `pivot ${command} stopped by ${signal} mid-download: exit ${code}, one warning, no temp file left in the cache`,
    ignore: NOT_LINUX,
    fn: async () => {
      await using server = await freshS3Server();
      await using p = await pushedAndWiped(server.endpoint, command.replace(/\W/g, ""));
      // The download trickles (16 KiB every 40 ms: 2.6 s for the blob), so it is under way
      // when the signal comes.
      await using slow = startFaultProxy(server.endpoint, { chunkDelayMs: 40 });
      await pivot(p.root, ["remote", "modify", "origin", "endpoint", credentialed(slow.endpoint)]);
      const pivotProcess = spawnPivot(p.root, command.split(" "), AWS_ENV);
      const cache = p.path(".pivot/cache");
      await until("a download under way", () => {
        try {
          return tempFiles(cache).length > 0;
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) return false;
          throw error;
        }
      });
      Deno.kill(pivotProcess.pid, signal);
      const result = await pivotProcess.done();
      assert.deepEqual(tempFiles(cache), [], "temp files left in the cache");
      assert.deepEqual(cacheLeftovers(p.root), []);
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, new RegExp(`^warning: ${word}: ${doing} `, "m"));
      assert.equal(await p.exists("data/ml/copy.bin"), false, "the stage ran");
    },
  });
}

Deno.test({
  name:
    "pivot push stopped by SIGTERM mid-way through a multipart upload: the upload is aborted on the server, exit 143",
  ignore: NOT_LINUX,
  fn: async () => {
    await using server = await freshS3Server();
    await using p = await makeProject();
    // Above the 64 MiB multipart threshold: parts of 8 MiB.
    const piece = pseudoRandomBytes(1024 * 1024, 3);
    const file = await Deno.open(p.path("big.bin"), { write: true, create: true });
    for (let i = 0; i < 72; i++) {
      piece[0] = i;
      await file.write(piece);
    }
    file.close();
    await pivot(p.root, ["track", "big.bin"]);
    const hash = await pvtHash(p.path("big.bin.pvt"));
    // Each part trickles (16 KiB every 2 ms: about a second a part).
    await using slow = startFaultProxy(server.endpoint, { chunkDelayMs: 2 });
    await pivot(p.root, ["remote", "add", "origin", "s3://pivot/multi"]);
    await pivot(p.root, ["remote", "modify", "origin", "endpoint", credentialed(slow.endpoint)]);
    await pivot(p.root, ["remote", "modify", "origin", "path_style", "true"]);
    const pushing = spawnPivot(p.root, ["push"], AWS_ENV);
    await until("the first part under way", () => slow.uploadedBytes() > 0);
    assert.ok(slow.requests.some((r) => r.method === "POST" && r.url.includes("?uploads")));
    Deno.kill(pushing.pid, "SIGTERM");
    const result = await pushing.done();
    const aborts = slow.requests.filter((r) =>
      r.method === "DELETE" && r.url.includes("uploadId=")
    );
    assert.equal(
      aborts.length,
      1,
      JSON.stringify(slow.requests.map((r) => `${r.method} ${r.url}`)),
    );
    assert.ok(!slow.requests.some((r) => r.method === "POST" && r.url.includes("uploadId=")));
    assert.deepEqual(server.keys().filter((key) => key.includes(hash.slice(2))), []);
    assert.equal(result.code, 143, result.stderr);
    assert.match(result.stderr, /^warning: terminated: stopping the push /m);
  },
});

Deno.test({
  name:
    "pivot checkout stopped by SIGHUP while it builds a directory: the half-built copy is removed, exit 129, and the next checkout completes it",
  ignore: NOT_LINUX,
  fn: async () => {
    await using p = await makeProject();
    const files = 4000;
    await Deno.mkdir(p.path("images"));
    for (let i = 0; i < files; i++) {
      Deno.writeTextFileSync(p.path(`images/${String(i).padStart(5, "0")}.txt`), `image ${i}\n`);
    }
    await pivot(p.root, ["track", "images"]);
    await Deno.remove(p.path("images"), { recursive: true });
    const watcher = Deno.watchFs(p.root, { recursive: false });
    // Copies (a file written each) take longer to build than links.
    const checkout = spawnPivot(p.root, ["checkout", "--checkout-mode", "copy"]);
    // A checkout that ends without building (a failure) ends the wait too.
    const ended = checkout.done().finally(() => {
      try {
        watcher.close();
      } catch (error) {
        if (!(error instanceof Deno.errors.BadResource)) throw error;
      }
    });
    let signalled = false;
    for await (const event of watcher) {
      if (event.paths.some((file) => path.basename(file).startsWith(".pivot_restore_images_"))) {
        Deno.kill(checkout.pid, "SIGHUP");
        signalled = true;
        break;
      }
    }
    const result = await ended;
    assert.ok(signalled, result.stderr);
    const left = [...Deno.readDirSync(p.root)].map((entry) => entry.name).filter((name) =>
      name.startsWith(".pivot_")
    );
    assert.deepEqual(left, [], "half-built directories left in the workspace");
    assert.equal(result.code, 129, result.stderr);
    assert.match(result.stderr, /^warning: hung up: stopping the checkout /m);
    assert.equal(await p.exists("images"), false);
    // What was stopped is done by the next checkout.
    await pivot(p.root, ["checkout"]);
    assert.equal(await p.read("images/03999.txt"), "image 3999\n");
  },
});

Deno.test({
  name:
    "pivot push to a directory remote stopped by SIGTERM mid-upload: no temp file left in the remote, exit 143",
  ignore: NOT_LINUX,
  fn: async () => {
    await using p = await makeProject({ "data.txt": "tracked data\n" });
    await using remote = await tempDir();
    await pivot(p.root, ["track", "data.txt"]);
    await pivot(p.root, ["remote", "add", "origin", remote.path]);
    const hash = await pvtHash(p.path("data.txt.pvt"));
    // The cached blob as a pipe the test feeds: the upload waits for its content.
    const blob = p.path(`.pivot/cache/files/${hash.slice(0, 2)}/${hash.slice(2)}`);
    await Deno.remove(p.path("data.txt"));
    await Deno.remove(blob);
    const made = await new Deno.Command("mkfifo", { args: [blob] }).output();
    assert.ok(made.success);
    const pushing = spawnPivot(p.root, ["push"]);
    const feed = await Deno.open(blob, { write: true });
    await feed.write(new TextEncoder().encode("tracked "));
    await until("the upload under way", () => {
      try {
        return tempFiles(remote.path).length > 0;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return false;
        throw error;
      }
    });
    Deno.kill(pushing.pid, "SIGTERM");
    // The rest comes once pivot has heard the signal (or has died of it).
    await until("the signal heard", () => pushing.ended() || pushing.stderr().includes("stopping"));
    await feed.write(new TextEncoder().encode("data\n")).catch(() => 0);
    feed.close();
    const result = await pushing.done();
    assert.deepEqual(tempFiles(remote.path), [], "temp files left in the remote");
    assert.equal(result.code, 143, result.stderr);
    assert.match(result.stderr, /^warning: terminated: stopping the push /m);
  },
});

/** The blob files in the cache of `p`. */
function blobs(p: TempProject): string[] {
  const files = p.path(".pivot/cache/files");
  return [...Deno.readDirSync(files)].flatMap((bucket) =>
    [...Deno.readDirSync(path.join(files, bucket.name))].map((blob) =>
      `${bucket.name}/${blob.name}`
    )
  ).sort();
}

Deno.test({
  name:
    "pivot gc, track and checkout waiting for the cache stop on SIGINT: exit 130, one warning, nothing changed",
  ignore: NOT_LINUX,
  fn: async (t) => {
    // A live process the waiting command takes for another pivot holding the cache.
    const holder = new Deno.Command("sleep", { args: ["600"] }).spawn();
    try {
      for (
        const [command, doing, mark] of [
          ["gc --grace 0", "the collection", "writer"],
          ["track new.txt", "tracking", "gc"],
          ["checkout", "the checkout", "gc"],
        ] as const
      ) {
        await t.step(command, async () => {
          await using p = await makeProject({
            "kept.txt": "kept\n",
            "dropped.txt": "dropped\n",
            "new.txt": "new\n",
          });
          await pivot(p.root, ["track", "kept.txt", "dropped.txt"]);
          await Deno.remove(p.path("kept.txt"));
          // A blob no .pvt references any more: what gc would remove.
          await Deno.remove(p.path("dropped.txt.pvt"));
          const before = blobs(p);
          // gc waits for a writer; track and checkout wait for a gc.
          const held = mark === "gc"
            ? ".pivot/gc.running"
            : `.pivot/writer.${holder.pid}.0123456789ab.running`;
          await Deno.writeTextFile(p.path(held), `${holder.pid}\n`);
          const waiting = spawnPivot(p.root, command.split(" "));
          let result;
          try {
            await until("the wait", () => waiting.stderr().includes("waiting"));
            Deno.kill(waiting.pid, "SIGINT");
            await until("the end after the stop", () => waiting.ended());
          } finally {
            if (!waiting.ended()) Deno.kill(waiting.pid, "SIGKILL");
            result = await waiting.done();
          }
          assert.equal(result.code, 130, result.stderr);
          assert.match(result.stderr, new RegExp(`^warning: interrupted: stopping ${doing} `, "m"));
          assert.deepEqual(blobs(p), before, "the cache changed");
          assert.equal(await p.exists("new.txt.pvt"), false, "tracked while gc ran");
          assert.equal(await p.exists("kept.txt"), false, "checked out while gc ran");
        });
      }
    } finally {
      holder.kill();
      await holder.status;
    }
  },
});

Deno.test({
  name:
    "pivot checkout, push and repro stopped by SIGTERM while a pipeline.ts is still loading: exit 143 at once, not after the load timeout",
  ignore: NOT_LINUX,
  fn: async (t) => {
    for (
      const [command, doing] of [
        ["checkout", "stopping the checkout"],
        ["push", "stopping the push"],
        ["repro --force", "stopping running stages"],
        // Writing nothing, it ends as `status` does: at once, without a warning.
        ["repro --dry-run", null],
      ] as const
    ) {
      await t.step(command, async () => {
        await using p = await makeProject();
        // A module whose load never ends, once it has said it started.
        await Deno.writeTextFile(
          p.path("pipeline.ts"),
          [
            `Deno.writeTextFileSync(${JSON.stringify(p.path("loading"))}, "");`,
            "await new Promise(() => setInterval(() => {}, 1000));",
            'export default { pipeline: "p", stages: {} };',
            "",
          ].join("\n"),
        );
        const stopped = spawnPivot(p.root, command.split(" "));
        let result;
        try {
          await until("the load under way", () => p.exists("loading"));
          Deno.kill(stopped.pid, "SIGTERM");
          // Well before the 60 s load timeout.
          await until("the end after the stop", () => stopped.ended());
        } finally {
          if (!stopped.ended()) Deno.kill(stopped.pid, "SIGKILL");
          result = await stopped.done();
        }
        assert.equal(result.code, 143, result.stderr);
        if (doing === null) assert.equal(result.stderr, "");
        else assert.match(result.stderr, new RegExp(`^warning: terminated: ${doing} `, "m"));
        assert.doesNotMatch(result.stderr, /^error:/m);
      });
    }
  },
});

Deno.test({
  name:
    "pivot push stopped by SIGTERM while it lists what the remote holds: no further listing, nothing uploaded, exit 143",
  ignore: NOT_LINUX,
  fn: async () => {
    await using server = await freshS3Server();
    await using p = await makeProject();
    // Enough blobs (from 64 on) for the remote's blob directories to be listed, one request each.
    await Deno.mkdir(p.path("images"));
    for (let i = 0; i < 300; i++) {
      await Deno.writeTextFile(p.path(`images/${i}.txt`), `image ${i}\n`);
    }
    await pivot(p.root, ["track", "images"]);
    const prefixes = new Set(
      [...Deno.readDirSync(p.path(".pivot/cache/files"))].map((bucket) => bucket.name),
    );
    // Each listing's answer trickles: half a second before its first byte.
    await using slow = startFaultProxy(server.endpoint, { chunkDelayMs: 500 });
    await pivot(p.root, ["remote", "add", "origin", "s3://pivot/listed"]);
    await pivot(p.root, ["remote", "modify", "origin", "endpoint", credentialed(slow.endpoint)]);
    await pivot(p.root, ["remote", "modify", "origin", "path_style", "true"]);
    const listings = () => slow.requests.filter((r) => /[?&]prefix=/.test(r.url)).length;
    const pushing = spawnPivot(p.root, ["push"], AWS_ENV);
    await until("the listing under way", () => listings() > 0);
    Deno.kill(pushing.pid, "SIGTERM");
    const result = await pushing.done();
    assert.equal(result.code, 143, result.stderr);
    assert.match(result.stderr, /^warning: terminated: stopping the push /m);
    // Those in flight (16 at most, the default jobs) end; no other starts.
    assert.ok(
      listings() < prefixes.size,
      `${listings()} of ${prefixes.size} blob directories listed after the stop`,
    );
    assert.ok(!slow.requests.some((r) => r.method === "PUT"), "uploaded after the stop");
  },
});

Deno.test({
  name:
    "pivot track of a large directory stopped by SIGINT while caching its files: exit 130, no .pvt, no .gitignore entry; tracked by the next run",
  ignore: NOT_LINUX,
  fn: async () => {
    await using p = await makeProject({});
    const files = 8000;
    Deno.mkdirSync(p.path("raw"));
    for (let i = 0; i < files; i++) Deno.writeTextFileSync(p.path(`raw/${i}.txt`), `row ${i}\n`);
    const tracking = spawnPivot(p.root, ["track", "raw"]);
    // Files are hashed, then cached one by one (synchronous work): the stop must still be heard.
    await until("the first file cached", () => {
      try {
        return [...Deno.readDirSync(p.path(".pivot/cache/files"))].length > 0;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return false;
        throw error;
      }
    });
    Deno.kill(tracking.pid, "SIGINT");
    const result = await tracking.done();
    assert.equal(result.code, 130, result.stderr);
    assert.match(result.stderr, /^warning: interrupted: stopping tracking /m);
    assert.doesNotMatch(result.stderr, /had finished/);
    assert.ok(!(await p.exists("raw.pvt")), "raw.pvt written by a stopped track");
    const ignored = await p.exists(".gitignore") ? await p.read(".gitignore") : "";
    assert.doesNotMatch(ignored, /\/raw\//);
    // What was stopped is done by the next track.
    await pivot(p.root, ["track", "raw"]);
    assert.ok(await p.exists("raw.pvt"));
    assert.equal(await p.read("raw/7999.txt"), "row 7999\n");
  },
});
