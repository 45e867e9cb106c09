import assert from "node:assert/strict";
import * as path from "node:path";
import {
  createReaderRecord,
  liveReaders,
  markReading,
  READERS_DIR,
  waitWhileRead,
} from "../../src/engine/reader_marks.ts";
import { claimSentinel, releaseSentinel } from "../../src/engine/running_sentinel.ts";
import { openPreciseStat, type PreciseStat } from "../../src/util/precise_stat.ts";
import { exists, names, tempDir } from "../_helpers/files.ts";
import { deadPid, liveProcess } from "../_helpers/processes.ts";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes a reader record for `stage` in `dir`'s records directory as process `pid`. */
function recordAs(dir: string, stage: string, pid: number, id = "abc123"): string {
  const record = path.join(dir, READERS_DIR, `${stage}.${pid}.${id}`);
  Deno.mkdirSync(path.dirname(record), { recursive: true });
  Deno.writeTextFileSync(record, `${pid}\n`);
  return record;
}

/** Resolves how a promise ended, or "pending" if it has not ended yet. */
function peek<T>(promise: Promise<T>): Promise<T | "pending"> {
  return Promise.race([promise, sleep(0).then(() => "pending" as const)]);
}

Deno.test("createReaderRecord() creates .readers.running/<stage>.<pid>.<id> holding our PID", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "ml", "s@1.running");
  const record = createReaderRecord(sentinel);
  assert.equal(path.dirname(record), path.join(dir.path, "ml", READERS_DIR));
  assert.match(path.basename(record), new RegExp(`^s@1\\.${Deno.pid}\\.[0-9a-f]{12}$`));
  assert.equal(await Deno.readTextFile(record), `${Deno.pid}\n`);
  // A second mark of the same stage is another record.
  assert.notEqual(createReaderRecord(sentinel), record);
  assert.equal(names(path.join(dir.path, "ml", READERS_DIR)).length, 2);
});

Deno.test("liveReaders() lists other live readers of the stage and removes records of processes that are gone", async () => {
  await using dir = await tempDir();
  await using other = liveProcess(5);
  const sentinel = path.join(dir.path, "s@1.running");
  const dead = await deadPid();
  const live = recordAs(dir.path, "s@1", other.pid);
  const gone = recordAs(dir.path, "s@1", dead);
  const own = recordAs(dir.path, "s@1", Deno.pid);
  // Readers of other stages, one whose name starts like this one's.
  const longer = recordAs(dir.path, "s@1.5", other.pid);
  const another = recordAs(dir.path, "t", dead);
  assert.deepEqual(liveReaders(sentinel), [other.pid]);
  assert.equal(exists(gone), false);
  for (const kept of [live, own, longer, another]) assert.equal(exists(kept), true, kept);
  assert.deepEqual(liveReaders(path.join(dir.path, "s@1.5.running")), [other.pid]);
  assert.deepEqual(liveReaders(path.join(dir.path, "none.running")), []);
});

Deno.test("liveReaders() for a claimed stage looks only at the records' directory when there is none", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "s@1.running");
  using precise = openPreciseStat();
  const looked: string[] = [];
  const stats: PreciseStat = {
    precise: true,
    stat(file, follow) {
      looked.push(file);
      return precise.stat(file, follow);
    },
    [Symbol.dispose]() {},
  };
  assert.deepEqual(liveReaders(sentinel, stats, true), []);
  assert.deepEqual(looked, [path.join(dir.path, READERS_DIR)]);
  // Unclaimed, the directory above is looked at too (a file there would be an error).
  looked.length = 0;
  assert.deepEqual(liveReaders(sentinel, stats), []);
  assert.deepEqual(looked, [path.join(dir.path, READERS_DIR), dir.path]);
  // With a reader recorded, it is found either way.
  await using other = liveProcess(5);
  recordAs(dir.path, "s@1", other.pid);
  assert.deepEqual(liveReaders(sentinel, stats, true), [other.pid]);
});

Deno.test("liveReaders() counts a record of several stages for each stage it lists", async () => {
  await using dir = await tempDir();
  await using other = liveProcess(5);
  const several = recordAs(dir.path, "+", other.pid);
  Deno.writeTextFileSync(several, "a\nb@1\n");
  const gone = recordAs(dir.path, "+", await deadPid(), "def456");
  Deno.writeTextFileSync(gone, "c\n");
  assert.deepEqual(liveReaders(path.join(dir.path, "a.running")), [other.pid]);
  assert.deepEqual(liveReaders(path.join(dir.path, "b@1.running")), [other.pid]);
  assert.deepEqual(liveReaders(path.join(dir.path, "b.running")), []);
  assert.deepEqual(liveReaders(path.join(dir.path, "c.running")), []);
  assert.equal(exists(gone), false);
  assert.equal(exists(several), true);
});

