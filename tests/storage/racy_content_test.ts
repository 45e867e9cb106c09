import assert from "node:assert/strict";
import * as path from "node:path";
import { fileSignature } from "../../src/storage/file_signature.ts";
import {
  RACY_DIR_ENTRIES_LIMIT,
  racyCost,
  racyCostOf,
  racyDigest,
  racyEntryHolds,
  takeRacyEntry,
} from "../../src/storage/racy_content.ts";
import { openPreciseStat } from "../../src/util/precise_stat.ts";

async function withTempDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a racy file is held by its size and digest, and a same-size rewrite is seen", async () => {
  await withTempDir(async (dir) => {
    using stats = openPreciseStat();
    const file = path.join(dir, "out.bin");
    const bytes = new Uint8Array([0, 1, 2, 0x22, 0x5c, 0xff, 10]);
    await Deno.writeFile(file, bytes);
    const entry = takeRacyEntry(stats, file, fileSignature(stats, file)!, 1024);
    assert.deepEqual(entry, {
      text: `f:7:${racyDigest(bytes)}`,
      cost: 7,
      read: { bytes },
    });
    assert.equal(racyCost(entry!.text), 7);
    assert.ok(racyEntryHolds(file, entry!.text));
    await Deno.writeFile(file, new Uint8Array([0, 1, 2, 0x22, 0x5c, 0xfe, 10]));
    assert.ok(!racyEntryHolds(file, entry!.text));
    await Deno.writeFile(file, new Uint8Array([...bytes, 0]));
    assert.ok(!racyEntryHolds(file, entry!.text), "grown by a byte");
  });
});

Deno.test("a racy file larger than the budget, by its signature, is rejected before it is read", async () => {
  await withTempDir(async (dir) => {
    using stats = openPreciseStat();
    const file = path.join(dir, "out.bin");
    await Deno.writeFile(file, new Uint8Array(10));
    const signature = fileSignature(stats, file)!;
    assert.equal(takeRacyEntry(stats, file, signature, 9), null);
    assert.notEqual(takeRacyEntry(stats, file, signature, 10), null);
    // The size the signature tells decides, whatever the file holds.
    await Deno.remove(file);
    assert.equal(takeRacyEntry(stats, file, { ...signature, size: 11 }, 10), null);
  });
});

Deno.test("a racy directory holds its names' digest; too many entries are not kept", async () => {
  await withTempDir(async (dir) => {
    using stats = openPreciseStat();
    await Deno.writeTextFile(path.join(dir, "a.txt"), "");
    await Deno.mkdir(path.join(dir, "sub"));
    const entry = takeRacyEntry(stats, dir, fileSignature(stats, dir)!, 1024);
    const names = new TextEncoder().encode("a.txt\0sub/");
    assert.equal(entry?.text, `d:2:${names.length}:${racyDigest(names)}`);
    assert.equal(racyCostOf({ [dir]: entry!.text, other: "f:5:0000000000000000" }), 15);
    assert.ok(racyEntryHolds(dir, entry!.text));
    await Deno.writeTextFile(path.join(dir, "b.txt"), "");
    assert.ok(!racyEntryHolds(dir, entry!.text));
    for (let i = 0; i < RACY_DIR_ENTRIES_LIMIT; i++) {
      Deno.writeTextFileSync(path.join(dir, `f${i}`), "");
    }
    assert.equal(takeRacyEntry(stats, dir, fileSignature(stats, dir)!, 1024 * 1024), null);
  });
});

Deno.test("a racy entry with a time ahead of the clock is not kept", async () => {
  await withTempDir(async (dir) => {
    using stats = openPreciseStat();
    const file = path.join(dir, "out.bin");
    await Deno.writeFile(file, new Uint8Array(3));
    const later = new Date(Date.now() + 60_000);
    await Deno.utime(file, later, later);
    assert.equal(takeRacyEntry(stats, file, fileSignature(stats, file)!, 1024), null);
  });
});

Deno.test("racyDigest() tells apart a change of any byte, within its words or after them", () => {
  for (let length = 0; length <= 17; length++) {
    const base = new Uint8Array(length).map((_, i) => i * 37);
    const seen = new Set([racyDigest(base)]);
    for (let at = 0; at < length; at++) {
      for (const flip of [1, 2, 4, 8, 16, 32, 64, 0x80, 0xff, 0x81]) {
        const changed = base.slice();
        changed[at]! ^= flip;
        const digest = racyDigest(changed);
        assert.match(digest, /^[0-9a-f]{16}$/);
        assert.ok(!seen.has(digest), `length ${length}, byte ${at} ^ ${flip}`);
        seen.add(digest);
      }
    }
    // The length is part of it: a zero byte more is another content.
    assert.notEqual(racyDigest(new Uint8Array(length)), racyDigest(new Uint8Array(length + 1)));
  }
});
