import assert from "node:assert/strict";
import * as path from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  type FileStamp,
  type HashRecord,
  NOOP_STAMP_PART_CHARS,
  RACY_WINDOW_MS,
  STATE_SCHEMA_VERSION,
  StateDb,
  StateDbs,
} from "../../src/storage/state_db.ts";
import { STATE_DIR_GITIGNORE } from "../../src/storage/state_dir.ts";
import { PivotError } from "../../src/util/errors.ts";
import { git } from "../_helpers/git.ts";
import { makeProject } from "../_helpers/project.ts";
import { withStateDb } from "../_helpers/storage.ts";
import { CAN_MOUNT, mountTmpfs } from "../_helpers/tmpfs.ts";

/** A warn callback that remembers what it was told. */
function recorder(): { messages: string[]; warn: (message: string) => void } {
  const messages: string[] = [];
  return { messages, warn: (message) => messages.push(message) };
}

/** Reads one PRAGMA of `file` through a separate connection. */
function pragma(file: string, name: string): unknown {
  const db = new DatabaseSync(file);
  try {
    const row = db.prepare(`PRAGMA ${name}`).get() as Record<string, unknown>;
    return row[name];
  } finally {
    db.close();
  }
}

/** Writes `file` and returns its stamp, with the mtime `ageMs` in the past. */
async function writeAged(file: string, content: string, ageMs: number): Promise<FileStamp> {
  await Deno.writeTextFile(file, content);
  const when = new Date(Date.now() - ageMs);
  await Deno.utime(file, when, when);
  const info = await Deno.stat(file);
  return {
    inode: info.ino ?? 0,
    size: info.size,
    mtimeMs: info.mtime!.getTime(),
    ctimeMs: info.ctime!.getTime(),
  };
}

Deno.test("StateDb.open() creates <stateDir>/state.db and the state dir's .gitignore", async () => {
  await using p = await makeProject({}, { init: false });
  const stateDir = p.path("nested/.pivot");
  const db = await StateDb.open(stateDir, () => assert.fail("unexpected warning"));
  try {
    assert.equal(db.file, p.path("nested/.pivot/state.db"));
    assert.equal((await Deno.stat(db.file)).isFile, true);
    assert.equal(await p.read("nested/.pivot/.gitignore"), STATE_DIR_GITIGNORE);
    assert.match(STATE_DIR_GITIGNORE, /^\/state\.db$/m);
  } finally {
    db.close();
  }
});

Deno.test("StateDb.open() keeps an existing .gitignore", async () => {
  await using p = await makeProject({ ".pivot/.gitignore": "# mine\n" });
  const db = await StateDb.open(p.path(".pivot"), () => assert.fail("unexpected warning"));
  db.close();
  assert.equal(await p.read(".pivot/.gitignore"), "# mine\n");
});

Deno.test("state.db is in WAL mode with user_version 5", async () => {
  await withStateDb({}, (db) => {
    assert.equal(pragma(db.file, "journal_mode"), "wal");
    assert.equal(STATE_SCHEMA_VERSION, 5);
    assert.equal(pragma(db.file, "user_version"), 5);
  });
});

Deno.test("StateDb.open() refuses a state.db written by a newer pivot", async () => {
  await using p = await makeProject();
  const file = p.path(".pivot/state.db");
  const raw = new DatabaseSync(file);
  raw.exec("PRAGMA user_version = 99");
  raw.close();
  const { messages, warn } = recorder();
  await assert.rejects(StateDb.open(p.path(".pivot"), warn), (error: unknown) => {
    assert.ok(error instanceof PivotError, String(error));
    assert.match(error.message, /schema version 99, newer than this pivot understands \(5\)/);
    assert.ok(error.message.includes(file), error.message);
    assert.match(error.hint ?? "", /upgrade pivot/);
    return true;
  });
  assert.deepEqual(messages, []);
  // The newer database is left alone, not moved aside.
  assert.equal(await p.exists(".pivot/state.db.corrupt"), false);
  assert.equal(pragma(file, "user_version"), 99);
});

