import assert from "node:assert/strict";
import * as path from "node:path";
import { atomicWrite, atomicWriteAsync } from "../../src/util/atomic_write.ts";
import { PivotError } from "../../src/util/errors.ts";
import { names, tempDir } from "../_helpers/files.ts";

const writers = {
  "atomicWrite()": (file: string, text: string) => {
    atomicWrite(file, text);
    return Promise.resolve();
  },
  "atomicWriteAsync()": atomicWriteAsync,
};

for (const [label, write] of Object.entries(writers)) {
  Deno.test(`${label} replaces the file whole, creates a missing directory and leaves no temp file`, async () => {
    await using dir = await tempDir();
    const file = path.join(dir.path, "stages", "ml", "train.lock");
    await write(file, "first\n");
    assert.equal(await Deno.readTextFile(file), "first\n");
    await write(file, "second, longer\n");
    assert.equal(await Deno.readTextFile(file), "second, longer\n");
    assert.deepEqual(names(path.dirname(file)), ["train.lock"]);
  });
}

Deno.test("atomicWriteAsync() names the file when a file stands where its directory should be, and writes nothing", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(path.join(dir.path, "stages"), "a file, not a directory\n");
  const file = path.join(dir.path, "stages", "train.lock");
  await assert.rejects(
    () => atomicWriteAsync(file, "text\n"),
    (error: unknown) => error instanceof PivotError && error.message.includes(file),
  );
  assert.deepEqual(names(dir.path), ["stages"]);
});