Deno.test("markReading() marks producers in several directories with a record in each", async () => {
  await using dir = await tempDir();
  const producers = ["x/a", "x/b", "y/c"].map((name) => ({
    name,
    sentinel: path.join(dir.path, `${name}.running`),
  }));
  const result = await markReading(producers, { onLine: () => {} });
  assert.ok(result.marks !== undefined);
  assert.equal(names(path.join(dir.path, "x", READERS_DIR)).length, 1);
  assert.match(names(path.join(dir.path, "y", READERS_DIR))[0]!, /^c\./);
  // A writer of any of them, in another process, sees this one reading it.
  for (const { sentinel } of producers) {
    const probe = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { liveReaders } from "${
          new URL("../../src/engine/reader_marks.ts", import.meta.url).href
        }"; console.log(JSON.stringify(liveReaders(${JSON.stringify(sentinel)})));`,
      ],
      stdout: "piped",
    });
    const out = new TextDecoder().decode((await probe.output()).stdout).trim();
    assert.equal(out, JSON.stringify([Deno.pid]), sentinel);
  }
  result.marks[Symbol.dispose]();
  assert.deepEqual(names(path.join(dir.path, "x", READERS_DIR)), []);
  assert.deepEqual(names(path.join(dir.path, "y", READERS_DIR)), []);
});

Deno.test("liveReaders() is empty when no stage was ever read", async () => {
  await using dir = await tempDir();
  assert.deepEqual(liveReaders(path.join(dir.path, "ml", "s.running")), []);
});

Deno.test("markReading() marks every producer, and disposing of the marks removes them", async () => {
  await using dir = await tempDir();
  const producers = ["a", "b"].map((name) => ({
    name,
    sentinel: path.join(dir.path, `${name}.running`),
  }));
  const lines: string[] = [];
  const result = await markReading(producers, { onLine: (line) => lines.push(line) });
  assert.ok(result.marks !== undefined);
  assert.deepEqual(liveReaders(producers[0]!.sentinel), []);
  // Producers whose sentinels share a directory: one record, listing them.
  const records = names(path.join(dir.path, READERS_DIR));
  assert.equal(records.length, 1);
  assert.match(records[0]!, new RegExp(`^\\+\\.${Deno.pid}\\.[0-9a-f]{12}$`));
  assert.equal(Deno.readTextFileSync(path.join(dir.path, READERS_DIR, records[0]!)), "a\nb\n");
  result.marks[Symbol.dispose]();
  assert.deepEqual(names(path.join(dir.path, READERS_DIR)), []);
  assert.deepEqual(lines, []);
});

Deno.test("markReading() holds no mark while another process writes a producer, says so once, and marks once it is free", async () => {
  await using dir = await tempDir();
  await using writer = liveProcess(5);
  const producers = ["a", "b"].map((name) => ({
    name,
    sentinel: path.join(dir.path, `${name}.running`),
  }));
  Deno.writeTextFileSync(producers[0]!.sentinel, `${writer.pid}\n`);
  const lines: string[] = [];
  const marking = markReading(producers, { onLine: (line) => lines.push(line) });
  await sleep(350);
  assert.equal(await peek(marking), "pending");
  // The writer that holds 'a' must not wait for this reader: nothing is marked.
  assert.deepEqual(names(path.join(dir.path, READERS_DIR)), []);
  assert.deepEqual(lines, [
    `waiting: input 'a' is being written by another pivot process (PID ${writer.pid})`,
  ]);
  Deno.removeSync(producers[0]!.sentinel);
  const result = await marking;
  assert.ok(result.marks !== undefined);
  assert.equal(names(path.join(dir.path, READERS_DIR)).length, 1);
  result.marks[Symbol.dispose]();
  assert.equal(lines.length, 1);
});

