import assert from "node:assert/strict";
import * as path from "node:path";
import { atomicWrite, tempPathBeside } from "../../src/util/atomic_write.ts";
import { PivotError } from "../../src/util/errors.ts";
import { names, tempDir } from "../_helpers/files.ts";

Deno.test("atomicWrite() replaces the file whole, creates a missing directory and leaves no temp file", async () => {
  await using dir = await tempDir();
  const file = path.join(dir.path, "stages", "ml", "train.lock");
  atomicWrite(file, "first\n");
  assert.equal(await Deno.readTextFile(file), "first\n");
  atomicWrite(file, new TextEncoder().encode("second, longer\n"));
  assert.equal(await Deno.readTextFile(file), "second, longer\n");
  assert.deepEqual(names(path.dirname(file)), ["train.lock"]);
});

Deno.test("atomicWrite() names the file when a file stands where its directory should be, and writes nothing", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(path.join(dir.path, "stages"), "a file, not a directory\n");
  const file = path.join(dir.path, "stages", "train.lock");
  assert.throws(
    () => atomicWrite(file, "text\n"),
    (error: unknown) => error instanceof PivotError && error.message.includes(file),
  );
  assert.deepEqual(names(dir.path), ["stages"]);
});

Deno.test("tempPathBeside() names a hidden temp file in the file's own directory, also for a path with '.' or '..' in it", () => {
  const pattern = (dir: string, name: string) =>
    new RegExp(
      `^${dir.replaceAll("/", "\\/")}\\/\\.${name.replaceAll(".", "\\.")}\\.[0-9a-f-]{36}\\.tmp$`,
    );
  assert.match(
    tempPathBeside("/p/.pivot/stages/ml/train.lock"),
    pattern("/p/.pivot/stages/ml", "train.lock"),
  );
  assert.match(tempPathBeside("/p/./stages/../ml//train.lock"), pattern("/p/ml", "train.lock"));
  assert.match(tempPathBeside("/train.lock"), pattern("", "train.lock"));
  assert.notEqual(tempPathBeside("/p/a"), tempPathBeside("/p/a"));
});
