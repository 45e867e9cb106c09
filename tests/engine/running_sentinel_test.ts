import assert from "node:assert/strict";
import * as path from "node:path";
import {
  claimSentinel,
  describeHolder,
  endOrphanedCommands,
  processAlive,
  recordCommandGroup,
  releaseSentinel,
  sentinelHolder,
  UNKNOWN_HOLDER,
} from "../../src/engine/running_sentinel.ts";
import { exists, names, tempDir } from "../_helpers/files.ts";
import { deadPid, liveProcess } from "../_helpers/processes.ts";

Deno.test("claimSentinel() creates the sentinel (and its directory) holding our PID", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "ml", "train.running");
  assert.equal(claimSentinel(sentinel), null);
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\n`);
  assert.deepEqual(names(path.join(dir.path, "ml")), ["train.running"]);
});

Deno.test("claimSentinel() returns the PID of a live process holding the sentinel", async () => {
  await using dir = await tempDir();
  await using other = liveProcess(5);
  const sentinel = path.join(dir.path, "train.running");
  await Deno.writeTextFile(sentinel, `${other.pid}\n`);
  assert.equal(claimSentinel(sentinel), other.pid);
  assert.equal(await Deno.readTextFile(sentinel), `${other.pid}\n`);
  assert.deepEqual(names(dir.path), ["train.running"]);
});

Deno.test("claimSentinel() takes over a sentinel whose process is gone", async () => {
  await using dir = await tempDir();
  const pid = await deadPid();
  assert.equal(processAlive(pid), false);
  const sentinel = path.join(dir.path, "train.running");
  await Deno.writeTextFile(sentinel, `${pid}\n`);
  assert.equal(claimSentinel(sentinel), null);
  // Noting whom it replaced: the commands carrying that holder's marker are to be ended.
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\nkilled ${pid}\n`);
  // The temporary file of the takeover is gone; the file takeovers lock stays.
  assert.deepEqual(names(dir.path), [".takeover.running", "train.running"]);
});

/** Sets the modification time of `file` to `seconds` ago. */
function age(file: string, seconds: number): void {
  const then = new Date(Date.now() - seconds * 1000);
  Deno.utimeSync(file, then, then);
}

Deno.test("claimSentinel() takes over an old sentinel without a PID (an older pivot killed mid-claim)", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "train.running");
  for (const content of ["not a pid\n", "", "-5\n", "0x10\n"]) {
    await Deno.writeTextFile(sentinel, content);
    age(sentinel, 3);
    assert.equal(claimSentinel(sentinel), null, JSON.stringify(content));
    assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\n`, JSON.stringify(content));
  }
  assert.deepEqual(names(dir.path), [".takeover.running", "train.running"]);
});

Deno.test("claimSentinel() leaves a fresh sentinel without a PID alone: an older pivot is claiming it", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "train.running");
  for (const content of ["", "garbage\n"]) {
    await Deno.writeTextFile(sentinel, content);
    assert.equal(claimSentinel(sentinel), UNKNOWN_HOLDER, JSON.stringify(content));
    assert.equal(sentinelHolder(sentinel), UNKNOWN_HOLDER, JSON.stringify(content));
    assert.equal(await Deno.readTextFile(sentinel), content);
    releaseSentinel(sentinel);
    assert.equal(await Deno.readTextFile(sentinel), content);
  }
  assert.equal(describeHolder(UNKNOWN_HOLDER), "PID not written yet");
  assert.equal(describeHolder(42), "PID 42");
});

Deno.test("claimSentinel() writes the whole claim at once and leaves no temp file", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "train.running");
  assert.equal(claimSentinel(sentinel), null);
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\n`);
  // A hard link of the temp file it was written to (now removed), not a file filled in later.
  assert.equal((await Deno.stat(sentinel)).nlink, 1);
  assert.deepEqual(names(dir.path), ["train.running"]);
});

