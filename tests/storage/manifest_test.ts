import assert from "node:assert/strict";
import * as path from "node:path";
import { ContentCache } from "../../src/storage/content_cache.ts";
import { FileHasher } from "../../src/storage/file_hasher.ts";
import {
  compareCodePoints,
  isDirHash,
  isSkippedFileName,
  listDirectoryFiles,
  type ManifestEntry,
  manifestJson,
  pythonJsonString,
  treeHash,
} from "../../src/storage/manifest.ts";
import { hashBytes } from "../../src/storage/xxhash.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { PETS } from "../_helpers/storage.ts";

Deno.test("treeHash() matches the original Pivot's tree hashes", () => {
  assert.equal(treeHash(PETS), "55211bc0d7941edc");
  assert.equal(treeHash([]), "ccab0b28617f1f56");
});

Deno.test("treeHash() changes with every field of an entry", () => {
  const base = treeHash(PETS);
  const variants: ManifestEntry[][] = [
    [{ ...PETS[0]!, relpath: "cat.jpeg" }, PETS[1]!],
    [{ ...PETS[0]!, hash: "70227ad56ed7a20e" }, PETS[1]!],
    [{ ...PETS[0]!, size: 10 }, PETS[1]!],
    [{ ...PETS[0]!, isexec: true }, PETS[1]!],
    [PETS[0]!],
  ];
  for (const variant of variants) assert.notEqual(treeHash(variant), base);
});

Deno.test("manifestJson() writes sorted keys without spaces, like Python's json.dumps", () => {
  assert.equal(
    manifestJson(PETS),
    '[{"hash":"70227ad56ed7a20d","isexec":false,"relpath":"cat.jpg","size":9},' +
      '{"hash":"e26dc7fc8da8773f","isexec":true,"relpath":"sub/dog.jpg","size":9}]',
  );
  assert.equal(manifestJson([]), "[]");
});

Deno.test("manifestJson() escapes relpaths like json.dumps(ensure_ascii=True)", () => {
  const entry = (relpath: string): ManifestEntry => ({
    relpath,
    hash: "0000000000000000",
    size: 0,
    isexec: false,
  });
  assert.equal(
    manifestJson([entry('q"uote\\tab\t\u00f6\u{1F600}\x7f')]),
    '[{"hash":"0000000000000000","isexec":false,' +
      '"relpath":"q\\"uote\\\\tab\\t\\u00f6\\ud83d\\ude00\\u007f","size":0}]',
  );
});

Deno.test("pythonJsonString() escapes exactly what Python's ensure_ascii escapes", () => {
  const cases: [string, string][] = [
    ["plain.txt", '"plain.txt"'],
    [" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~", `" !#$%&'()*+,-./09:;<=>?@AZ[]^_\`az{|}~"`],
    ['"', '"\\""'],
    ["\\", '"\\\\"'],
    ["\t", '"\\t"'],
    ["\n", '"\\n"'],
    ["\r", '"\\r"'],
    ["\b", '"\\b"'],
    ["\f", '"\\f"'],
    ["\x00", '"\\u0000"'],
    ["\x01", '"\\u0001"'],
    ["\x1f", '"\\u001f"'],
    ["\x7f", '"\\u007f"'],
    ["\x80", '"\\u0080"'],
    ["ö", '"\\u00f6"'],
    ["ﬀ", '"\\ufb00"'],
    ["\uFFFF", '"\\uffff"'],
    ["😀", '"\\ud83d\\ude00"'],
    ["", '""'],
  ];
  for (const [value, expected] of cases) {
    assert.equal(pythonJsonString(value), expected, JSON.stringify(value));
  }
});

Deno.test("compareCodePoints() orders by code point where JS < orders by UTF-16 unit", () => {
  const ff = "\uFB00";
  const grin = "\u{1F600}";
  assert.ok(ff > grin, "JS compares the surrogate 0xD83D below 0xFB00");
  assert.ok(compareCodePoints(ff, grin) < 0);
  assert.ok(compareCodePoints(grin, ff) > 0);
  assert.ok(compareCodePoints(`sub/${ff}.txt`, `sub/${grin}.txt`) < 0);
  // Below the surrogate range, UTF-16 and code-point order agree.
  assert.ok(compareCodePoints("\uD7FF", grin) < 0);
  assert.ok(compareCodePoints(grin, "\uD7FF") > 0);
  assert.ok(compareCodePoints("z", grin) < 0);
  // Two astral characters compare by their surrogates.
  assert.ok(compareCodePoints("\u{1F600}", "\u{1F601}") < 0);
  assert.ok(compareCodePoints("\u{10000}", "\u{10FFFF}") < 0);
});

Deno.test("compareCodePoints() puts a.txt before a/b and a prefix first", () => {
  assert.ok(compareCodePoints("a.txt", "a/b") < 0);
  assert.ok(compareCodePoints("a/b", "a.txt") > 0);
  assert.ok(compareCodePoints("a", "a/b") < 0);
  assert.ok(compareCodePoints("a/b", "a") > 0);
  assert.ok(compareCodePoints("B", "a") < 0);
  assert.equal(compareCodePoints("same", "same"), 0);
  assert.equal(compareCodePoints("", ""), 0);
});