Deno.test("StateDb.open() moves a corrupt state.db to state.db.corrupt and starts a fresh one", async () => {
  await using p = await makeProject();
  const garbage = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) & 0xff);
  await Deno.writeFile(p.path(".pivot/state.db"), garbage);
  const { messages, warn } = recorder();
  const db = await StateDb.open(p.path(".pivot"), warn);
  try {
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /was corrupt; moved it to .*state\.db\.corrupt/);
    assert.ok(messages[0]!.includes(p.path(".pivot/state.db")), messages[0]);
    assert.deepEqual(await Deno.readFile(p.path(".pivot/state.db.corrupt")), garbage);
    db.putRunCache("train", "0123456789abcdef", { outputs: "{}", runId: "r1" });
    assert.deepEqual(db.getRunCache("train", "0123456789abcdef"), { outputs: "{}", runId: "r1" });
    assert.equal(pragma(db.file, "user_version"), 5);
  } finally {
    db.close();
  }
});

Deno.test("StateDb.open() treats a short text file named state.db as corrupt", async () => {
  await using p = await makeProject({ ".pivot/state.db": "this is not a database" });
  const { messages, warn } = recorder();
  const db = await StateDb.open(p.path(".pivot"), warn);
  db.close();
  assert.equal(messages.length, 1);
  assert.equal(await p.read(".pivot/state.db.corrupt"), "this is not a database");
});

Deno.test("a moved-aside state.db is ignored by git, also under a .gitignore an older pivot wrote", async () => {
  const OLD_GITIGNORE = [
    "# Written by pivot: keep config.yaml and stages/ (lock files) in git.",
    "/cache/",
    "/state.db",
    "/state.db-*",
    "/tmp/",
    "*.tmp",
    "*.running",
    "",
  ].join("\n");
  await using p = await makeProject({
    ".pivot/.gitignore": OLD_GITIGNORE,
    ".pivot/state.db": "this is not a database",
    "sub/.pivot/state.db": "nor is this",
  });
  await git(p.root, "init", "-q");
  const { warn } = recorder();
  (await StateDb.open(p.path(".pivot"), warn)).close();
  // A state dir created now gets the line from the start.
  await Deno.remove(p.path("sub/.pivot/state.db"));
  (await StateDb.open(p.path("sub/.pivot"), warn)).close();
  assert.equal(await p.read(".pivot/.gitignore"), `${OLD_GITIGNORE}/state.db.corrupt*\n`);
  assert.match(STATE_DIR_GITIGNORE, /^\/state\.db\.corrupt\*$/m);
  await p.write("sub/.pivot/state.db.corrupt", "x");
  await p.write("sub/.pivot/state.db.corrupt-wal", "x");
  await git(p.root, "add", "-A");
  assert.deepEqual((await git(p.root, "ls-files")).split("\n"), [
    ".pivot/.gitignore",
    "sub/.pivot/.gitignore",
  ]);
});

Deno.test("StateDb.lookupHash() returns the recorded hash when the stamp matches an old mtime", async () => {
  await withStateDb({}, async (db, p) => {
    const file = p.path("data.csv");
    const stamp = await writeAged(file, "a,b\n", 10_000);
    assert.equal(db.lookupHash(file, stamp), null, "nothing recorded yet");
    db.recordHashes([{ path: file, hash: "1111111111111111", ...stamp }]);
    assert.equal(db.lookupHash(file, stamp), "1111111111111111");
    assert.equal(db.lookupHash(p.path("other.csv"), stamp), null, "another path");
    // A newer record for the same path replaces the old one.
    db.recordHashes([{ path: file, hash: "2222222222222222", ...stamp }]);
    assert.equal(db.lookupHash(file, stamp), "2222222222222222");
  });
});

Deno.test("StateDb.lookupHash() returns null when inode, size, mtime or ctime differ", async () => {
  await withStateDb({}, async (db, p) => {
    const file = p.path("data.csv");
    const stamp = await writeAged(file, "a,b\n", 10_000);
    db.recordHashes([{ path: file, hash: "1111111111111111", ...stamp }]);
    assert.equal(db.lookupHash(file, stamp), "1111111111111111");
    assert.equal(db.lookupHash(file, { ...stamp, inode: stamp.inode + 1 }), null, "inode");
    assert.equal(db.lookupHash(file, { ...stamp, size: stamp.size + 1 }), null, "size");
    assert.equal(db.lookupHash(file, { ...stamp, mtimeMs: stamp.mtimeMs + 1 }), null, "mtime");
    assert.equal(db.lookupHash(file, { ...stamp, mtimeMs: stamp.mtimeMs - 1000 }), null, "older");
    assert.equal(db.lookupHash(file, { ...stamp, ctimeMs: stamp.ctimeMs + 1 }), null, "ctime");
  });
});

