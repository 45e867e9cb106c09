import assert from "node:assert/strict";
import * as path from "node:path";
import { writeFileMakingDirSync } from "../../src/util/fs.ts";
import { tempDir } from "../_helpers/files.ts";

Deno.test("writeFileMakingDirSync() writes into a directory that exists without making it, and makes one that is missing", async () => {
  await using dir = await tempDir();
  const mkdirSync = Deno.mkdirSync;
  const made: string[] = [];
  Deno.mkdirSync = (target, options) => {
    made.push(String(target));
    mkdirSync(target, options);
  };
  try {
    const there = path.join(dir.path, "there.txt");
    writeFileMakingDirSync(there, new TextEncoder().encode("one\n"));
    writeFileMakingDirSync(there, new TextEncoder().encode("two\n"));
    assert.equal(await Deno.readTextFile(there), "two\n");
    assert.deepEqual(made, []);
    const deep = path.join(dir.path, "data", "bench", "s1.txt");
    writeFileMakingDirSync(deep, new TextEncoder().encode("deep\n"));
    assert.equal(await Deno.readTextFile(deep), "deep\n");
    assert.deepEqual(made, [path.dirname(deep)]);
  } finally {
    Deno.mkdirSync = mkdirSync;
  }
});