Deno.test("claimSentinel() claims a sentinel that already holds our own PID", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "train.running");
  assert.equal(claimSentinel(sentinel), null);
  assert.equal(claimSentinel(sentinel), null);
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\n`);
});

Deno.test("releaseSentinel() removes our own sentinel", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "train.running");
  assert.equal(claimSentinel(sentinel), null);
  releaseSentinel(sentinel);
  assert.equal(exists(sentinel), false);
  // Releasing again (nothing there) is fine, and the stage can be claimed again.
  releaseSentinel(sentinel);
  assert.equal(claimSentinel(sentinel), null);
});

Deno.test("releaseSentinel() leaves a sentinel held by another process", async () => {
  await using dir = await tempDir();
  await using other = liveProcess(5);
  const sentinel = path.join(dir.path, "train.running");
  await Deno.writeTextFile(sentinel, `${other.pid}\n`);
  releaseSentinel(sentinel);
  assert.equal(await Deno.readTextFile(sentinel), `${other.pid}\n`);
  await Deno.writeTextFile(sentinel, "garbage\n");
  releaseSentinel(sentinel);
  assert.equal(await Deno.readTextFile(sentinel), "garbage\n");
});

Deno.test("processAlive() is true for this process and a running child", async () => {
  await using other = liveProcess(5);
  assert.equal(processAlive(Deno.pid), true);
  assert.equal(processAlive(other.pid), true);
});

Deno.test("processAlive() is false for an exited process and for invalid PIDs", async () => {
  assert.equal(processAlive(await deadPid()), false);
  for (const pid of [0, -1, Number.NaN, 1.5, Number.MAX_VALUE]) {
    assert.equal(processAlive(pid), false, String(pid));
  }
});

Deno.test("sentinelHolder() returns the PID of a live process holding the sentinel", async () => {
  await using dir = await tempDir();
  await using other = liveProcess(5);
  const sentinel = path.join(dir.path, "train.running");
  await Deno.writeTextFile(sentinel, `${other.pid}\n`);
  assert.equal(sentinelHolder(sentinel), other.pid);
  // Only a check: the sentinel is left as it was.
  assert.equal(await Deno.readTextFile(sentinel), `${other.pid}\n`);
});

Deno.test("sentinelHolder() is null for a free, own, stale or garbage sentinel", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "missing", "train.running");
  assert.equal(sentinelHolder(sentinel), null);
  assert.equal(exists(path.join(dir.path, "missing")), false);
  await Deno.mkdir(path.dirname(sentinel));
  for (const content of [`${Deno.pid}\n`, `${await deadPid()}\n`, "garbage\n", ""]) {
    await Deno.writeTextFile(sentinel, content);
    age(sentinel, 3);
    assert.equal(sentinelHolder(sentinel), null, JSON.stringify(content));
    assert.equal(await Deno.readTextFile(sentinel), content);
  }
});

Deno.test("recordCommandGroup() notes the command's process group, only in our own sentinel", async () => {
  await using dir = await tempDir();
  await using other = liveProcess(5);
  const sentinel = path.join(dir.path, "train.running");
  assert.equal(claimSentinel(sentinel), null);
  recordCommandGroup(sentinel, 4321);
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\ngroup 4321 ${Deno.pid}\n`);
  // Still ours: claiming again and releasing work as before.
  assert.equal(claimSentinel(sentinel), null);
  releaseSentinel(sentinel);
  assert.equal(exists(sentinel), false);

  await Deno.writeTextFile(sentinel, `${other.pid}\n`);
  recordCommandGroup(sentinel, 4321);
  assert.equal(await Deno.readTextFile(sentinel), `${other.pid}\n`);
});

