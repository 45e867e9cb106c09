import assert from "node:assert/strict";
import * as path from "node:path";
import { parse } from "yaml";
import {
  LOCK_SCHEMA_VERSION,
  lockFilePath,
  parseLock,
  readLockFile,
  serializeLock,
  type StageLock,
  writeLockFile,
} from "../../src/storage/lock_file.ts";
import { makeProject } from "../_helpers/project.ts";
import { assertPivotError, assertPivotRejects, PETS } from "../_helpers/storage.ts";
import { editYaml, type YamlData } from "../_helpers/yaml_edit.ts";

/** A lock given in an unsorted order. */
const LOCK: StageLock = {
  stage: "train@small",
  pipeline: "ml",
  fingerprint: {
    hash: "1234567890123456",
    manifest: { "fn:stages.ts#train": "00000000000000ff", cmd: "abcdefabcdef0123" },
  },
  params: { z: 1, a: { y: "b", x: [3, { q: 1, p: 2 }] }, lr: 0.5 },
  deps: [
    { name: "raw", identity: null, path: "data/raw.csv", hash: "1111111111111111" },
    {
      name: "images",
      identity: "prep:images",
      path: "data/images",
      hash: "55211bc0d7941edc",
      manifest: PETS,
    },
  ],
  outs: [
    { key: "model", path: "data/ml/train/model.bin", hash: "2222222222222222", cache: true },
    { key: null, path: "data/ml/train/log.txt", hash: "0000000000000000", cache: false },
  ],
};

/** The same lock in the order it is written and read back. */
const SORTED: StageLock = {
  stage: "train@small",
  pipeline: "ml",
  fingerprint: {
    hash: "1234567890123456",
    manifest: { cmd: "abcdefabcdef0123", "fn:stages.ts#train": "00000000000000ff" },
  },
  params: { a: { x: [3, { p: 2, q: 1 }], y: "b" }, lr: 0.5, z: 1 },
  deps: [LOCK.deps[1]!, LOCK.deps[0]!],
  outs: [LOCK.outs[1]!, LOCK.outs[0]!],
};

/** The lock as it is written: pretty-printed JSON, keys in a fixed order. */
const GOLDEN = `{
  "schema": 1,
  "stage": "train@small",
  "pipeline": "ml",
  "fingerprint": {
    "hash": "1234567890123456",
    "manifest": {
      "cmd": "abcdefabcdef0123",
      "fn:stages.ts#train": "00000000000000ff"
    }
  },
  "params": {
    "a": {
      "x": [
        3,
        {
          "p": 2,
          "q": 1
        }
      ],
      "y": "b"
    },
    "lr": 0.5,
    "z": 1
  },
  "deps": [
    {
      "name": "images",
      "identity": "prep:images",
      "path": "data/images",
      "hash": "55211bc0d7941edc",
      "manifest": [
        {
          "relpath": "cat.jpg",
          "hash": "70227ad56ed7a20d",
          "size": 9,
          "isexec": false
        },
        {
          "relpath": "sub/dog.jpg",
          "hash": "e26dc7fc8da8773f",
          "size": 9,
          "isexec": true
        }
      ]
    },
    {
      "name": "raw",
      "path": "data/raw.csv",
      "hash": "1111111111111111"
    }
  ],
  "outs": [
    {
      "path": "data/ml/train/log.txt",
      "hash": "0000000000000000",
      "cache": false
    },
    {
      "key": "model",
      "path": "data/ml/train/model.bin",
      "hash": "2222222222222222",
      "cache": true
    }
  ]
}
`;

/** The same lock as earlier versions wrote it (YAML), which is still read. */
const GOLDEN_YAML = `schema: 1
stage: train@small
pipeline: ml
fingerprint:
  hash: "1234567890123456"
  manifest:
    cmd: "abcdefabcdef0123"
    fn:stages.ts#train: "00000000000000ff"
params:
  a:
    x:
      - 3
      - p: 2
        q: 1
    y: b
  lr: 0.5
  z: 1
deps:
  - name: images
    identity: prep:images
    path: data/images
    hash: "55211bc0d7941edc"
    manifest:
      - relpath: cat.jpg
        hash: "70227ad56ed7a20d"
        size: 9
        isexec: false
      - relpath: sub/dog.jpg
        hash: "e26dc7fc8da8773f"
        size: 9
        isexec: true
  - name: raw
    path: data/raw.csv
    hash: "1111111111111111"
outs:
  - path: data/ml/train/log.txt
    hash: "0000000000000000"
    cache: false
  - key: model
    path: data/ml/train/model.bin
    hash: "2222222222222222"
    cache: true
`;

