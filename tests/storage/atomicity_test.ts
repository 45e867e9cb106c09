import assert from "node:assert/strict";
import * as path from "node:path";
import {
  ContentCache,
  hashFile,
  parseLock,
  serializeLock,
  type StageLock,
  STALE_TEMP_MS,
} from "../../src/storage/mod.ts";
import { exists, modeOf, names } from "../_helpers/files.ts";
import { makeProject } from "../_helpers/project.ts";
import { LOCK_A, LOCK_B } from "./_writers/locks.ts";

const WRITERS = path.join(import.meta.dirname!, "_writers");
const CONFIG = path.resolve(import.meta.dirname!, "../../deno.json");
const MiB = 1024 * 1024;

/** Starts `deno run` on a writer script; stdout is dropped, stderr kept for diagnostics. */
function spawnWriter(script: string, args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", "--config", CONFIG, path.join(WRITERS, script), ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  child.status.then(() => (exited = true));
  return {
    child,
    exited: () => exited,
    /** Sends SIGKILL unless it has exited, then waits for it. */
    kill: async () => {
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch { /* exited meanwhile */ }
      }
      const output = await child.output();
      return {
        code: output.code,
        signal: output.signal,
        stderrText: new TextDecoder().decode(output.stderr),
      };
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `size` bytes of a deterministic pattern (each 1 MiB block numbered) in 4 MiB chunks. */
async function writePatternFile(file: string, size: number): Promise<void> {
  const chunk = new Uint8Array(4 * MiB);
  const view = new DataView(chunk.buffer);
  using handle = await Deno.open(file, { write: true, create: true, truncate: true });
  for (let offset = 0; offset < size; offset += chunk.length) {
    for (let i = 0; i < chunk.length; i += 4) view.setUint32(i, (offset + i) * 2654435761 >>> 0);
    const part = chunk.subarray(0, Math.min(chunk.length, size - offset));
    let written = 0;
    while (written < part.length) written += await handle.write(part.subarray(written));
  }
}

Deno.test("killing a writer never leaves a half-written blob", async () => {
  await using project = await makeProject({}, { init: false });
  const source = project.path("big.bin");
  const size = 200 * MiB;
  await writePatternFile(source, size);
  const hash = await hashFile(source);
  const cache = new ContentCache(project.path("cache"));
  const blob = cache.blobPath(hash);
  const blobDir = path.dirname(blob);

  const writer = spawnWriter("blob_writer.ts", [cache.dir, source, hash]);
  // Kill it as soon as anything shows up in the blob dir (a temp file, or the
  // blob itself should it be written in place).
  let seen: string | undefined;
  const deadline = Date.now() + 60_000;
  while (seen === undefined && !writer.exited() && Date.now() < deadline) {
    seen = names(blobDir)[0];
    if (seen === undefined) await sleep(1);
  }
  const result = await writer.kill();
  assert.ok(seen !== undefined || writer.exited(), "nothing appeared in the blob dir within 60 s");

  if (exists(blob)) {
    // The writer won the race and finished: the blob must then be whole.
    assert.equal(result.code, 0, result.stderrText);
    assert.equal(Deno.statSync(blob).size, size);
    assert.equal(await hashFile(blob), hash);
    assert.equal(modeOf(blob), 0o444);
  } else {
    assert.equal(result.signal, "SIGKILL", `writer ended on its own: ${result.stderrText}`);
    assert.equal(cache.has(hash), false);
    assert.deepEqual([...cache.listBlobs()], []);
    // A temp file may be left behind: only a leftover once it is stale.
    const temps = names(blobDir).filter((name) => name.endsWith(".tmp"));
    assert.deepEqual(names(blobDir).sort(), temps.sort(), "only temp files in the blob dir");
    for (const name of temps) assert.ok(Deno.statSync(path.join(blobDir, name)).size < size);
    assert.deepEqual([...cache.listLeftovers()], []);
    assert.deepEqual(
      [...cache.listLeftovers(Date.now() + STALE_TEMP_MS + 60_000)].map((f) => f.path).sort(),
      temps.map((name) => path.join(blobDir, name)).sort(),
    );
  }

  // Caching again after the kill works and gives the whole blob.
  await cache.addFile(source, hash);
  assert.equal(Deno.statSync(blob).size, size);
  assert.equal(await hashFile(blob), hash);
  assert.deepEqual([...cache.listBlobs()].map((info) => info.hash), [hash]);
});

Deno.test("killing a writer never leaves a half-written lock", async (t) => {
  const locks: StageLock[] = [LOCK_A, LOCK_B];
  // The two locks survive a round trip and differ, so the check below means something.
  for (const lock of locks) assert.deepEqual(await parseLock(serializeLock(lock)), lock);
  assert.notDeepEqual(LOCK_A, LOCK_B);
  const texts = locks.map(serializeLock);
  assert.ok(texts[1]!.length > 32 * 1024, "LOCK_B should be tens of KiB");

  for (let round = 1; round <= 5; round++) {
    await t.step(`round ${round}`, async () => {
      await using project = await makeProject({}, { init: false });
      const file = project.path(".pivot/stages/ml/train@small.lock");
      const writer = spawnWriter("lock_writer.ts", [file]);

      const deadline = Date.now() + 60_000;
      while (!exists(file) && !writer.exited() && Date.now() < deadline) await sleep(1);
      // While it writes, a reader only ever sees one lock or the other.
      const firstSeen = Date.now();
      const versions = new Set<string>();
      let reads = 0;
      let partial: string | null = null;
      while (partial === null && Date.now() - firstSeen < 300 && !writer.exited()) {
        for (let i = 0; i < 20 && partial === null; i++) {
          const text = Deno.readTextFileSync(file);
          reads++;
          if (!texts.includes(text)) partial = text;
          const info = Deno.statSync(file);
          versions.add(`${info.ino}:${info.size}`);
        }
        await sleep(1);
      }
      const result = await writer.kill();

      assert.equal(partial, null, `read ${reads} saw a partial lock (${partial?.length} chars)`);
      assert.equal(result.signal, "SIGKILL", `writer ended on its own: ${result.stderrText}`);
      assert.ok(versions.size > 1, "the lock file was not rewritten while watched");
      const parsed = await parseLock(Deno.readTextFileSync(file));
      assert.ok(
        locks.some((lock) => {
          try {
            assert.deepEqual(parsed, lock);
            return true;
          } catch {
            return false;
          }
        }),
        `the lock read back is neither LOCK_A nor LOCK_B: ${parsed.stage}`,
      );
    });
  }
});