Deno.test("compareCodePoints() sorts like Python's sorted()", () => {
  const items = ["\u{1F600}", "\uFB00", "a/b", "a.txt", "\uD7FF", "b", "B", "é", "a"];
  // sorted([...]) in Python 3.
  assert.deepEqual([...items].sort(compareCodePoints), [
    "B",
    "a",
    "a.txt",
    "a/b",
    "b",
    "é",
    "\uD7FF",
    "\uFB00",
    "\u{1F600}",
  ]);
});

Deno.test("isSkippedFileName() skips bytecode, swap and backup files", () => {
  for (const name of ["x.pyc", "x.pyo", ".x.swp", ".x.swo", "notes~", ".#lock"]) {
    assert.equal(isSkippedFileName(name), true, name);
  }
  for (const name of ["x.py", "pyc", "x.pyc.txt", "swp", "a~b", "a.#b", "#x#", "run.sh"]) {
    assert.equal(isSkippedFileName(name), false, name);
  }
});

Deno.test("isDirHash() tells a directory hash from a file hash", () => {
  assert.equal(isDirHash({ hash: "55211bc0d7941edc", manifest: PETS }), true);
  assert.equal(isDirHash({ hash: "55211bc0d7941edc", manifest: [] }), true);
  assert.equal(isDirHash({ hash: "45ab6734b21e6968" }), false);
});

/** The directory cross-checked against Python's json.dumps: its files and what to ignore. */
async function makeVectorDirectory(): Promise<TempProject> {
  const p = await makeProject({
    "d/a.txt": "hello world",
    "d/a/b": "abc",
    'd/q"uote\\.txt': "q",
    "d/run.sh": "#!/bin/sh\necho hi\n",
    "d/sub/dög.txt": "",
    "d/sub/emoji😀.txt": "😀",
    "d/sub/t\tab": "tab",
    "d/sub/ﬀ.txt": "ﬀ",
    // Never part of the content:
    "d/x.pyc": "z",
    "d/.git/config": "g",
    "d/node_modules/x/y": "n",
  }, { init: false });
  await Deno.chmod(p.path("d/run.sh"), 0o755);
  await Deno.symlink("a.txt", p.path("d/link"));
  await Deno.mkdir(p.path("d/empty"));
  return p;
}

const VECTOR_MANIFEST: readonly ManifestEntry[] = [
  { relpath: "a.txt", hash: "45ab6734b21e6968", size: 11, isexec: false },
  { relpath: "a/b", hash: "44bc2cf5ad770999", size: 3, isexec: false },
  { relpath: 'q"uote\\.txt', hash: "1b00b0a90a478a4d", size: 1, isexec: false },
  { relpath: "run.sh", hash: "4a894812acfb51f0", size: 18, isexec: true },
  { relpath: "sub/dög.txt", hash: "ef46db3751d8e999", size: 0, isexec: false },
  { relpath: "sub/emoji😀.txt", hash: "9025b8abaae87b80", size: 4, isexec: false },
  { relpath: "sub/t\tab", hash: "5c57ed5badab57c3", size: 3, isexec: false },
  { relpath: "sub/ﬀ.txt", hash: "0bc2ba648ee08e51", size: 3, isexec: false },
];

Deno.test("FileHasher.hashDirectory() matches the tree hash Python computes for the vector directory", async () => {
  await using p = await makeVectorDirectory();
  const result = await new FileHasher(null).hashDirectory(p.path("d"));
  assert.equal(result.hash, "ddfe0685af0a45a9");
  assert.deepEqual(result.manifest, VECTOR_MANIFEST);
  assert.equal(treeHash(result.manifest), "ddfe0685af0a45a9");
});

Deno.test("listDirectoryFiles() lists regular files in code-point order and skips the rest", async () => {
  await using p = await makeVectorDirectory();
  const dir = p.path("d");
  const files = listDirectoryFiles(dir);
  assert.deepEqual(
    files.map((file) => file.relpath),
    VECTOR_MANIFEST.map((entry) => entry.relpath),
  );
  for (const file of files) assert.equal(file.path, path.join(dir, ...file.relpath.split("/")));
});

Deno.test("listDirectoryFiles() skips every skipped directory name at any depth", async () => {
  await using p = await makeProject({
    "d/keep.txt": "k",
    "d/deep/__pycache__/m.pyc": "x",
    "d/deep/.venv/bin/python": "x",
    "d/deep/venv/x": "x",
    "d/deep/.hg/x": "x",
    "d/deep/.svn/x": "x",
    "d/deep/.idea/x": "x",
    "d/deep/.vscode/x": "x",
    "d/deep/.pivot/x": "x",
    "d/deep/dist/x": "x",
    "d/deep/build/x": "x",
    "d/deep/builds/x": "x",
    "d/deep/notes.txt~": "x",
  }, { init: false });
  assert.deepEqual(listDirectoryFiles(p.path("d")).map((file) => file.relpath), [
    "deep/builds/x",
    "keep.txt",
  ]);
});

