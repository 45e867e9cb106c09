import assert from "node:assert/strict";
import * as path from "node:path";
import {
  claimSentinel,
  processAlive,
  releaseSentinel,
  sentinelHolder,
} from "../../src/engine/running_sentinel.ts";
import { exists, names, tempDir } from "../_helpers/files.ts";

/** A `sleep 5` child process, killed and reaped on dispose. */
function sleeper(): { pid: number } & AsyncDisposable {
  const child = new Deno.Command("sleep", { args: ["5"], stdout: "null", stderr: "null" }).spawn();
  return {
    pid: child.pid,
    [Symbol.asyncDispose]: async () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

/** The PID of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

Deno.test("claimSentinel() creates the sentinel (and its directory) holding our PID", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "ml", "train.running");
  assert.equal(claimSentinel(sentinel), null);
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\n`);
  assert.deepEqual(names(path.join(dir.path, "ml")), ["train.running"]);
});

Deno.test("claimSentinel() returns the PID of a live process holding the sentinel", async () => {
  await using dir = await tempDir();
  await using other = sleeper();
  const sentinel = path.join(dir.path, "train.running");
  await Deno.writeTextFile(sentinel, `${other.pid}\n`);
  assert.equal(claimSentinel(sentinel), other.pid);
  assert.equal(await Deno.readTextFile(sentinel), `${other.pid}\n`);
  assert.deepEqual(names(dir.path), ["train.running"]);
});

Deno.test("claimSentinel() takes over a sentinel whose process is gone", async () => {
  await using dir = await tempDir();
  const pid = await deadPid();
  assert.equal(processAlive(pid), false);
  const sentinel = path.join(dir.path, "train.running");
  await Deno.writeTextFile(sentinel, `${pid}\n`);
  assert.equal(claimSentinel(sentinel), null);
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\n`);
  // The temporary file of the takeover is gone.
  assert.deepEqual(names(dir.path), ["train.running"]);
});

Deno.test("claimSentinel() takes over a sentinel holding garbage", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "train.running");
  for (const content of ["not a pid\n", "", "-5\n", "0\n"]) {
    await Deno.writeTextFile(sentinel, content);
    assert.equal(claimSentinel(sentinel), null, JSON.stringify(content));
    assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\n`, JSON.stringify(content));
  }
  assert.deepEqual(names(dir.path), ["train.running"]);
});

Deno.test("claimSentinel() claims a sentinel that already holds our own PID", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "train.running");
  assert.equal(claimSentinel(sentinel), null);
  assert.equal(claimSentinel(sentinel), null);
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\n`);
});

Deno.test("releaseSentinel() removes our own sentinel", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "train.running");
  assert.equal(claimSentinel(sentinel), null);
  releaseSentinel(sentinel);
  assert.equal(exists(sentinel), false);
  // Releasing again (nothing there) is fine, and the stage can be claimed again.
  releaseSentinel(sentinel);
  assert.equal(claimSentinel(sentinel), null);
});

Deno.test("releaseSentinel() leaves a sentinel held by another process", async () => {
  await using dir = await tempDir();
  await using other = sleeper();
  const sentinel = path.join(dir.path, "train.running");
  await Deno.writeTextFile(sentinel, `${other.pid}\n`);
  releaseSentinel(sentinel);
  assert.equal(await Deno.readTextFile(sentinel), `${other.pid}\n`);
  await Deno.writeTextFile(sentinel, "garbage\n");
  releaseSentinel(sentinel);
  assert.equal(await Deno.readTextFile(sentinel), "garbage\n");
});

Deno.test("processAlive() is true for this process and a running child", async () => {
  await using other = sleeper();
  assert.equal(processAlive(Deno.pid), true);
  assert.equal(processAlive(other.pid), true);
});

Deno.test("processAlive() is false for an exited process and for invalid PIDs", async () => {
  assert.equal(processAlive(await deadPid()), false);
  for (const pid of [0, -1, Number.NaN, 1.5, Number.MAX_VALUE]) {
    assert.equal(processAlive(pid), false, String(pid));
  }
});

Deno.test("sentinelHolder() returns the PID of a live process holding the sentinel", async () => {
  await using dir = await tempDir();
  await using other = sleeper();
  const sentinel = path.join(dir.path, "train.running");
  await Deno.writeTextFile(sentinel, `${other.pid}\n`);
  assert.equal(sentinelHolder(sentinel), other.pid);
  // Only a check: the sentinel is left as it was.
  assert.equal(await Deno.readTextFile(sentinel), `${other.pid}\n`);
});

Deno.test("sentinelHolder() is null for a free, own, stale or garbage sentinel", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "missing", "train.running");
  assert.equal(sentinelHolder(sentinel), null);
  assert.equal(exists(path.join(dir.path, "missing")), false);
  await Deno.mkdir(path.dirname(sentinel));
  for (const content of [`${Deno.pid}\n`, `${await deadPid()}\n`, "garbage\n", ""]) {
    await Deno.writeTextFile(sentinel, content);
    assert.equal(sentinelHolder(sentinel), null, JSON.stringify(content));
    assert.equal(await Deno.readTextFile(sentinel), content);
  }
});