Deno.test("StateDb.open() of a version-3 state.db drops its hash cache, which had no ctime", async () => {
  await using p = await makeProject();
  const stateDir = p.path(".pivot");
  const file = path.join(stateDir, "state.db");
  const old = new DatabaseSync(file);
  old.exec(
    "CREATE TABLE hash_cache (path TEXT PRIMARY KEY, inode INTEGER NOT NULL, size INTEGER NOT NULL, mtime_ms INTEGER NOT NULL, hash TEXT NOT NULL, recorded_ms INTEGER NOT NULL); " +
      "INSERT INTO hash_cache VALUES ('/x', 1, 2, 3, '1111111111111111', 4); PRAGMA user_version = 3",
  );
  old.close();
  const db = await StateDb.open(stateDir, () => assert.fail("unexpected warning"));
  try {
    const stamp = { inode: 1, size: 2, mtimeMs: 3, ctimeMs: 3 };
    assert.equal(db.lookupHash("/x", stamp), null);
    db.recordHashes([{ path: "/x", hash: "2222222222222222", ...stamp, hashedMs: 100_000 }]);
    assert.equal(db.lookupHash("/x", stamp), "2222222222222222");
  } finally {
    db.close();
  }
});

Deno.test("StateDb.putNoopStamp() stores a stamp in parts, and getNoopStamp() reads it whole", async () => {
  await withStateDb({}, (db) => {
    // Text two and a half parts long, with a surrogate pair across the first part's end.
    const text = `${"a".repeat(NOOP_STAMP_PART_CHARS - 1)}😀${
      "b".repeat(NOOP_STAMP_PART_CHARS * 1.5)
    }`;
    db.putNoopStamp("text", text, 8);
    assert.equal(db.getNoopStamp("text"), text);
    // A stamp handed over in parts (see json_parts.ts) is stored as it comes.
    db.putNoopStamp("parts", ["{", '"a":1', "}"], 8);
    assert.equal(db.getNoopStamp("parts"), '{"a":1}');
    const raw = new DatabaseSync(db.file);
    try {
      const rows = raw.prepare(
        "SELECT key, part, length(data) AS chars FROM noop_stamps ORDER BY key, part",
      )
        .all();
      assert.deepEqual(rows.map((row) => ({ ...row })), [
        { key: "parts", part: 0, chars: 1 },
        { key: "parts", part: 1, chars: 5 },
        { key: "parts", part: 2, chars: 1 },
        // Characters as SQLite counts them: the pair is one.
        { key: "text", part: 0, chars: NOOP_STAMP_PART_CHARS - 1 },
        { key: "text", part: 1, chars: NOOP_STAMP_PART_CHARS - 1 },
        { key: "text", part: 2, chars: NOOP_STAMP_PART_CHARS / 2 + 2 },
      ]);
    } finally {
      raw.close();
    }
    // Written again, shorter: no part of the longer text is left.
    db.putNoopStamp("text", "{}", 8);
    assert.equal(db.getNoopStamp("text"), "{}");
    db.putNoopStamp("text", null, 8);
    assert.equal(db.getNoopStamp("text"), null);
    assert.equal(db.getNoopStamp("parts"), '{"a":1}');
  });
});

