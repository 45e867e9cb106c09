import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { FileWatcher } from "../../src/engine/mod.ts";
import { Wakeup } from "../../src/util/wakeup.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";

/** A watcher on `p` whose changes wake `wakeup`; warnings go to `warnings`. */
async function watch(p: TempProject, warnings: string[] = []) {
  const wakeup = new Wakeup();
  const watcher = await FileWatcher.open({
    root: p.root,
    keep: [p.path(".pivot/config.yaml")],
    onChange: wakeup.wake,
    warn: (message) => warnings.push(message),
  });
  /** Waits until `paths` (relative) have all been noted, then takes every change noted. */
  const changes = async (...paths: string[]) => {
    const deadline = Date.now() + 10_000;
    const wanted = paths.map((rel) => p.path(rel));
    const seen = new Set<string>();
    while (!wanted.every((file) => seen.has(file))) {
      assert.ok(Date.now() < deadline, `not seen: ${wanted.filter((f) => !seen.has(f))}`);
      await wakeup.wait(100);
      // Settling first: everything written before is in, nothing is left for the next call.
      await watcher.settle();
      for (const file of watcher.take().paths) seen.add(file);
    }
    return [...seen].sort().map((file) => file.slice(p.root.length + 1));
  };
  return { watcher, changes };
}

Deno.test("FileWatcher notes changed files, leaves out ignored ones and keeps .pivot/config.yaml", async () => {
  await using p = await makeProject({ "data/raw.csv": "1\n" });
  const { watcher, changes } = await watch(p);
  await using _ = watcher;
  await p.write("data/.raw.csv.swp", "swap");
  await p.write(".pivot/state.db-wal", "state");
  await p.write("data/raw.csv", "2\n");
  await p.write(".pivot/config.yaml", "core:\n  jobs: 2\n");
  assert.deepEqual(await changes("data/raw.csv", ".pivot/config.yaml"), [
    ".pivot/config.yaml",
    "data/raw.csv",
  ]);
  assert.equal(watcher.pendingCount, 0);
});

Deno.test("FileWatcher lists the files of a directory that appears", async () => {
  await using p = await makeProject({});
  const { watcher, changes } = await watch(p);
  await using _ = watcher;
  await Deno.mkdir(p.path("sub/deeper"), { recursive: true });
  await Deno.writeTextFile(p.path("sub/deeper/pivot.yaml"), "stages: {}\n");
  await Deno.writeTextFile(p.path("sub/a.csv"), "a\n");
  assert.deepEqual(
    (await changes("sub/deeper/pivot.yaml", "sub/a.csv")).filter((rel) => rel.includes(".")),
    ["sub/a.csv", "sub/deeper/pivot.yaml"],
  );
});

Deno.test("FileWatcher leaves out suppressed paths until settled, and reads .pivotignore again when it changes", async () => {
  await using p = await makeProject({ "data/raw.csv": "1\n" });
  const warnings: string[] = [];
  const { watcher, changes } = await watch(p, warnings);
  await using _ = watcher;
  watcher.suppressWhile((file) => file.endsWith(".out"));
  await p.write("data/model.out", "written by the run");
  await watcher.settle();
  watcher.suppressWhile(null);
  await p.write(".pivotignore", "*.log\n");
  await p.write("data/raw.csv", "2\n");
  assert.deepEqual(await changes("data/raw.csv", ".pivotignore"), [".pivotignore", "data/raw.csv"]);
  await p.write("debug.log", "noise");
  await p.write("data/model.out", "edited by hand");
  assert.deepEqual(await changes("data/model.out"), ["data/model.out"]);
  assert.deepEqual(warnings, []);
});

/** What another process gets when it tries to take the write lock of `db` without waiting. */
async function probeWriteLock(db: string): Promise<string> {
  const probe = new URL("./_lock_probe.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", probe, db],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return new TextDecoder().decode(output.stdout).trim();
}

Deno.test("FileWatcher: changes to the files of a state database under watch leave this process's SQLite locks in place", async () => {
  // Deno's watcher opens each changed file, and closing a file drops every POSIX lock the
  // process holds on it: before the watching moved to a child process, each change to
  // state.db, -wal or -shm let another process take the write lock held here.
  await using p = await makeProject({ "sub/pivot.yaml": "stages: {}\n" });
  await Deno.mkdir(p.path("sub/.pivot"));
  const { watcher } = await watch(p);
  await using _ = watcher;
  for (const stateDir of [".pivot", "sub/.pivot"]) {
    const file = p.path(`${stateDir}/state.db`);
    const db = new DatabaseSync(file);
    try {
      db.exec("PRAGMA journal_mode = WAL; CREATE TABLE t (n INTEGER)");
      for (let trial = 0; trial < 3; trial++) {
        db.exec("BEGIN IMMEDIATE; INSERT INTO t VALUES (1)");
        const now = new Date();
        for (const suffix of ["", "-wal", "-shm"]) Deno.utimeSync(`${file}${suffix}`, now, now);
        await watcher.settle();
        assert.equal(
          await probeWriteLock(file),
          "database is locked",
          `${stateDir}, trial ${trial}`,
        );
        db.exec("COMMIT");
      }
      assert.equal(await probeWriteLock(file), "acquired");
    } finally {
      db.close();
    }
  }
});