/** The golden lock as plain data, changed by `edit`, written as compact JSON. */
function hostile(edit: (data: YamlData) => void): string {
  return editYaml(GOLDEN, edit);
}

Deno.test("serializeLock() writes the golden text: fixed key order, sorted, hashes quoted", () => {
  assert.equal(serializeLock(LOCK), GOLDEN);
});

Deno.test("serializeLock() is deterministic whatever the input order", () => {
  assert.equal(serializeLock(SORTED), GOLDEN);
  const shuffled: StageLock = {
    ...LOCK,
    params: { lr: 0.5, z: 1, a: { x: [3, { p: 2, q: 1 }], y: "b" } },
    deps: [...LOCK.deps].reverse(),
  };
  assert.equal(serializeLock(shuffled), GOLDEN);
});

Deno.test("serializeLock() sorts deps and outs by path and params keys at every depth", async () => {
  const lock: StageLock = {
    stage: "s",
    pipeline: "p",
    fingerprint: { hash: "0000000000000000", manifest: {} },
    params: { b: { d: 1, c: 2 }, a: [{ z: 1, y: 2 }] },
    deps: ["c/x", "a", "b/y", "a.txt", "a/b"].map((p) => ({
      name: p,
      identity: null,
      path: p,
      hash: "0000000000000000",
    })),
    outs: ["z", "m", "a"].map((p) => ({ key: p, path: p, hash: "0000000000000000", cache: true })),
  };
  const back = await parseLock(serializeLock(lock));
  assert.deepEqual(back.deps.map((d) => d.path), ["a", "a.txt", "a/b", "b/y", "c/x"]);
  assert.deepEqual(back.outs.map((o) => o.path), ["a", "m", "z"]);
  assert.deepEqual(Object.keys(back.params), ["a", "b"]);
  assert.deepEqual(Object.keys(back.params.b as object), ["c", "d"]);
  assert.deepEqual(Object.keys((back.params.a as object[])[0]!), ["y", "z"]);
});

Deno.test("serializeLock() quotes hashes so an all-digit hash stays a string", async () => {
  const lock: StageLock = {
    ...SORTED,
    fingerprint: { hash: "1234567890123456", manifest: { cmd: "1111111111111111" } },
    deps: [{ name: "raw", identity: null, path: "raw.csv", hash: "9999999999999999" }],
    outs: [{ key: null, path: "out.bin", hash: "0000000000000000", cache: true }],
  };
  const text = serializeLock(lock);
  assert.ok(text.includes('"hash": "1234567890123456"'), text);
  assert.ok(text.includes('"cmd": "1111111111111111"'), text);
  const raw = parse(text);
  assert.equal(raw.fingerprint.hash, "1234567890123456");
  assert.equal(raw.fingerprint.manifest.cmd, "1111111111111111");
  assert.equal(raw.deps[0].hash, "9999999999999999");
  assert.equal(raw.outs[0].hash, "0000000000000000");
  assert.deepEqual(await parseLock(text), lock);
});

Deno.test("parseLock(serializeLock(x)) deep-equals x in sorted order", async () => {
  assert.deepEqual(await parseLock(serializeLock(LOCK)), SORTED);
  assert.deepEqual(await parseLock(GOLDEN), SORTED);
  assert.deepEqual(await parseLock(GOLDEN_YAML), SORTED);
  const empty: StageLock = {
    stage: "prep",
    pipeline: "p-1_x",
    fingerprint: { hash: "abcdefabcdefabcd", manifest: {} },
    params: {},
    deps: [],
    outs: [],
  };
  assert.deepEqual(await parseLock(serializeLock(empty)), empty);
});

Deno.test("serializeLock() writes JSON that a YAML parser (an older pivot) reads as the same data", async () => {
  assert.deepEqual(parse(GOLDEN), JSON.parse(GOLDEN));
  const awkward: StageLock = {
    ...SORTED,
    params: {
      controls: "tab\there, nel\u0085, del\u007f, bom\ufeff, lone \ud800 surrogate",
      "key: with colon": "- dash",
      big: 1e21,
      tiny: 1.5e-7,
      "#": "{not: a map}",
    },
  };
  const text = serializeLock(awkward);
  assert.ok(text.startsWith("{\n"), text);
  // Characters YAML cannot hold raw are escaped (JSON allows either); NEL is printable in YAML.
  assert.doesNotMatch(text, /[\u007f-\u0084\u0086-\u009f\ufeff]/);
  assert.match(text, /del\\u007f, bom\\ufeff, lone \\ud800 surrogate/);
  assert.deepEqual(parse(text), JSON.parse(text));
  assert.deepEqual((await parseLock(text)).params, awkward.params);
});

