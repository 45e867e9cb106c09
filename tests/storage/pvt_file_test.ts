import assert from "node:assert/strict";
import * as path from "node:path";
import { parse } from "yaml";
import { FileHasher } from "../../src/storage/file_hasher.ts";
import { type ManifestEntry, treeHash } from "../../src/storage/manifest.ts";
import {
  dataPathFor,
  parsePvt,
  PVT_SUFFIX,
  pvtPathFor,
  readPvtFile,
  serializePvt,
  writePvtFile,
} from "../../src/storage/pvt_file.ts";
import { PivotError } from "../../src/util/errors.ts";
import { makeProject } from "../_helpers/project.ts";
import { assertPivotRejects, PETS } from "../_helpers/storage.ts";
import { editYaml, type YamlData } from "../_helpers/yaml_edit.ts";

const FILE_PVT = `path: data.csv
hash: "1234567890123456"
size: 42
`;

const DIR_PVT = `path: images
hash: "55211bc0d7941edc"
size: 18
num_files: 2
manifest:
  - relpath: cat.jpg
    hash: "70227ad56ed7a20d"
    size: 9
    isexec: false
  - relpath: sub/dog.jpg
    hash: "e26dc7fc8da8773f"
    size: 9
    isexec: true
`;

const DATA_CSV_PVT = path.resolve("/work/proj/data/data.csv.pvt");
const IMAGES_PVT = path.resolve("/work/proj/data/images.pvt");

Deno.test("serializePvt() writes path, quoted hash and size for a file", async () => {
  const record = { path: "data.csv", info: { hash: "1234567890123456" }, size: 42 };
  assert.equal(serializePvt(record), FILE_PVT);
  assert.equal(parse(FILE_PVT).hash, "1234567890123456");
  assert.deepEqual(await parsePvt(FILE_PVT, DATA_CSV_PVT), record);
});

Deno.test("serializePvt() adds num_files and the manifest for a directory", async () => {
  const record = { path: "images", info: { hash: "55211bc0d7941edc", manifest: PETS }, size: 18 };
  assert.equal(serializePvt(record), DIR_PVT);
  assert.deepEqual(await parsePvt(DIR_PVT, IMAGES_PVT), record);
});

Deno.test("writePvtFile() and readPvtFile() round-trip a hashed file and directory", async () => {
  await using p = await makeProject({
    "data/raw.csv": "a,b\n1,2\n",
    "data/images/cat.jpg": "meow meow",
    "data/images/sub/dog.jpg": "woof woof",
    "data/images/sub/x.txt": "",
  });
  await Deno.chmod(p.path("data/images/sub/dog.jpg"), 0o755);
  const hasher = new FileHasher(null);

  const fileInfo = await hasher.hashPath(p.path("data/raw.csv"));
  await writePvtFile(p.path("data/raw.csv"), fileInfo, 8);
  assert.equal(
    await p.read("data/raw.csv.pvt"),
    `path: raw.csv\nhash: "${fileInfo.hash}"\nsize: 8\n`,
  );
  assert.deepEqual(await readPvtFile(p.path("data/raw.csv.pvt")), {
    path: "raw.csv",
    info: fileInfo,
    size: 8,
  });

  const dirInfo = await hasher.hashPath(p.path("data/images"));
  await writePvtFile(p.path("data/images/"), dirInfo, 18);
  const record = await readPvtFile(p.path("data/images.pvt"));
  assert.deepEqual(record, { path: "images", info: dirInfo, size: 18 });
  assert.equal(parse(await p.read("data/images.pvt")).num_files, 3);
});

Deno.test("parsePvt() rejects a path that is not the data file's base name", async () => {
  for (const name of ["../x", "/etc/passwd", "other.csv", "data/data.csv", "data.csv.pvt"]) {
    await assertPivotRejects(
      () => parsePvt(editYaml(FILE_PVT, (d) => (d.path = name)), DATA_CSV_PVT),
      `path: expected 'data.csv' (the file beside it), found '${name}'`,
      name,
    );
  }
  await assertPivotRejects(
    () => parsePvt(editYaml(FILE_PVT, (d) => delete d.path), DATA_CSV_PVT),
    "path: expected a non-empty string",
  );
  await assertPivotRejects(
    () => parsePvt(editYaml(FILE_PVT, (d) => (d.path = 7)), DATA_CSV_PVT),
    "path: expected a non-empty string",
  );
});