Deno.test("a group line still being written (no newline yet) is not read", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "train.running");
  const dead = await deadPid();
  // A group line cut short: "group 1234" could be read as group 12 of PID 34.
  await Deno.writeTextFile(sentinel, `${dead}\ngroup 12 34`);
  assert.equal(claimSentinel(sentinel), null);
  assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\nkilled ${dead}\n`);
  // A PID without its newline is still a PID.
  await Deno.writeTextFile(sentinel, `${dead}`);
  assert.equal(sentinelHolder(sentinel), null);
  await using other = liveProcess(5);
  await Deno.writeTextFile(sentinel, `${other.pid}`);
  assert.equal(sentinelHolder(sentinel), other.pid);
});

/**
 * A `sleep 30` started like a stage command of `stage`: in a session of its
 * own (setsid), with `PIVOT_STAGE` set; killed and reaped on dispose.
 */
function orphanCommand(stage: string): { group: number } & AsyncDisposable {
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", "sleep 30; echo finished"],
    env: { PIVOT_STAGE: stage },
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    group: child.pid,
    [Symbol.asyncDispose]: async () => {
      try {
        Deno.kill(-child.pid, "SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

/** True when some process of group `group` still runs (not a zombie). */
function groupRuns(group: number): boolean {
  return [...Deno.readDirSync("/proc")].some((entry) => {
    if (!/^\d+$/.test(entry.name)) return false;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(pgrp) === group && state !== "Z";
    } catch {
      return false;
    }
  });
}

Deno.test({
  name: "a takeover ends the command the killed holder left running, and only that",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using dir = await tempDir();
    await using orphan = orphanCommand("train");
    await using unrelated = orphanCommand("other");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const dead = await deadPid();
    const sentinel = path.join(dir.path, "train.running");
    // The killed pivot had noted its command's group (and a group whose id now belongs to
    // a command of another stage).
    const groups = `group ${orphan.group} ${dead}\ngroup ${unrelated.group} ${dead}\n`;
    await Deno.writeTextFile(sentinel, `${dead}\n${groups}`);
    assert.equal(claimSentinel(sentinel), null);
    // The claim carries the groups over, so a taker killed before ending them leaves them noted.
    assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\n${groups}killed ${dead}\n`);
    assert.equal(groupRuns(orphan.group), true);

    const started = performance.now();
    assert.deepEqual(await endOrphanedCommands(sentinel), [
      `taking over 'train' from a killed pivot (PID ${dead}): ended its command (process group ${orphan.group})`,
    ]);
    assert.ok(performance.now() - started < 2_000, "sleep ends on SIGTERM, no SIGKILL wait");
    assert.equal(groupRuns(orphan.group), false);
    assert.equal(groupRuns(unrelated.group), true);
    // Nothing left to end the second time.
    assert.deepEqual(await endOrphanedCommands(sentinel), []);
  },
});

Deno.test({
  name: "endOrphanedCommands() ends a command that ignores SIGTERM with SIGKILL",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using dir = await tempDir();
    const child = new Deno.Command("setsid", {
      args: ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"],
      env: { PIVOT_STAGE: "train" },
    }).spawn();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const dead = await deadPid();
    const sentinel = path.join(dir.path, "train.running");
    await Deno.writeTextFile(sentinel, `${dead}\ngroup ${child.pid} ${dead}\n`);
    assert.equal(claimSentinel(sentinel), null);
    assert.equal((await endOrphanedCommands(sentinel)).length, 1);
    assert.equal((await child.status).signal, "SIGKILL");
    assert.equal(groupRuns(child.pid), false);
  },
});

Deno.test({
  name:
    "endOrphanedCommands() ends a command whose setsid had not made its group yet when pivot was killed",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using dir = await tempDir();
    // Started like a stage command whose `setsid` has not run yet: still in our group, its
    // PID (the group it was about to make) noted by the killed pivot.
    const child = new Deno.Command("sh", {
      args: ["-c", "sleep 30"],
      env: { PIVOT_STAGE: "train" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const dead = await deadPid();
      const sentinel = path.join(dir.path, "train.running");
      await Deno.writeTextFile(sentinel, `${dead}\ngroup ${child.pid} ${dead}\n`);
      assert.equal(claimSentinel(sentinel), null);
      assert.deepEqual(await endOrphanedCommands(sentinel), [
        `taking over 'train' from a killed pivot (PID ${dead}): ended its command (process group ${child.pid})`,
      ]);
      assert.equal((await child.status).signal, "SIGTERM");
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* ended */ }
      await child.status;
    }
  },
});