Deno.test("serializeLock() writes YAML when a param is a number JSON cannot hold", async () => {
  const lock: StageLock = { ...SORTED, params: { high: Infinity, low: -Infinity, odd: NaN } };
  const text = serializeLock(lock);
  assert.match(text, /^schema: 1\n/);
  assert.match(text, /^ {2}high: \.inf$/m);
  const back = await parseLock(text);
  assert.equal(back.params.high, Infinity);
  assert.equal(back.params.low, -Infinity);
  assert.ok(Number.isNaN(back.params.odd));
});

Deno.test("serializeLock() writes JSON with a null param, and YAML when a number JSON cannot hold sits beside one", async () => {
  const nullOnly: StageLock = { ...SORTED, params: { none: null, list: [null, 1], name: "null" } };
  const json = serializeLock(nullOnly);
  assert.ok(json.startsWith("{\n"), json);
  assert.deepEqual((await parseLock(json)).params, nullOnly.params);
  const mixed: StageLock = { ...SORTED, params: { none: null, deep: { list: [1, -Infinity] } } };
  const yaml = serializeLock(mixed);
  assert.match(yaml, /^schema: 1\n/);
  assert.deepEqual((await parseLock(yaml)).params, mixed.params);
});

Deno.test("parseLock() reads a flow mapping that is YAML but not JSON with the YAML parser", async () => {
  const flow =
    `{schema: 1, stage: prep, pipeline: ml, fingerprint: {hash: "abcdefabcdefabcd", manifest: {}},
  params: {}, deps: [], outs: []}`;
  assert.deepEqual(await parseLock(flow), {
    stage: "prep",
    pipeline: "ml",
    fingerprint: { hash: "abcdefabcdefabcd", manifest: {} },
    params: {},
    deps: [],
    outs: [],
  });
  await assertPivotRejects(() => parseLock('{ "schema": 1,'), /^not valid YAML: /);
});

Deno.test("serializeLock() keeps param strings that look like other types as strings", async () => {
  const lock: StageLock = {
    ...SORTED,
    params: { version: "1.10", flag: "true", none: "null", n: "0x10", date: "2024-01-01" },
  };
  assert.deepEqual((await parseLock(serializeLock(lock))).params, {
    date: "2024-01-01",
    flag: "true",
    n: "0x10",
    none: "null",
    version: "1.10",
  });
});

Deno.test("lockFilePath() is <stateDir>/stages/<pipeline>/<stage>.lock", () => {
  const stateDir = path.resolve("/work/proj/.pivot");
  assert.equal(
    lockFilePath({ stateDir, pipeline: "ml", name: "train" }),
    path.join(stateDir, "stages", "ml", "train.lock"),
  );
  assert.equal(
    lockFilePath({ stateDir, pipeline: "ml", name: "train@small" }),
    path.join(stateDir, "stages", "ml", "train@small.lock"),
  );
});

Deno.test("lockFilePath() rejects names that could not be a file name", () => {
  const stateDir = path.resolve("/work/proj/.pivot");
  const bad: [string, string][] = [
    ["ml", "../x"],
    ["ml", "a/b"],
    ["ml", ""],
    ["ml", ".."],
    ["ml", "train@../x"],
    ["ml", "train@a/b"],
    ["../x", "train"],
    ["a/b", "train"],
    ["", "train"],
    ["1ml", "train"],
  ];
  for (const [pipeline, name] of bad) {
    assertPivotError(
      () => lockFilePath({ stateDir, pipeline, name }),
      `invalid stage '${pipeline}/${name}' for a lock file`,
    );
  }
});