Deno.test("parsePvt() rejects hostile or malformed fields, naming the field", async () => {
  const cases: [string, string, (d: YamlData) => void, string][] = [
    [
      "hash that is a path",
      FILE_PVT,
      (d) => (d.hash = "../../etc/passwd"),
      `hash: invalid hash "../../etc/passwd": expected 16 lowercase hex characters`,
    ],
    [
      "uppercase hash",
      FILE_PVT,
      (d) => (d.hash = "1234567890ABCDEF"),
      `hash: invalid hash "1234567890ABCDEF": expected 16 lowercase hex characters`,
    ],
    ["unknown key", FILE_PVT, (d) => (d.extra = 1), "pvt: unexpected key extra"],
    [
      "unknown keys",
      DIR_PVT,
      (d) => {
        d.outs = [];
        d.cmd = "rm -rf /";
      },
      "pvt: unexpected keys outs, cmd",
    ],
    ["negative size", FILE_PVT, (d) => (d.size = -1), "size: expected a non-negative integer"],
    ["string size", FILE_PVT, (d) => (d.size = "42"), "size: expected a non-negative integer"],
    ["num_files on a file", FILE_PVT, (d) => (d.num_files = 1), "num_files: only for directories"],
    [
      "num_files mismatch",
      DIR_PVT,
      (d) => (d.num_files = 3),
      "num_files: 3 but the manifest lists 2",
    ],
    [
      "num_files missing",
      DIR_PVT,
      (d) => delete d.num_files,
      "num_files: expected a non-negative integer",
    ],
    ["size mismatch", DIR_PVT, (d) => (d.size = 17), "size: 17 but the manifest sums to 18"],
    [
      "manifest relpath with ..",
      DIR_PVT,
      (d) => (d.manifest[0].relpath = "../cat.jpg"),
      `manifest[0].relpath: unsafe path "../cat.jpg": leaves its directory ('..')`,
    ],
    [
      "absolute manifest relpath",
      DIR_PVT,
      (d) => (d.manifest[1].relpath = "/etc/passwd"),
      `manifest[1].relpath: unsafe path "/etc/passwd": is an absolute path`,
    ],
    [
      "manifest hash that is a path",
      DIR_PVT,
      (d) => (d.manifest[1].hash = "../../etc/passwd"),
      `manifest[1].hash: invalid hash "../../etc/passwd": expected 16 lowercase hex characters`,
    ],
    [
      "manifest that does not match the hash",
      DIR_PVT,
      (d) => (d.manifest[0].isexec = true),
      "manifest: does not match the tree hash 55211bc0d7941edc",
    ],
    ["manifest not a list", DIR_PVT, (d) => (d.manifest = {}), "manifest: expected a list"],
  ];
  for (const [label, base, edit, message] of cases) {
    const pvtPath = base === FILE_PVT ? DATA_CSV_PVT : IMAGES_PVT;
    await assertPivotRejects(() => parsePvt(editYaml(base, edit), pvtPath), message, label);
  }
});

Deno.test("parsePvt() rejects text that is not a YAML mapping", async () => {
  await assertPivotRejects(() => parsePvt("path: [", DATA_CSV_PVT), /^not valid YAML: /);
  await assertPivotRejects(() => parsePvt("", DATA_CSV_PVT), "pvt: expected a mapping");
  await assertPivotRejects(() => parsePvt("- data.csv\n", DATA_CSV_PVT), "pvt: expected a mapping");
});

Deno.test({
  name: "parsePvt() rejects a manifest with duplicate or unsorted relpaths, or a file below a file",
  async fn() {
    const duplicate: ManifestEntry[] = [
      { relpath: "a", hash: "1111111111111111", size: 1, isexec: false },
      { relpath: "a", hash: "2222222222222222", size: 1, isexec: false },
    ];
    const unsorted: ManifestEntry[] = [
      { relpath: "b", hash: "1111111111111111", size: 1, isexec: false },
      { relpath: "a", hash: "2222222222222222", size: 1, isexec: false },
    ];
    const fileAndChild: ManifestEntry[] = [
      { relpath: "a", hash: "1111111111111111", size: 1, isexec: false },
      { relpath: "a/b", hash: "2222222222222222", size: 1, isexec: false },
    ];
    for (const manifest of [duplicate, unsorted, fileAndChild]) {
      const text = serializePvt({
        path: "d",
        info: { hash: treeHash(manifest), manifest },
        size: 2,
      });
      await assert.rejects(() => parsePvt(text, "/p/d.pvt"), PivotError);
    }
  },
});

Deno.test({
  name: "readPvtFile() reads back a tracked directory holding a file name with a backslash",
  async fn() {
    await using p = await makeProject({ "data/d/a\\b.txt": "x" });
    const info = await new FileHasher(null).hashPath(p.path("data/d"));
    await writePvtFile(p.path("data/d"), info, 1);
    assert.deepEqual(await readPvtFile(p.path("data/d.pvt")), { path: "d", info, size: 1 });
  },
});

Deno.test("readPvtFile() returns null for a missing file", async () => {
  await using p = await makeProject();
  assert.equal(await readPvtFile(p.path("data/none.csv.pvt")), null);
});

Deno.test("readPvtFile() throws a PivotError with a hint for a malformed file", async () => {
  await using p = await makeProject({
    "data/data.csv.pvt": FILE_PVT.replace("path: data.csv", "path: ../x"),
  });
  const file = p.path("data/data.csv.pvt");
  await assert.rejects(readPvtFile(file, "data/data.csv.pvt"), (error: unknown) => {
    assert.ok(error instanceof PivotError, String(error));
    assert.equal(
      error.message,
      "malformed tracking file data/data.csv.pvt: path: expected 'data.csv' (the file beside it), found '../x'",
    );
    assert.equal(
      error.hint,
      "restore it from git (git checkout -- data/data.csv.pvt) or record the data again (pivot track --force data/data.csv)",
    );
    return true;
  });
});

Deno.test("pvtPathFor() and dataPathFor() map a data path to its .pvt and back", () => {
  assert.equal(PVT_SUFFIX, ".pvt");
  const cases: [string, string][] = [
    ["data/raw.csv", "data/raw.csv.pvt"],
    ["raw.csv", "raw.csv.pvt"],
    ["/abs/data/images", "/abs/data/images.pvt"],
    ["data/images/", "data/images.pvt"],
    ["data/images//", "data/images.pvt"],
    ["archive.tar.gz", "archive.tar.gz.pvt"],
  ];
  for (const [data, pvt] of cases) {
    assert.equal(pvtPathFor(data), pvt, data);
    assert.equal(dataPathFor(pvt), data.replace(/\/+$/, ""), pvt);
  }
});
