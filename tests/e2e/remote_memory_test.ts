import assert from "node:assert/strict";
import * as path from "node:path";
import { pseudoRandomBytes, tempDir } from "../_helpers/files.ts";
import { pivotCommand } from "../_helpers/project.ts";
import { startS3Server } from "../_helpers/s3_server.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { AWS_ENV, cloneOf, git, pivot, ranProject, testRemote } from "./_remote_fixture.ts";

/** Runs pivot and returns its peak resident memory (VmHWM, bytes), read from /proc while it runs. */
async function peakMemory(cwd: string, args: string[]): Promise<number> {
  const child = pivotCommand(cwd, args, { env: AWS_ENV, stdout: "null" }).spawn();
  let peak = 0;
  let done = false;
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  while (!done) {
    try {
      const text = await Deno.readTextFile(`/proc/${child.pid}/status`);
      const kb = Number(text.match(/^VmHWM:\s+(\d+) kB$/m)?.[1] ?? 0);
      peak = Math.max(peak, kb * 1024);
    } catch {
      // the process has just exited
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const { code } = await status;
  const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
  assert.equal(code, 0, `pivot ${args.join(" ")}: ${stderr}`);
  return peak;
}

Deno.test({
  name: "pivot push and pull of a 256 MiB blob (a multipart upload) never hold it in memory",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using server = await startS3Server();
    await using dirs = await tempDir();
    const remote = testRemote("s3", server, dirs, "memory");
    await using source = await ranProject(remote);
    const small = await peakMemory(source.path, ["push"]);

    const piece = pseudoRandomBytes(1024 * 1024, 11);
    const big = path.join(source.path, "big.bin");
    const file = await Deno.open(big, { write: true, create: true });
    for (let i = 0; i < 256; i++) {
      piece[0] = i;
      await file.write(piece);
    }
    file.close();
    await pivot(source.path, ["track", "big.bin"]);
    await git(source.path, "add", "-A");
    await git(source.path, "commit", "-q", "-m", "big");
    const pushPeak = await peakMemory(source.path, ["push", "big.bin"]);
    const bigHash = (await Deno.readTextFile(`${big}.pvt`)).match(/hash: "([0-9a-f]{16})"/)![1]!;
    assert.equal(await remote.size(`files/${bigHash.slice(0, 2)}/${bigHash.slice(2)}`), 256 << 20);

    await using clone = await cloneOf(source.path);
    const pullPeak = await peakMemory(clone.path, ["pull", "big.bin"]);
    const pulled = await Deno.readFile(path.join(clone.path, "big.bin"));
    assert.equal(hashBytes(pulled), bigHash);
    // Buffers wait for the garbage collector, so memory grows by a bounded amount (about
    // 110 MiB here, the same for 96 and 320 MiB blobs), well below the blob's size.
    const limit = small + 160 * 1024 * 1024;
    assert.ok(pushPeak < limit, `push peak ${pushPeak >> 20} MiB, small push ${small >> 20} MiB`);
    assert.ok(pullPeak < limit, `pull peak ${pullPeak >> 20} MiB, small push ${small >> 20} MiB`);
  },
});