Deno.test("parseLock() rejects hostile paths and hashes, naming the field", async () => {
  const cases: [string, (data: YamlData) => void, string][] = [
    [
      "dep path with ..",
      (d) => (d.deps[1].path = "../etc/passwd"),
      `deps[1].path: unsafe path "../etc/passwd": leaves its directory ('..')`,
    ],
    [
      "absolute out path",
      (d) => (d.outs[0].path = "/etc/passwd"),
      `outs[0].path: unsafe path "/etc/passwd": is an absolute path`,
    ],
    [
      "hash that is a path",
      (d) => (d.deps[1].hash = "../../etc/passwd"),
      `deps[1].hash: invalid hash "../../etc/passwd": expected 16 lowercase hex characters`,
    ],
    [
      "uppercase hash",
      (d) => (d.outs[1].hash = "2222222222222ABC"),
      `outs[1].hash: invalid hash "2222222222222ABC": expected 16 lowercase hex characters`,
    ],
    [
      "numeric hash",
      (d) => (d.outs[1].hash = 1234567890123456),
      `outs[1].hash: invalid hash 1234567890123456: expected 16 lowercase hex characters`,
    ],
    [
      "fingerprint hash too short",
      (d) => (d.fingerprint.hash = "abc"),
      `fingerprint.hash: invalid hash "abc": expected 16 lowercase hex characters`,
    ],
    [
      "fingerprint part hash",
      (d) => (d.fingerprint.manifest.cmd = "../x"),
      `fingerprint.manifest.cmd: invalid hash "../x": expected 16 lowercase hex characters`,
    ],
    [
      "manifest relpath with ..",
      (d) => (d.deps[0].manifest[1].relpath = "sub/../../dog.jpg"),
      `deps[0].manifest[1].relpath: unsafe path "sub/../../dog.jpg": leaves its directory ('..')`,
    ],
    [
      "manifest entry hash",
      (d) => (d.deps[0].manifest[0].hash = "../../etc/passwd"),
      `deps[0].manifest[0].hash: invalid hash "../../etc/passwd": expected 16 lowercase hex characters`,
    ],
    [
      "manifest that does not match the tree hash",
      (d) => (d.deps[0].manifest[1].size = 10),
      "deps[0].manifest: does not match the tree hash 55211bc0d7941edc",
    ],
    [
      "manifest entry with an extra key",
      (d) => (d.deps[0].manifest[0].mode = 0o644),
      "deps[0].manifest[0]: unexpected key mode",
    ],
    [
      "invalid identity",
      (d) => (d.deps[0].identity = "../x"),
      "deps[0].identity: invalid identity '../x'",
    ],
    [
      "invalid stage name",
      (d) => (d.stage = "../x"),
      "stage: invalid name '../x'",
    ],
    [
      "invalid pipeline name",
      (d) => (d.pipeline = "../x"),
      "pipeline: invalid name '../x'",
    ],
    [
      "cache that is not a boolean",
      (d) => (d.outs[0].cache = "yes"),
      "outs[0].cache: expected true or false",
    ],
  ];
  for (const [label, edit, message] of cases) {
    await assertPivotRejects(() => parseLock(hostile(edit)), message, label);
  }
});

Deno.test("parseLock() rejects a wrong schema number", async () => {
  assert.equal(LOCK_SCHEMA_VERSION, 1);
  await assertPivotRejects(
    () => parseLock(hostile((d) => (d.schema = 2))),
    "schema 2 is newer than this pivot understands (1)",
  );
  for (const schema of [0, -1, "1", null]) {
    await assertPivotRejects(
      () => parseLock(hostile((d) => (d.schema = schema))),
      "schema: expected 1",
    );
  }
  await assertPivotRejects(() => parseLock(hostile((d) => delete d.schema)), "schema: expected 1");
});

Deno.test("parseLock() rejects a lock with a missing key", async () => {
  const cases: [string, string][] = [
    ["stage", "stage: expected a non-empty string"],
    ["pipeline", "pipeline: expected a non-empty string"],
    ["fingerprint", "fingerprint: expected a mapping"],
    ["params", "params: expected a mapping"],
    ["deps", "deps: expected a list"],
    ["outs", "outs: expected a list"],
  ];
  for (const [key, message] of cases) {
    await assertPivotRejects(() => parseLock(hostile((d) => delete d[key])), message);
  }
  const nested: [(d: YamlData) => void, string][] = [
    [
      (d) => delete d.fingerprint.hash,
      "fingerprint.hash: invalid hash undefined: expected 16 lowercase hex characters",
    ],
    [(d) => delete d.fingerprint.manifest, "fingerprint.manifest: expected a mapping"],
    [(d) => delete d.deps[1].name, "deps[1].name: expected a non-empty string"],
    [
      (d) => delete d.deps[1].path,
      `deps[1].path: unsafe path undefined: expected a non-empty relative path`,
    ],
    [
      (d) => delete d.deps[1].hash,
      "deps[1].hash: invalid hash undefined: expected 16 lowercase hex characters",
    ],
    [(d) => delete d.outs[0].cache, "outs[0].cache: expected true or false"],
    [
      (d) => delete d.deps[0].manifest[0].size,
      "deps[0].manifest[0].size: expected a non-negative integer",
    ],
    [
      (d) => delete d.deps[0].manifest[0].isexec,
      "deps[0].manifest[0].isexec: expected true or false",
    ],
  ];
  for (const [edit, message] of nested) {
    await assertPivotRejects(() => parseLock(hostile(edit)), message);
  }
});