Deno.test("StateDb.putNoopStamp() keeps the newest stamps only, with all their parts", async () => {
  await withStateDb({}, async (db) => {
    const long = "x".repeat(NOOP_STAMP_PART_CHARS * 2);
    for (const key of ["a", "b", "c"]) {
      db.putNoopStamp(key, `${key}${long}`, 2);
      // written_ms orders them.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(db.getNoopStamp("a"), null);
    assert.equal(db.getNoopStamp("b"), `b${long}`);
    assert.equal(db.getNoopStamp("c"), `c${long}`);
  });
});

Deno.test("StateDb.open() of a version-4 state.db drops its no-op stamps, stored whole", async () => {
  await using p = await makeProject();
  const stateDir = p.path(".pivot");
  const file = path.join(stateDir, "state.db");
  const old = new DatabaseSync(file);
  old.exec(
    "CREATE TABLE noop_stamps (key TEXT PRIMARY KEY, data TEXT NOT NULL, written_ms INTEGER NOT NULL); " +
      `INSERT INTO noop_stamps VALUES ('k', '{"format":1}', 1); PRAGMA user_version = 4`,
  );
  old.close();
  const db = await StateDb.open(stateDir, () => assert.fail("unexpected warning"));
  try {
    assert.equal(db.getNoopStamp("k"), null);
    db.putNoopStamp("k", '{"format":2}', 8);
    assert.equal(db.getNoopStamp("k"), '{"format":2}');
    assert.equal(pragma(db.file, "user_version"), STATE_SCHEMA_VERSION);
  } finally {
    db.close();
  }
});

Deno.test("StateDb.lookupHash() returns null inside the racy window", async () => {
  assert.equal(RACY_WINDOW_MS, 2_000);
  await withStateDb({}, async (db, p) => {
    const fresh = p.path("fresh.csv");
    const freshStamp = await writeAged(fresh, "x", 0);
    const recent = p.path("recent.csv");
    const recentStamp = await writeAged(recent, "y", 1_000);
    const old = p.path("old.csv");
    const oldStamp = await writeAged(old, "z", 3 * RACY_WINDOW_MS);
    db.recordHashes([
      { path: fresh, hash: "1111111111111111", ...freshStamp },
      { path: recent, hash: "2222222222222222", ...recentStamp },
      { path: old, hash: "3333333333333333", ...oldStamp },
    ]);
    assert.equal(db.lookupHash(fresh, freshStamp), null, "modified just now");
    assert.equal(db.lookupHash(recent, recentStamp), null, "modified 1 s before recording");
    assert.equal(db.lookupHash(old, oldStamp), "3333333333333333", "modified 6 s before");
  });
});

Deno.test("StateDb.lookupHash() trusts a racy entry once it is recorded again later", async () => {
  await withStateDb({}, async (db, p) => {
    const file = p.path("data.csv");
    const stamp = await writeAged(file, "x", 0);
    db.recordHashes([{ path: file, hash: "1111111111111111", ...stamp }]);
    assert.equal(db.lookupHash(file, stamp), null);
    // Set the mtime back, as if the file had been written long ago; re-record.
    const old = await writeAged(file, "x", 60_000);
    db.recordHashes([{ path: file, hash: "1111111111111111", ...old }]);
    assert.equal(db.lookupHash(file, old), "1111111111111111");
  });
});

Deno.test("StateDb run cache round-trips and replaces entries", async () => {
  await using p = await makeProject();
  const stateDir = p.path(".pivot");
  const db = await StateDb.open(stateDir, () => assert.fail("unexpected warning"));
  try {
    assert.equal(db.getRunCache("train", "aaaaaaaaaaaaaaaa"), null);
    db.putRunCache("train", "aaaaaaaaaaaaaaaa", { outputs: '{"model":"1"}', runId: "run-1" });
    db.putRunCache("train", "bbbbbbbbbbbbbbbb", { outputs: '{"model":"2"}', runId: "run-2" });
    assert.deepEqual(db.getRunCache("train", "aaaaaaaaaaaaaaaa"), {
      outputs: '{"model":"1"}',
      runId: "run-1",
    });
    assert.deepEqual(db.getRunCache("train", "bbbbbbbbbbbbbbbb"), {
      outputs: '{"model":"2"}',
      runId: "run-2",
    });
    assert.equal(db.getRunCache("eval", "aaaaaaaaaaaaaaaa"), null, "another stage");
    db.putRunCache("train", "aaaaaaaaaaaaaaaa", { outputs: '{"model":"3"}', runId: "run-3" });
    assert.deepEqual(db.getRunCache("train", "aaaaaaaaaaaaaaaa"), {
      outputs: '{"model":"3"}',
      runId: "run-3",
    });
  } finally {
    db.close();
  }
  // The entries survive reopening.
  const again = await StateDb.open(stateDir, () => assert.fail("unexpected warning"));
  try {
    assert.deepEqual(again.getRunCache("train", "bbbbbbbbbbbbbbbb"), {
      outputs: '{"model":"2"}',
      runId: "run-2",
    });
  } finally {
    again.close();
  }
});

Deno.test("StateDb remote index remembers hashes per remote and forgets them on clear", async () => {
  await withStateDb({}, (db) => {
    const a = "s3://bucket/a";
    const b = "file:///mnt/b";
    const h1 = "1111111111111111";
    const h2 = "2222222222222222";
    const h3 = "3333333333333333";
    assert.deepEqual(db.knownOnRemote(a, [h1, h2, h3]), new Set());
    db.addToRemoteIndex(a, [h1, h2]);
    db.addToRemoteIndex(a, [h2]); // already known: ignored
    db.addToRemoteIndex(b, [h3]);
    assert.deepEqual(db.knownOnRemote(a, [h1, h2, h3]), new Set([h1, h2]));
    assert.deepEqual(db.knownOnRemote(b, [h1, h2, h3]), new Set([h3]));
    assert.deepEqual(db.knownOnRemote(a, []), new Set());
    db.clearRemoteIndex(a);
    assert.deepEqual(db.knownOnRemote(a, [h1, h2, h3]), new Set());
    assert.deepEqual(db.knownOnRemote(b, [h1, h2, h3]), new Set([h3]), "other remote kept");
  });
});

Deno.test("StateDb.transaction() rolls back when the work throws", async () => {
  await withStateDb({}, (db) => {
    assert.throws(
      () =>
        db.transaction(() => {
          db.putRunCache("train", "aaaaaaaaaaaaaaaa", { outputs: "{}", runId: "r" });
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.equal(db.getRunCache("train", "aaaaaaaaaaaaaaaa"), null);
    const value = db.transaction(() => {
      db.putRunCache("train", "aaaaaaaaaaaaaaaa", { outputs: "{}", runId: "r" });
      return 7;
    });
    assert.equal(value, 7);
    assert.deepEqual(db.getRunCache("train", "aaaaaaaaaaaaaaaa"), { outputs: "{}", runId: "r" });
  });
});

Deno.test("StateDbs.get() returns one instance per state dir and close() closes them all", async () => {
  await using p = await makeProject({}, { init: false });
  const dbs = new StateDbs(() => assert.fail("unexpected warning"));
  const [a1, a2] = await Promise.all([dbs.get(p.path("a/.pivot")), dbs.get(p.path("a/.pivot"))]);
  const a3 = await dbs.get(p.path("a/.pivot"));
  const b = await dbs.get(p.path("b/.pivot"));
  assert.equal(a1, a2);
  assert.equal(a1, a3);
  assert.notEqual(a1, b);
  assert.equal(a1.file, p.path("a/.pivot/state.db"));
  assert.equal(b.file, p.path("b/.pivot/state.db"));
  a1.putRunCache("s", "aaaaaaaaaaaaaaaa", { outputs: "{}", runId: "r" });
  assert.deepEqual(a3.getRunCache("s", "aaaaaaaaaaaaaaaa"), { outputs: "{}", runId: "r" });
  assert.equal(b.getRunCache("s", "aaaaaaaaaaaaaaaa"), null);

  await dbs.close();
  for (const db of [a1, b]) {
    assert.throws(() => db.getRunCache("s", "aaaaaaaaaaaaaaaa"), /database is not open/);
  }
  // After close, get() opens a fresh connection that sees the stored data.
  const reopened = await dbs.get(p.path("a/.pivot"));
  assert.notEqual(reopened, a1);
  assert.deepEqual(reopened.getRunCache("s", "aaaaaaaaaaaaaaaa"), { outputs: "{}", runId: "r" });
  await dbs.close();
});

Deno.test("StateDbs.close() skips a database that failed to open", async () => {
  await using p = await makeProject();
  const raw = new DatabaseSync(p.path(".pivot/state.db"));
  raw.exec("PRAGMA user_version = 99");
  raw.close();
  const dbs = new StateDbs(() => assert.fail("unexpected warning"));
  await assert.rejects(dbs.get(p.path(".pivot")), PivotError);
  const other = await dbs.get(p.path("other/.pivot"));
  await dbs.close();
  assert.throws(() => other.getRunCache("s", "aaaaaaaaaaaaaaaa"), /database is not open/);
});

Deno.test("StateDb.open() upgrades a version 1 state.db, keeping its contents", async () => {
  await using p = await makeProject();
  const file = p.path(".pivot/state.db");
  const raw = new DatabaseSync(file);
  raw.exec("CREATE TABLE runs (run_id TEXT PRIMARY KEY, data TEXT NOT NULL)");
  raw.exec(`INSERT INTO runs VALUES ('r1', '{"started_at":"2026-01-01"}')`);
  raw.exec("PRAGMA user_version = 1");
  raw.close();
  const db = await StateDb.open(p.path(".pivot"), () => {});
  try {
    assert.equal(pragma(file, "user_version"), 5);
    assert.deepEqual(db.listRuns(5).map((run) => run.runId), ["r1"]);
    assert.equal(db.getParsed("lock1:0123456789abcdef"), null);
    db.putParsed([{ key: "lock1:0123456789abcdef", json: "[1]" }], 1_000);
    assert.equal(db.getParsed("lock1:0123456789abcdef"), "[1]");
  } finally {
    db.close();
  }
});

Deno.test("recordStage() holds records until flushRecords(), answering run-cache lookups meanwhile", async () => {
  await withStateDb({}, async (db, p) => {
    const stamp = await writeAged(p.path("a.txt"), "a", 10_000);
    const entry = { outputs: '[{"key":null,"hash":"0123456789abcdef"}]', runId: "run-1" };
    db.recordStage(
      [{ path: p.path("a.txt"), hash: "00000000000000aa", ...stamp }],
      { stage: "ml/train", inputHash: "1111111111111111", entry },
    );
    // Another connection (another pivot process) sees nothing before the write.
    const other = StateDb.openExisting(p.path(".pivot"));
    try {
      assert.equal(other.getRunCache("ml/train", "1111111111111111"), null);
      assert.equal(other.lookupHash(p.path("a.txt"), stamp), null);
      // This connection answers from what it holds.
      assert.deepEqual(db.getRunCache("ml/train", "1111111111111111"), entry);
      assert.equal(db.getRunCache("ml/train", "2222222222222222"), null);
      db.flushRecords();
      assert.deepEqual(other.getRunCache("ml/train", "1111111111111111"), entry);
    } finally {
      other.close();
    }
    const later = StateDb.openExisting(p.path(".pivot"));
    try {
      assert.equal(later.lookupHash(p.path("a.txt"), stamp), "00000000000000aa");
    } finally {
      later.close();
    }
  });
});

Deno.test("lookupHash() answers from the hashes recordStage() holds, as it will once they are written", async () => {
  await withStateDb({}, async (db, p) => {
    const old = p.path("old.txt");
    const oldStamp = await writeAged(old, "a", 10_000);
    const fresh = p.path("fresh.txt");
    const freshStamp = await writeAged(fresh, "b", 0);
    // The whole hash cache is read on the first lookup: held records come after it.
    assert.equal(db.lookupHash(old, oldStamp), null);
    db.recordStage([
      { path: old, hash: "00000000000000aa", ...oldStamp },
      { path: fresh, hash: "00000000000000bb", ...freshStamp, hashedMs: Date.now() },
    ], null);
    assert.equal(db.lookupHash(old, oldStamp), "00000000000000aa");
    assert.equal(db.lookupHash(old, { ...oldStamp, size: oldStamp.size + 1 }), null, "size");
    assert.equal(db.lookupHash(fresh, freshStamp), null, "hashed inside the racy window");
    // A newer record of a path replaces the one held.
    db.recordStage([{ path: old, hash: "00000000000000cc", ...oldStamp }], null);
    assert.equal(db.lookupHash(old, oldStamp), "00000000000000cc");
    db.flushRecords();
    assert.equal(db.lookupHash(old, oldStamp), "00000000000000cc");
    assert.equal(db.lookupHash(fresh, freshStamp), null);
  });
});

Deno.test("close() writes the records recordStage() still holds", async () => {
  await using p = await makeProject({});
  const db = await StateDb.open(p.path(".pivot"), () => assert.fail("unexpected warning"));
  const entry = { outputs: "[]", runId: "run-2" };
  db.recordStage([], { stage: "ml/eval", inputHash: "3333333333333333", entry });
  db.close();
  const reopened = StateDb.openExisting(p.path(".pivot"));
  try {
    assert.deepEqual(reopened.getRunCache("ml/eval", "3333333333333333"), entry);
  } finally {
    reopened.close();
  }
});

Deno.test("recordStage() records are written by a timer, without a flush", async () => {
  await withStateDb({}, async (db, p) => {
    const entry = { outputs: "[]", runId: "run-3" };
    db.recordStage([], { stage: "ml/train", inputHash: "4444444444444444", entry });
    const other = StateDb.openExisting(p.path(".pivot"));
    try {
      assert.equal(other.getRunCache("ml/train", "4444444444444444"), null);
      // Looked for every 50 ms. The timer fires after about a second; the deadline is generous
      // (a loaded machine delays timers), as what is tested is that no flush is needed at all.
      const deadline = Date.now() + 15_000;
      while (other.getRunCache("ml/train", "4444444444444444") === null && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(other.getRunCache("ml/train", "4444444444444444"), entry);
    } finally {
      other.close();
    }
  });
});

Deno.test("lookupHash() reads a small hash cache whole once, then sees this connection's writes", async () => {
  await withStateDb({}, async (db, p) => {
    const a = await writeAged(p.path("a.txt"), "a", 10_000);
    const b = await writeAged(p.path("b.txt"), "b", 10_000);
    db.recordHashes([{ path: p.path("a.txt"), hash: "000000000000000a", ...a }]);
    assert.equal(db.lookupHash(p.path("a.txt"), a), "000000000000000a");
    // Written by this connection after the cache was read: seen.
    db.recordHashes([{ path: p.path("b.txt"), hash: "000000000000000b", ...b }]);
    assert.equal(db.lookupHash(p.path("b.txt"), b), "000000000000000b");
    // A changed stamp still misses.
    assert.equal(db.lookupHash(p.path("a.txt"), { ...a, size: a.size + 1 }), null);
  });
});

/** `count` hash-cache records with long paths (about 150 bytes a row). */
function manyHashes(count: number): HashRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    path: `/project/data/${"d".repeat(100)}/file-${i}.csv`,
    hash: "1111111111111111",
    inode: i + 1,
    size: i,
    mtimeMs: 1_000_000 + i,
    ctimeMs: 1_000_000 + i,
  }));
}

/** Writes a state.db at `stateDir` holding `count` hash-cache rows, closed and checkpointed. */
async function stateDbWithRows(stateDir: string, count: number): Promise<string> {
  const db = await StateDb.open(stateDir, () => assert.fail("unexpected warning"));
  db.recordHashes(manyHashes(count));
  db.close();
  return db.file;
}

/** Overwrites `length` bytes in the middle of `file` (past its header and schema pages). */
function damageMiddle(file: string, length = 16_384): void {
  const { size } = Deno.statSync(file);
  assert.ok(size > 8 * length, `${file} is too small (${size} bytes) to damage in the middle`);
  const handle = Deno.openSync(file, { write: true });
  try {
    handle.seekSync(Math.floor(size / 2), Deno.SeekMode.Start);
    handle.writeSync(new Uint8Array(length).fill(0xde));
  } finally {
    handle.close();
  }
}

Deno.test("StateDb replaces a state.db whose damage a later statement finds, with one warning", async () => {
  await using p = await makeProject();
  const file = await stateDbWithRows(p.path(".pivot"), 5_000);
  damageMiddle(file);
  const damaged = await Deno.readFile(file);
  const { messages, warn } = recorder();
  const db = await StateDb.open(p.path(".pivot"), warn);
  try {
    assert.deepEqual(messages, [], "the damage is not in the pages read at open");
    const stamp = { inode: 1, size: 0, mtimeMs: 1_000_000, ctimeMs: 1_000_000 };
    assert.equal(db.lookupHash(manyHashes(1)[0]!.path, stamp), null);
    assert.deepEqual(messages, [
      `${file} was corrupt; moved it to ${file}.corrupt and started a fresh one`,
    ]);
    assert.deepEqual(await Deno.readFile(`${file}.corrupt`), damaged);
    // The fresh database works, and the damage is reported once.
    db.recordHashes(manyHashes(3));
    db.putRunCache("train", "0123456789abcdef", { outputs: "{}", runId: "r1" });
    assert.deepEqual(db.getRunCache("train", "0123456789abcdef"), { outputs: "{}", runId: "r1" });
    assert.equal(messages.length, 1);
    assert.equal(pragma(file, "user_version"), STATE_SCHEMA_VERSION);
  } finally {
    db.close();
  }
});

Deno.test("StateDb.openExisting() leaves a damaged state.db in place for a command to replace", async () => {
  await using p = await makeProject();
  const file = await stateDbWithRows(p.path(".pivot"), 5_000);
  damageMiddle(file);
  const db = StateDb.openExisting(p.path(".pivot"));
  try {
    assert.throws(
      () =>
        db.lookupHash(manyHashes(1)[0]!.path, {
          inode: 1,
          size: 0,
          mtimeMs: 1_000_000,
          ctimeMs: 1_000_000,
        }),
      /database disk image is malformed/,
    );
  } finally {
    db.close();
  }
  assert.equal(await p.exists(".pivot/state.db.corrupt"), false);
});

Deno.test({
  name: "StateDb on a full disk fails naming state.db and the cause, not a failed rollback",
  ignore: !CAN_MOUNT,
  fn: async () => {
    await using fs = mountTmpfs(512);
    const db = await StateDb.open(`${fs.dir}/.pivot`, () => assert.fail("unexpected warning"));
    try {
      fs.fill();
      assert.throws(() => db.recordHashes(manyHashes(5_000)), (error: unknown) => {
        assert.ok(error instanceof PivotError, String(error));
        assert.equal(error.message, `cannot write ${db.file}: no space left on device`);
        assert.equal(error.hint, `free some space on the disk holding ${db.file}`);
        return true;
      });
      // Once there is space again, the same connection writes.
      fs.free();
      db.recordHashes(manyHashes(500));
      db.putRunCache("train", "0123456789abcdef", { outputs: "{}", runId: "r1" });
      assert.deepEqual(db.getRunCache("train", "0123456789abcdef"), { outputs: "{}", runId: "r1" });
    } finally {
      db.close();
    }
  },
});

Deno.test({
  name: "StateDb.open() on a full disk names state.db and the cause",
  ignore: !CAN_MOUNT,
  fn: async () => {
    await using fs = mountTmpfs(512);
    await Deno.mkdir(`${fs.dir}/.pivot`);
    await Deno.writeTextFile(`${fs.dir}/.pivot/.gitignore`, STATE_DIR_GITIGNORE);
    // Each amount of space left stops the creation at another step (file, WAL, schema).
    for (const leave of [0, 4096, 8192, 16_384, 32_768, 65_536]) {
      await Deno.remove(`${fs.dir}/.pivot/state.db`).catch(() => undefined);
      await Deno.remove(`${fs.dir}/.pivot/state.db-wal`).catch(() => undefined);
      await Deno.remove(`${fs.dir}/.pivot/state.db-shm`).catch(() => undefined);
      fs.fill(leave);
      const file = `${fs.dir}/.pivot/state.db`;
      try {
        const db = await StateDb.open(`${fs.dir}/.pivot`, () => assert.fail("unexpected warning"));
        db.close();
      } catch (error) {
        assert.ok(error instanceof PivotError, `${leave} bytes left: ${error}`);
        assert.match(
          `${error.message}\n${error.hint}`,
          new RegExp(
            `^cannot (write|use|open) ${file}: (no space left on device|input/output error)\n` +
              `(free some space on the disk holding|check the disk holding) ${file}`,
          ),
        );
      } finally {
        fs.free();
      }
    }
  },
});

Deno.test({
  name:
    "a timed write of held records that fails on a full disk is reported by close(), not thrown",
  ignore: !CAN_MOUNT,
  fn: async () => {
    await using fs = mountTmpfs(512);
    const db = await StateDb.open(`${fs.dir}/.pivot`, () => assert.fail("unexpected warning"));
    fs.fill();
    db.recordStage(manyHashes(5_000), null);
    // The batch timer (1 s) fires and fails; the process goes on.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.throws(() => db.close(), (error: unknown) => {
      assert.ok(error instanceof PivotError, String(error));
      assert.equal(error.message, `cannot write ${db.file}: no space left on device`);
      return true;
    });
    // Closed all the same: nothing holds the file system.
    assert.throws(() => db.getRunCache("s", "aaaaaaaaaaaaaaaa"), /database is not open/);
  },
});

