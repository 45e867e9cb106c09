/**
 * `pivot repro --watch` beside other pivot processes, and its file-watching
 * child process: other commands (in the test process, beside the watcher's
 * process) run against the project while the watcher's iterations hold its
 * state database open, and the child ends with the watcher (and the watcher
 * with the child).
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject } from "../_helpers/project.ts";
import { until } from "../_helpers/spawned.ts";
import { WatchProcess } from "../_helpers/watch_process.ts";

const PIPELINE = [
  "pipeline: ml",
  "stages:",
  // Long enough for other commands to run while the watcher's iteration holds state.db.
  "  watched:",
  "    cmd: cat ${deps.raw} > ${outs}; sleep 1",
  "    deps: {raw: raw.txt}",
  "    outs: txt",
  "  side:",
  "    cmd: cat ${deps.x} > ${outs}",
  "    deps: {x: side.txt}",
  "    outs: txt",
  "",
].join("\n");

/** The pause before each command run beside the watcher (about a pivot process's start-up). */
const START_MS = 50;

/** PIDs of the live processes whose parent is `pid` and whose command line has `word`. */
function childrenOf(pid: number, word: string): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(ppid) !== pid || state === "Z") continue;
      if (Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).includes(word)) {
        found.push(Number(entry.name));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // It ended while listed.
    }
  }
  return found;
}

/** True while process `pid` runs (a zombie counts as ended). */
function running(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The files starting with `prefix` that process `pid` has open but that have been deleted. */
function deletedOpenFiles(pid: number, prefix: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      const target = Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`);
      if (target.startsWith(prefix) && target.endsWith(" (deleted)")) found.push(target);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // Closed while listed.
    }
  }
  return found;
}

/** The file-watching child of the watch process `watch` (it has one once watching). */
async function watchingChild(watch: WatchProcess): Promise<number> {
  let children: number[] = [];
  await until("the watch process has its file-watching child", () => {
    children = childrenOf(watch.pid, "watch_child");
    return children.length > 0;
  });
  assert.equal(children.length, 1, `children: ${children}`);
  return children[0]!;
}

Deno.test("repro --watch: repro, status and commit run during its iterations leave state.db sound, and every change is run", async () => {
  await using p = await makeProject({
    "pivot.yaml": PIPELINE,
    "raw.txt": "0\n",
    "side.txt": "0\n",
  });
  await using watch = new WatchProcess(p.root, ["--debounce", "100", "watched"]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  for (let trial = 1; trial <= 3; trial++) {
    const mark = watch.mark();
    await p.write("raw.txt", `${trial}\n`);
    // Other commands, one after another, for as long as the iteration runs.
    let ran = false;
    const iteration = watch.iteration(mark).finally(() => (ran = true));
    iteration.catch(() => {}); // Awaited below, unless a check fails first.
    for (let round = 0; !ran || round === 0; round++) {
      await p.write("side.txt", `${trial}.${round}\n`);
      const commands = [["repro", "side"], ["status"], ["commit", "side"]];
      for (const args of commands) {
        // In this process (the watcher is the other process); a pause first, as a process's
        // start would take: commands one right after another would starve the watcher's writes.
        await new Promise((resolve) => setTimeout(resolve, START_MS));
        const result = await runPivotInProcess(p.root, args);
        assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
        // A command that took the watcher for gone has deleted the WAL the watcher writes to.
        assert.deepEqual(
          deletedOpenFiles(watch.pid, p.path(".pivot/state.db")),
          [],
          `after ${args[0]}`,
        );
      }
    }
    assert.equal(
      await iteration,
      "changed: raw.txt → watched\nran watched: inputs changed (T)\n1 ran, 0 up to date (T)\n",
      `trial ${trial}`,
    );
    assert.equal(await p.read("data/ml/watched.txt"), `${trial}\n`);
  }
  assert.equal(watch.stderr, "");
  const db = new DatabaseSync(p.path(".pivot/state.db"), { readOnly: true });
  try {
    const rows = db.prepare("PRAGMA integrity_check").all();
    assert.deepEqual(rows.map((row) => row.integrity_check), ["ok"]);
  } finally {
    db.close();
  }
  const status = await runPivotInProcess(p.root, ["status", "-q"]);
  assert.equal(status.code, 0, status.stdout);
  assert.equal((await watch.interrupt()).code, 130);
});

Deno.test("repro --watch: its file-watching child ends when the watch process is killed with SIGKILL", async () => {
  await using p = await makeProject({
    "pivot.yaml": PIPELINE,
    "raw.txt": "0\n",
    "side.txt": "0\n",
  });
  for (let trial = 0; trial < 2; trial++) {
    await using watch = new WatchProcess(p.root, ["--debounce", "100", "side"]);
    await watch.iteration({ stdout: 0, stderr: 0 });
    const child = await watchingChild(watch);
    Deno.kill(watch.pid, "SIGKILL");
    assert.equal((await watch.wait()).code, 137);
    await until(`the watching child ${child} ends`, () => !running(child));
  }
});

Deno.test("repro --watch: a file-watching child that dies ends watching with an error, not a wait for ever", async () => {
  await using p = await makeProject({
    "pivot.yaml": PIPELINE,
    "raw.txt": "0\n",
    "side.txt": "0\n",
  });
  await using watch = new WatchProcess(p.root, ["--debounce", "100", "side"]);
  await watch.iteration({ stdout: 0, stderr: 0 });
  const child = await watchingChild(watch);
  Deno.kill(child, "SIGKILL");
  const result = await watch.wait();
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `error: file watching stopped: the watching process (pid ${child}) was killed by SIGKILL\n` +
      "hint: changes are no longer seen: start watching again\n",
  );
});
