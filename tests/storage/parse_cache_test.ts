import assert from "node:assert/strict";
import {
  hashBytes,
  ParseCache,
  readLockFile,
  serializeLock,
  StateDb,
} from "../../src/storage/mod.ts";
import { makeProject } from "../_helpers/project.ts";

const LOCK = {
  stage: "train",
  pipeline: "ml",
  fingerprint: { hash: "0123456789abcdef", manifest: {} },
  params: { lr: 0.1 },
  deps: [],
  outs: [],
};

Deno.test("ParseCache returns what was stored for the same text only, after a flush", async () => {
  await using p = await makeProject();
  const db = await StateDb.open(p.path(".pivot"), () => {});
  try {
    const cache = new ParseCache(db);
    cache.put("k", "text one", { a: 1 });
    assert.equal(new ParseCache(db).get("k", "text one"), undefined, "not written before flush");
    cache.flush();
    const again = new ParseCache(db);
    assert.deepEqual(again.get("k", "text one"), { a: 1 });
    assert.equal(again.get("k", "text two"), undefined);
    assert.equal(again.get("other", "text one"), undefined);
    cache.put("k", "inf", { a: Infinity });
    cache.flush();
    assert.equal(
      new ParseCache(db).get("k", "inf"),
      undefined,
      "values JSON cannot hold are not cached",
    );
  } finally {
    db.close();
  }
});

Deno.test("readLockFile() reads a cached lock without the YAML, and re-reads a changed one", async () => {
  await using p = await makeProject();
  const db = await StateDb.open(p.path(".pivot"), () => {});
  try {
    const file = p.path(".pivot/stages/ml/train.lock");
    await p.write(".pivot/stages/ml/train.lock", serializeLock(LOCK));
    const first = new ParseCache(db);
    assert.deepEqual(await readLockFile(file, { warn: () => {}, cache: first }), LOCK);
    first.flush();
    const cached = new ParseCache(db);
    assert.deepEqual(await readLockFile(file, { warn: () => {}, cache: cached }), LOCK);
    await p.write(".pivot/stages/ml/train.lock", serializeLock({ ...LOCK, params: { lr: 0.2 } }));
    const changed = await readLockFile(file, { warn: () => {}, cache: cached });
    assert.deepEqual(changed?.params, { lr: 0.2 });
    const warnings: string[] = [];
    await p.write(".pivot/stages/ml/train.lock", "schema: 1\n");
    assert.equal(await readLockFile(file, { warn: (m) => warnings.push(m), cache: cached }), null);
    assert.equal(warnings.length, 1);
  } finally {
    db.close();
  }
});

Deno.test("ParseCache.attach() gives a cache opened without a database one: what was put before is written at flush", async () => {
  await using p = await makeProject();
  const cache = new ParseCache(null);
  cache.put("k", "text one", { a: 1 });
  assert.deepEqual(
    cache.get("k", "text one"),
    { a: 1 },
    "held entries are seen before any database",
  );
  cache.flush();
  assert.deepEqual(cache.get("k", "text one"), { a: 1 }, "a flush without a database keeps them");
  const db = await StateDb.open(p.path(".pivot"), () => {});
  try {
    cache.attach(db);
    assert.equal(new ParseCache(db).get("k", "text one"), undefined, "not written before flush");
    cache.put("k", "text two", { b: 2 });
    cache.flush();
    const again = new ParseCache(db);
    assert.deepEqual(again.get("k", "text one"), { a: 1 });
    assert.deepEqual(again.get("k", "text two"), { b: 2 });
  } finally {
    db.close();
  }
});

Deno.test("ParseCache.get() answers from held entries only once a database is attached: it is written, never read", async () => {
  await using p = await makeProject();
  const db = await StateDb.open(p.path(".pivot"), () => {});
  try {
    const earlier = new ParseCache(db);
    earlier.put("k", "stored", { from: "db" });
    earlier.flush();
    const cache = new ParseCache(null);
    assert.equal(cache.get("k", "stored"), undefined, "no database yet");
    cache.put("k", "held", { from: "held" });
    cache.attach(db);
    assert.equal(
      cache.get("k", "stored"),
      undefined,
      "a database attached later is not looked into (it did not exist when the cache was made)",
    );
    assert.deepEqual(cache.get("k", "held"), { from: "held" });
    cache.put("k", "learnt", { from: "learnt" });
    cache.flush();
    const reader = new ParseCache(db);
    assert.deepEqual(reader.get("k", "held"), { from: "held" }, "held entries are written");
    assert.deepEqual(reader.get("k", "learnt"), { from: "learnt" });
    assert.deepEqual(reader.get("k", "stored"), { from: "db" }, "a cache made with it reads it");
  } finally {
    db.close();
  }
});

Deno.test("ParseCache.attach() keeps the database a cache already has", async () => {
  await using p = await makeProject();
  await using other = await makeProject();
  const db = await StateDb.open(p.path(".pivot"), () => {});
  const otherDb = await StateDb.open(other.path(".pivot"), () => {});
  try {
    const cache = new ParseCache(db);
    cache.attach(otherDb);
    cache.put("k", "text", { a: 1 });
    cache.flush();
    assert.deepEqual(new ParseCache(db).get("k", "text"), { a: 1 });
    assert.equal(new ParseCache(otherDb).get("k", "text"), undefined);
  } finally {
    db.close();
    otherDb.close();
  }
});

Deno.test("readLockFile() caches a lock written as YAML (by earlier versions), never a JSON one", async () => {
  await using p = await makeProject();
  const db = await StateDb.open(p.path(".pivot"), () => {});
  try {
    const yamlText =
      'schema: 1\nstage: train\npipeline: ml\nfingerprint:\n  hash: "0123456789abcdef"\n' +
      "  manifest: {}\nparams:\n  lr: 0.1\ndeps: []\nouts: []\n";
    const jsonText = serializeLock(LOCK);
    assert.match(jsonText, /^\{\n/);
    const key = (text: string) => `lock1:${hashBytes(text)}`;
    const files: [string, string][] = [["yaml.lock", yamlText], ["json.lock", jsonText]];
    for (const [rel, text] of files) {
      await p.write(rel, text);
      const cache = new ParseCache(db);
      assert.deepEqual(await readLockFile(p.path(rel), { warn: () => {}, cache }), LOCK);
      cache.flush();
    }
    assert.deepEqual(JSON.parse(db.getParsed(key(yamlText))!), LOCK);
    assert.equal(db.getParsed(key(jsonText)), null);
  } finally {
    db.close();
  }
});