/**
 * Starts `sh -c <script>` with `PIVOT_STAGE=train` and `marker` (`PIVOT_CLAIM=…`) in its
 * environment, in a session of its own (`setsid`) or in ours, and waits until the script has
 * touched `$READY`; killed (its group too) and reaped on dispose.
 */
async function markedCommand(
  dir: string,
  name: string,
  marker: string,
  options: { setsid: boolean; script: string },
): Promise<{ pid: number; status: Promise<Deno.CommandStatus> } & AsyncDisposable> {
  const ready = path.join(dir, `${name}.ready`);
  const split = marker.indexOf("=");
  const args = ["sh", "-c", options.script];
  const child = new Deno.Command(options.setsid ? "setsid" : args.shift()!, {
    args,
    env: { PIVOT_STAGE: "train", READY: ready, [marker.slice(0, split)]: marker.slice(split + 1) },
    stdout: "null",
    stderr: "null",
  }).spawn();
  while (!exists(ready)) await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    pid: child.pid,
    status: child.status,
    [Symbol.asyncDispose]: async () => {
      for (const target of options.setsid ? [-child.pid, child.pid] : [child.pid]) {
        try {
          Deno.kill(target, "SIGKILL");
        } catch { /* already gone */ }
      }
      await child.status;
    },
  };
}

/** A command of one process that sleeps once ready. */
const SLEEPER = 'touch "$READY"; exec sleep 30';

Deno.test({
  name:
    "a takeover ends the commands carrying the killed holder's claim marker though it noted no group, and no others",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using dir = await tempDir();
    await using other = liveProcess(30);
    const sentinel = path.join(dir.path, "train.running");
    const dead = await deadPid();
    const marker = (holder: number, file = sentinel) => `PIVOT_CLAIM=${holder}:${file}`;
    // The killed holder's command, in its own group, with a child that dropped the marker.
    await using orphan = await markedCommand(dir.path, "orphan", marker(dead), {
      setsid: true,
      script: 'env -u PIVOT_CLAIM sleep 30 & touch "$READY"; wait',
    });
    // One killed before its `setsid` made the group: still in the group of the pivot (here
    // the test's), which must not be signalled.
    await using early = await markedCommand(dir.path, "early", marker(dead), {
      setsid: false,
      script: SLEEPER,
    });
    // Commands of the live holder, of another stage's sentinel, and with no marker at all.
    await using live = await markedCommand(dir.path, "live", marker(other.pid), {
      setsid: true,
      script: SLEEPER,
    });
    const elsewhere = path.join(dir.path, "prep.running");
    await using prep = await markedCommand(dir.path, "prep", marker(dead, elsewhere), {
      setsid: true,
      script: SLEEPER,
    });
    await using plain = await markedCommand(dir.path, "plain", "UNRELATED=1", {
      setsid: true,
      script: SLEEPER,
    });
    assert.equal(groupRuns(orphan.pid), true);

    // Killed before it noted the group: the sentinel holds only its PID.
    await Deno.writeTextFile(sentinel, `${dead}\n`);
    assert.equal(claimSentinel(sentinel), null);
    assert.equal(await Deno.readTextFile(sentinel), `${Deno.pid}\nkilled ${dead}\n`);
    assert.deepEqual(await endOrphanedCommands(sentinel), [
      `taking over 'train' from a killed pivot (PID ${dead}): ended its command (process group ${orphan.pid})`,
      `taking over 'train' from a killed pivot (PID ${dead}): ended its command (PID ${early.pid})`,
    ]);
    assert.equal(groupRuns(orphan.pid), false, "the whole group ended, the unmarked child too");
    assert.equal((await early.status).signal, "SIGTERM");
    for (const untouched of [live, prep, plain]) assert.equal(groupRuns(untouched.pid), true);
    assert.equal(processAlive(other.pid), true);
    // Nothing left to end the second time.
    assert.deepEqual(await endOrphanedCommands(sentinel), []);
  },
});

/**
 * Starts `racers` processes that claim `<dir>/r<i>.running` for `rounds`
 * rounds, all at the same instant each round; returns each racer's results
 * (`null`: won, else the holder it saw).
 */