Deno.test("parseLock() rejects text that is not a YAML mapping", async () => {
  await assertPivotRejects(() => parseLock("stage: [unclosed\n"), /^not valid YAML: /);
  await assertPivotRejects(() => parseLock("a: 1\na: 2\n"), /^not valid YAML: /);
  await assertPivotRejects(() => parseLock(""), "lock: expected a mapping");
  await assertPivotRejects(() => parseLock("- schema: 1\n"), "lock: expected a mapping");
  await assertPivotRejects(() => parseLock("just text"), "lock: expected a mapping");
});

Deno.test("writeLockFile() writes serializeLock() text that readLockFile() reads back", async () => {
  await using p = await makeProject();
  const file = lockFilePath({ stateDir: p.path(".pivot"), pipeline: "ml", name: "train@small" });
  await writeLockFile(file, LOCK);
  assert.equal(await Deno.readTextFile(file), GOLDEN);
  const warnings: string[] = [];
  const lock = await readLockFile(file, {
    warn: (m) => warnings.push(m),
    expect: { stage: "train@small", pipeline: "ml" },
  });
  assert.deepEqual(lock, SORTED);
  assert.deepEqual(warnings, []);
});

Deno.test("readLockFile() returns null without a warning for a missing file", async () => {
  await using p = await makeProject();
  const warnings: string[] = [];
  const lock = await readLockFile(p.path(".pivot/stages/ml/none.lock"), {
    warn: (m) => warnings.push(m),
  });
  assert.equal(lock, null);
  assert.deepEqual(warnings, []);
});

Deno.test("readLockFile() returns null and warns once, naming the file, for a malformed lock", async () => {
  const bad: [string, string][] = [
    ["not: [yaml", "not valid YAML: "],
    [hostile((d) => (d.deps[1].path = "../etc/passwd")), "deps[1].path: unsafe path"],
    [hostile((d) => (d.schema = 7)), "schema 7 is newer"],
  ];
  await using p = await makeProject();
  for (const [i, [text, detail]] of bad.entries()) {
    const file = p.path(`.pivot/stages/ml/bad${i}.lock`);
    await p.write(`.pivot/stages/ml/bad${i}.lock`, text);
    const warnings: string[] = [];
    assert.equal(await readLockFile(file, { warn: (m) => warnings.push(m) }), null);
    assert.equal(warnings.length, 1, `${detail}: ${JSON.stringify(warnings)}`);
    assert.ok(warnings[0]!.startsWith(`ignoring malformed lock file ${file}: `), warnings[0]);
    assert.ok(warnings[0]!.includes(detail), warnings[0]);
  }
});

Deno.test("writeLockFile() returns the bytes it wrote: its text as UTF-8, encoded once", async () => {
  await using p = await makeProject();
  const file = p.path(".pivot/stages/ml/train.lock");
  const lock: StageLock = { ...LOCK, params: { note: "naïve → ü" } };
  const bytes = writeLockFile(file, lock);
  assert.ok(bytes instanceof Uint8Array);
  assert.deepEqual(bytes, await Deno.readFile(file));
  assert.equal(new TextDecoder().decode(bytes), serializeLock(lock));
});

Deno.test("readLockFile() returns null and warns for a lock of another stage", async () => {
  await using p = await makeProject();
  const file = p.path(".pivot/stages/ml/eval.lock");
  await writeLockFile(file, LOCK);
  for (
    const expect of [{ stage: "eval", pipeline: "ml" }, { stage: "train@small", pipeline: "nlp" }]
  ) {
    const warnings: string[] = [];
    assert.equal(await readLockFile(file, { warn: (m) => warnings.push(m), expect }), null);
    assert.deepEqual(warnings, [
      `ignoring malformed lock file ${file}: it belongs to 'ml/train@small', not '${expect.pipeline}/${expect.stage}'`,
    ]);
  }
});
