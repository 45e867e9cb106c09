import assert from "node:assert/strict";
import {
  createHasher,
  hashBytes,
  hashFile,
  hashFileSync,
  readFull,
} from "../../src/storage/xxhash.ts";
import { pseudoRandomBytes } from "../_helpers/files.ts";
import { makeProject } from "../_helpers/project.ts";

const MIB = 1024 * 1024;

/** Reference xxHash64 (seed 0) values. */
const VECTORS: readonly [string, string][] = [
  ["", "ef46db3751d8e999"],
  ["hello world", "45ab6734b21e6968"],
  ["abc", "44bc2cf5ad770999"],
];

Deno.test("hashBytes() matches the xxHash64 test vectors", () => {
  for (const [input, expected] of VECTORS) {
    assert.equal(hashBytes(input), expected, `string ${JSON.stringify(input)}`);
    assert.equal(
      hashBytes(new TextEncoder().encode(input)),
      expected,
      `bytes of ${JSON.stringify(input)}`,
    );
  }
});

Deno.test("hashBytes() hashes a string as its UTF-8 bytes", () => {
  const text = "dög 😀 ﬀ";
  assert.equal(hashBytes(text), hashBytes(new TextEncoder().encode(text)));
  assert.notEqual(hashBytes("dög"), hashBytes("dog"));
});

Deno.test("hashBytes() gives 16 lowercase hex characters and no state between calls", () => {
  const first = hashBytes("abc");
  hashBytes(pseudoRandomBytes(1000));
  assert.equal(hashBytes("abc"), first);
  for (let size = 0; size < 40; size++) {
    assert.match(hashBytes(pseudoRandomBytes(size)), /^[0-9a-f]{16}$/);
  }
});

Deno.test("createHasher() fed in pieces equals hashBytes() of the whole", async () => {
  const data = pseudoRandomBytes(10_000);
  const hasher = await createHasher();
  hasher.init();
  for (let start = 0; start < data.length; start += 777) {
    hasher.update(data.subarray(start, start + 777));
  }
  assert.equal(hasher.digest("hex"), hashBytes(data));
});

Deno.test("hashFile() and hashFileSync() match the test vectors for small files", async () => {
  await using p = await makeProject({}, { init: false });
  for (const [i, [content, expected]] of VECTORS.entries()) {
    const file = p.path(`f${i}.txt`);
    await Deno.writeTextFile(file, content);
    assert.equal(await hashFile(file), expected, `hashFile of ${JSON.stringify(content)}`);
    assert.equal(hashFileSync(file), expected, `hashFileSync of ${JSON.stringify(content)}`);
  }
});

Deno.test("hashFile() of an empty file is the hash of no bytes", async () => {
  await using p = await makeProject({}, { init: false });
  const file = p.path("empty");
  await Deno.writeFile(file, new Uint8Array(0));
  assert.equal(await hashFile(file), "ef46db3751d8e999");
  assert.equal(hashFileSync(file), "ef46db3751d8e999");
});

Deno.test("hashFile() streams a file larger than 4 MiB to the same hash as hashBytes()", async () => {
  await using p = await makeProject({}, { init: false });
  const data = pseudoRandomBytes(9 * MIB + 3);
  const file = p.path("big.bin");
  await Deno.writeFile(file, data);
  const expected = hashBytes(data);
  assert.equal(await hashFile(file), expected);
  assert.equal(hashFileSync(file), expected);
  // One flipped byte in the last, partial chunk changes the hash.
  data[data.length - 2] = data[data.length - 2]! ^ 0x01;
  await Deno.writeFile(file, data);
  const changed = await hashFile(file);
  assert.notEqual(changed, expected);
  assert.equal(changed, hashBytes(data));
});

Deno.test("hashFile() agrees with hashBytes() around the whole-read and chunk boundaries", async (t) => {
  await using p = await makeProject({}, { init: false });
  const sizes = [4 * MIB - 1, 4 * MIB, 4 * MIB + 1, 8 * MIB, 8 * MIB + 1];
  for (const size of sizes) {
    await t.step(`${size} bytes`, async () => {
      const data = pseudoRandomBytes(size, size);
      const file = p.path(`f${size}.bin`);
      await Deno.writeFile(file, data);
      assert.equal(await hashFile(file), hashBytes(data));
    });
  }
});

Deno.test("readFull() fills the buffer, or returns the byte count at end of file", async () => {
  await using p = await makeProject({}, { init: false });
  const file = p.path("ten");
  await Deno.writeFile(file, new TextEncoder().encode("0123456789"));
  using handle = await Deno.open(file);
  const buffer = new Uint8Array(4);
  assert.equal(await readFull(handle, buffer), 4);
  assert.equal(new TextDecoder().decode(buffer), "0123");
  assert.equal(await readFull(handle, buffer), 4);
  assert.equal(new TextDecoder().decode(buffer), "4567");
  assert.equal(await readFull(handle, buffer), 2);
  assert.equal(new TextDecoder().decode(buffer.subarray(0, 2)), "89");
  assert.equal(await readFull(handle, buffer), 0);
});
