import assert from "node:assert/strict";
import * as path from "node:path";
import { ABSENT, fileSignature, fileSignatureText } from "../../src/storage/file_signature.ts";
import { PATH_ABSENT, type PreciseInfo, type PreciseStat } from "../../src/util/precise_stat.ts";

/** A `stat` that answers `infos` by path (anything else is absent). */
function fakeStats(infos: Record<string, PreciseInfo>): PreciseStat {
  return {
    precise: true,
    stat: (file) => infos[file] ?? PATH_ABSENT,
    [Symbol.dispose]() {},
  };
}

const FILE: PreciseInfo = {
  kind: "file",
  size: 416,
  ino: 14671848,
  nlink: 1,
  mode: 0o100644,
  mtimeSec: 1796650108,
  mtimeNsec: 633437,
  ctimeSec: 1796650108,
  ctimeNsec: 633437,
};

Deno.test("fileSignature() text: kind, size, mtime to the nanosecond, ctime (`=` when the mtime), inode", () => {
  const stats = fakeStats({
    "/p/a.lock": FILE,
    "/p/b.txt": { ...FILE, kind: "file", size: 5, ctimeSec: 1796650117, ctimeNsec: 510321009 },
    "/p/d": { ...FILE, kind: "directory", size: 4096, ino: 7 },
    "/p/l": { ...FILE, kind: "symlink", size: 9, ino: 8 },
  });
  assert.equal(fileSignatureText(stats, "/p/a.lock"), "f:416:1796650108.000633437:=:14671848");
  assert.equal(
    fileSignatureText(stats, "/p/b.txt"),
    "f:5:1796650108.000633437:1796650117.510321009:14671848",
  );
  assert.equal(fileSignatureText(stats, "/p/d"), "d:4096:1796650108.000633437:=:7");
  assert.equal(fileSignatureText(stats, "/p/l", false), "l:9:1796650108.000633437:=:8");
  assert.equal(fileSignatureText(stats, "/p/missing"), ABSENT);
  const signature = fileSignature(stats, "/p/b.txt")!;
  assert.equal(signature.text, "f:5:1796650108.000633437:1796650117.510321009:14671848");
  assert.equal(signature.size, 5);
});

// A stamp of 10,000 stages holds 30,000 signatures until it is written: each must be one flat
// string, not the tree of pieces a concatenation leaves (~250 bytes each instead of ~65).
Deno.test("fileSignature() texts are flat strings: 30,000 of them hold under 120 bytes each", async () => {
  const module = path.resolve(import.meta.dirname!, "../../src/storage/file_signature.ts");
  const script = `
    import { fileSignature } from ${JSON.stringify(module)};
    const info = (i) => ({
      kind: "file", size: i % 1000, ino: 14531645 + i, nlink: 1, mode: 0o100644,
      mtimeSec: 1796650117 + (i % 7), mtimeNsec: 509804824 + i,
      ctimeSec: 1796650117 + (i % 7), ctimeNsec: i % 2 === 0 ? 509804824 + i : 9,
    });
    const stats = { precise: true, stat: (file) => info(Number(file)), [Symbol.dispose]() {} };
    const count = 30000;
    const texts = new Array(count);
    gc(); gc();
    const before = Deno.memoryUsage().heapUsed;
    for (let i = 0; i < count; i++) texts[i] = fileSignature(stats, String(i)).text;
    gc(); gc();
    const after = Deno.memoryUsage().heapUsed;
    console.log(Math.round((after - before) / count), texts.length);
  `;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--v8-flags=--expose-gc", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const [perText, count] = new TextDecoder().decode(stdout).trim().split(" ").map(Number);
  assert.equal(count, 30000);
  assert.ok(perText! < 120, `${perText} bytes per signature text`);
});