Deno.test("StateDb.open() in several processes creating one state.db at once never fails 'database is locked'", async () => {
  // Switching a new database to WAL takes an exclusive lock without SQLite's busy
  // handler; before the retry about 1 open in 300 failed (8 processes, 40 rounds).
  const opener = new URL("./_writers/state_db_opener.ts", import.meta.url).pathname;
  for (let round = 0; round < 4; round++) {
    await using p = await makeProject({}, { init: false });
    // All 8 are started and loaded (each said `ready`) before any opens: closing their stdins
    // one after another releases them within microseconds of each other.
    const openers = Array.from({ length: 8 }, () => {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", opener, p.path(".pivot")],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      return { child, stdout: linesOf(child.stdout) };
    });
    for (const { stdout } of openers) assert.equal(await stdout.next(), "ready");
    await Promise.all(openers.map(({ child }) => child.stdin.close()));
    for (const { child, stdout } of openers) {
      assert.equal(await stdout.rest(), "ok\n");
      assert.equal((await child.status).code, 0);
    }
  }
});

/**
 * The lines of `stream`: `next()` is the next line (without its newline);
 * `rest()` everything after the lines taken, once the stream ends.
 */
function linesOf(stream: ReadableStream<Uint8Array>): {
  next(): Promise<string>;
  rest(): Promise<string>;
} {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return {
    async next() {
      while (!buffered.includes("\n")) {
        const { done, value } = await reader.read();
        assert.ok(!done, `the stream ended before a whole line: ${JSON.stringify(buffered)}`);
        buffered += value;
      }
      const end = buffered.indexOf("\n");
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      return line;
    },
    async rest() {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return buffered;
        buffered += value;
      }
    },
  };
}