async function race(
  dir: string,
  rounds: number,
  racers: number,
  mode: "" | "templates" = "",
): Promise<(number | null)[][]> {
  const racer = path.join(import.meta.dirname!, "_claim_racer.ts");
  // Leave time for every racer to start before the first round.
  const start = Date.now() + 2_000;
  const children = Array.from({ length: racers }, () =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        racer,
        dir,
        String(rounds),
        String(start),
        "15",
        String(racers),
        mode,
      ],
      stdout: "null",
      stderr: "inherit",
    }).spawn());
  for (const child of children) assert.equal((await child.status).code, 0);
  return children.map((child) =>
    JSON.parse(Deno.readTextFileSync(path.join(dir, `done.${child.pid}`)))
  );
}

Deno.test("of several processes claiming one sentinel at once, exactly one wins, and none sees it without a PID", async () => {
  await using dir = await tempDir();
  const rounds = 40;
  const results = await race(dir.path, rounds, 4);
  for (let round = 0; round < rounds; round++) {
    const seen = results.map((racer) => racer[round]);
    assert.equal(seen.filter((holder) => holder === null).length, 1, `round ${round}: ${seen}`);
    assert.ok(!seen.includes(UNKNOWN_HOLDER), `round ${round}: ${seen}`);
  }
});

Deno.test("of several processes claiming one sentinel at once by a link to their template, exactly one wins, and none sees it without a PID", async () => {
  await using dir = await tempDir();
  const rounds = 40;
  const results = await race(dir.path, rounds, 4, "templates");
  for (let round = 0; round < rounds; round++) {
    const seen = results.map((racer) => racer[round]);
    assert.equal(seen.filter((holder) => holder === null).length, 1, `round ${round}: ${seen}`);
    assert.ok(!seen.includes(UNKNOWN_HOLDER), `round ${round}: ${seen}`);
  }
  // Each sentinel holds its winner's PID; the racers removed their templates.
  const winners = results.map((racer) => racer.filter((holder) => holder === null).length);
  assert.equal(winners.reduce((a, b) => a + b), rounds);
  assert.deepEqual(names(dir.path).filter((name) => name.endsWith(".tmp")), []);
});

Deno.test("of several processes taking over one stale sentinel at once, exactly one wins", async () => {
  await using dir = await tempDir();
  const rounds = 40;
  const dead = await deadPid();
  for (let round = 0; round < rounds; round++) {
    const sentinel = path.join(dir.path, `r${round}.running`);
    // Half left by a killed pivot, half by an older pivot killed before writing its PID.
    await Deno.writeTextFile(sentinel, round % 2 === 0 ? `${dead}\n` : "");
    age(sentinel, 10);
  }
  const results = await race(dir.path, rounds, 4);
  for (let round = 0; round < rounds; round++) {
    const seen = results.map((racer) => racer[round]);
    assert.equal(seen.filter((holder) => holder === null).length, 1, `round ${round}: ${seen}`);
  }
});

Deno.test("claim, takeover and release many times over in one process stay consistent", async () => {
  await using dir = await tempDir();
  const sentinel = path.join(dir.path, "train.running");
  const dead = await deadPid();
  for (let i = 0; i < 500; i++) {
    if (i % 2 === 1) await Deno.writeTextFile(sentinel, `${dead}\ngroup 1 ${dead}\n`);
    assert.equal(claimSentinel(sentinel), null);
    const expected = i % 2 === 1
      ? `${Deno.pid}\ngroup 1 ${dead}\nkilled ${dead}\n`
      : `${Deno.pid}\n`;
    assert.equal(await Deno.readTextFile(sentinel), expected);
    recordCommandGroup(sentinel, 100 + i);
    assert.equal(await Deno.readTextFile(sentinel), `${expected}group ${100 + i} ${Deno.pid}\n`);
    releaseSentinel(sentinel);
    assert.equal(exists(sentinel), false);
  }
  assert.deepEqual(names(dir.path), [".takeover.running"]);
});