Deno.test("a directory's tree hash changes when a file is added, removed or its exec bit flips, not with mtime", async () => {
  await using p = await makeVectorDirectory();
  const dir = p.path("d");
  const hash = async () => (await new FileHasher(null).hashDirectory(dir)).hash;
  const original = await hash();
  assert.equal(original, "ddfe0685af0a45a9");

  await Deno.utime(p.path("d/a.txt"), new Date(2001, 0, 1), new Date(2001, 0, 1));
  await Deno.utime(p.path("d/sub/t\tab"), new Date(2010, 5, 5), new Date(2010, 5, 5));
  assert.equal(await hash(), original, "mtime is not part of the content");

  await p.write("d/sub/new.txt", "new");
  const added = await hash();
  assert.notEqual(added, original, "added a file");
  await Deno.remove(p.path("d/sub/new.txt"));
  assert.equal(await hash(), original, "removed it again");

  await Deno.remove(p.path("d/a/b"));
  assert.notEqual(await hash(), original, "removed a file");
  await p.write("d/a/b", "abc");
  assert.equal(await hash(), original, "restored it");

  await Deno.chmod(p.path("d/a.txt"), 0o755);
  const exec = await hash();
  assert.notEqual(exec, original, "set an exec bit");
  await Deno.chmod(p.path("d/run.sh"), 0o644);
  assert.notEqual(await hash(), exec, "cleared an exec bit");
  await Deno.chmod(p.path("d/a.txt"), 0o644);
  await Deno.chmod(p.path("d/run.sh"), 0o755);
  assert.equal(await hash(), original, "exec bits back as they were");

  // Files that are skipped never change the hash.
  await p.write("d/sub/y.pyc", "bytecode");
  await p.write("d/.git/HEAD", "ref");
  await Deno.mkdir(p.path("d/another_empty"));
  assert.equal(await hash(), original, "skipped files and empty directories");
});

Deno.test("FileHasher.hashDirectory() counts a symlink to a cache blob as the file, by its content, and skips other symlinks", async () => {
  await using p = await makeProject({ "outside.txt": "outside\n" });
  const cache = new ContentCache(p.path(".pivot/cache"));
  const blob = async (content: string) => {
    const hash = hashBytes(content);
    await cache.addBytes(new TextEncoder().encode(content), hash, "test");
    return cache.blobPath(hash);
  };
  const a = await blob("a\n");
  const b = await blob("b\n");
  await p.write("d/sub/c.txt", "c\n");
  Deno.symlinkSync(a, p.path("d/a.txt"));
  Deno.symlinkSync(path.relative(p.path("d/sub"), b), p.path("d/sub/b.txt"));
  Deno.symlinkSync(p.path("outside.txt"), p.path("d/outside.txt"));
  Deno.symlinkSync(cache.filesDir, p.path("d/files"));
  Deno.symlinkSync(path.dirname(a), p.path("d/bucket"));
  Deno.symlinkSync(p.path("gone"), p.path("d/dangling"));
  Deno.symlinkSync(a, p.path("d/a.txt~"));
  const expected: ManifestEntry[] = [
    { relpath: "a.txt", hash: hashBytes("a\n"), size: 2, isexec: false },
    { relpath: "sub/b.txt", hash: hashBytes("b\n"), size: 2, isexec: false },
    { relpath: "sub/c.txt", hash: hashBytes("c\n"), size: 2, isexec: false },
  ];
  const hasher = new FileHasher(null, { blobDir: cache.filesDir });
  assert.deepEqual(await hasher.hashDirectory(p.path("d")), {
    hash: treeHash(expected),
    manifest: expected,
  });
  assert.deepEqual(
    (await new FileHasher(null).hashDirectory(p.path("d"))).manifest.map((e) => e.relpath),
    ["sub/c.txt"],
    "without the cache's blob directory every symlink is left out",
  );

  // The blob's name is not trusted: a blob edited in place is hashed by what it holds.
  Deno.chmodSync(a, 0o644);
  Deno.writeTextFileSync(a, "edited\n");
  const edited = await hasher.hashDirectory(p.path("d"));
  assert.deepEqual(edited.manifest[0], {
    relpath: "a.txt",
    hash: hashBytes("edited\n"),
    size: 7,
    isexec: false,
  });
});

Deno.test("listDirectoryFiles() finds cache blobs through a symlinked cache directory", async () => {
  await using p = await makeProject({ "real_cache/files/ab/0123456789abcd": "x" });
  Deno.symlinkSync(p.path("real_cache"), p.path("cache"));
  await Deno.mkdir(p.path("d"));
  Deno.symlinkSync(p.path("cache/files/ab/0123456789abcd"), p.path("d/x"));
  Deno.symlinkSync(p.path("real_cache/files/ab/0123456789abcd"), p.path("d/y"));
  assert.deepEqual(
    listDirectoryFiles(p.path("d"), { blobDir: p.path("cache/files") }).map((f) => f.relpath),
    ["x", "y"],
  );
  assert.deepEqual(
    listDirectoryFiles(p.path("d"), { blobDir: p.path("no_cache/files") }),
    [],
    "no cache directory, no blobs",
  );
});