Deno.test("markReading() stops waiting for a writer when aborted, holding no mark", async () => {
  await using dir = await tempDir();
  await using writer = liveProcess(5);
  const sentinel = path.join(dir.path, "a.running");
  Deno.writeTextFileSync(sentinel, `${writer.pid}\n`);
  const controller = new AbortController();
  const marking = markReading([{ name: "a", sentinel }], {
    onLine: () => {},
    signal: controller.signal,
  });
  await sleep(150);
  controller.abort();
  assert.deepEqual(await marking, { busy: { name: "a", holder: writer.pid } });
  assert.deepEqual(names(path.join(dir.path, READERS_DIR)), []);
});

Deno.test("markReading() does not wait for a producer this process holds", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "a.running");
  assert.equal(claimSentinel(sentinel), null);
  const lines: string[] = [];
  const result = await markReading([{ name: "a", sentinel }], {
    onLine: (line) => lines.push(line),
  });
  assert.ok(result.marks !== undefined);
  result.marks[Symbol.dispose]();
  releaseSentinel(sentinel);
  assert.deepEqual(lines, []);
});

Deno.test("waitWhileRead() returns at once when no other process reads the stage (this one may)", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "s.running");
  const lines: string[] = [];
  const options = { name: "s", sentinel, onLine: (line: string) => lines.push(line) };
  assert.equal(await waitWhileRead(options), null);
  const own = createReaderRecord(sentinel);
  assert.equal(await waitWhileRead(options), null);
  assert.equal(exists(own), true);
  assert.deepEqual(lines, []);
});

Deno.test("waitWhileRead() removes records of processes that are gone instead of waiting for them", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "s.running");
  const gone = recordAs(dir.path, "s", await deadPid());
  const lines: string[] = [];
  const started = performance.now();
  assert.equal(await waitWhileRead({ name: "s", sentinel, onLine: (l) => lines.push(l) }), null);
  assert.ok(performance.now() - started < 50);
  assert.equal(exists(gone), false);
  assert.deepEqual(lines, []);
});

Deno.test("waitWhileRead() waits while another live process reads the stage, saying so once", async () => {
  await using dir = await tempDir();
  await using reader = liveProcess(5);
  const sentinel = path.join(dir.path, "s@1.running");
  const record = recordAs(dir.path, "s@1", reader.pid);
  const lines: string[] = [];
  const waiting = waitWhileRead({ name: "s@1", sentinel, onLine: (line) => lines.push(line) });
  await sleep(350);
  assert.equal(await peek(waiting), "pending");
  Deno.removeSync(record);
  assert.equal(await waiting, null);
  assert.deepEqual(lines, [
    `waiting: 's@1' is being read by another pivot process (PID ${reader.pid})`,
  ]);
});

Deno.test("waitWhileRead() returns the reader when aborted", async () => {
  await using dir = await tempDir();
  await using reader = liveProcess(5);
  const sentinel = path.join(dir.path, "s.running");
  recordAs(dir.path, "s", reader.pid);
  const controller = new AbortController();
  const waiting = waitWhileRead({
    name: "s",
    sentinel,
    onLine: () => {},
    signal: controller.signal,
  });
  await sleep(150);
  controller.abort();
  assert.equal(await waiting, reader.pid);
});

/**
 * Starts one writer and `readers` reader processes that each round, at the
 * same instant, write or read `<dir>/r<i>.running`; returns whether each went
 * ahead, per round (the writer first).
 */
async function race(dir: string, rounds: number, readers: number): Promise<boolean[][]> {
  const racer = path.join(import.meta.dirname!, "_reader_racer.ts");
  // Leave time for every racer to start before the first round.
  const start = Date.now() + 2_000;
  const roles = ["writer", ...Array.from({ length: readers }, () => "reader")];
  const children = roles.map((role) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        racer,
        dir,
        role,
        String(rounds),
        String(start),
        "15",
        String(roles.length),
      ],
      stdout: "null",
      stderr: "inherit",
    }).spawn()
  );
  for (const child of children) assert.equal((await child.status).code, 0);
  return children.map((child) =>
    JSON.parse(Deno.readTextFileSync(path.join(dir, `done.${child.pid}`)))
  );
}

Deno.test("a writer and readers marking one stage at the same instant never both go ahead", async () => {
  await using dir = await tempDir();
  const rounds = 60;
  const [writer, ...readers] = await race(dir.path, rounds, 2);
  for (let round = 0; round < rounds; round++) {
    const readersAhead = readers.filter((reader) => reader[round]).length;
    // (Both sides may back off in one round, each seeing the other's mark: the engine tries again.)
    assert.ok(
      !(writer![round] && readersAhead > 0),
      `round ${round}: writer and reader went ahead`,
    );
  }
});
