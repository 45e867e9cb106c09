/**
 * No-op stamps of commands run in a subdirectory, through a symlinked path
 * to the project, or with `--all`: the fast path answers the same command
 * from them, and an edit of an input the command reads is seen.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { noopStampKey } from "../../src/ops/noop_stamp.ts";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { StateDb } from "../../src/storage/state_db.ts";
import { runFastNoopInProcess, runPivotInProcess } from "../_helpers/in_process.ts";
import { type CliResult, makeProject, type TempProject } from "../_helpers/project.ts";
import { timeless } from "./_fixtures/engine.ts";

const FILES: Record<string, string> = {
  "pivot.yaml": "pipeline: top\nstages:\n  prep:\n    cmd: cp ${deps.raw} ${outs}\n" +
    "    deps: {raw: raw.csv}\n    outs: csv\n",
  "raw.csv": "a,b\n1,2\n",
  "sub/pivot.yaml": "pipeline: sub\nstages:\n  jot:\n    cmd: cat ${deps.in} > ${outs}\n" +
    "    deps: {in: in.txt}\n    outs: txt\n",
  "sub/in.txt": "one\n",
  "notes/readme.txt": "notes\n",
};

/** Waits out the racy window of file systems keeping times to the nanosecond. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
}

/** The key of the stamp of `pivot repro` (with `--all` when `all`) run in `cwd`. */
function reproKey(cwd: string, all = false): string {
  return noopStampKey({
    mode: "repro",
    all,
    targets: [],
    cwd: Deno.realPathSync(cwd),
    env: (name) => Deno.env.get(name),
  });
}

/** The text stored under `key` in `p`, or `null`. */
function storedText(p: TempProject, key: string): string | null {
  const db = StateDb.openExisting(path.join(p.root, ".pivot"));
  try {
    return db.getNoopStamp(key);
  } finally {
    db.close();
  }
}

/** Runs pivot in this process and asserts that it succeeded without a word on stderr. */
async function pivotOk(cwd: string, args: readonly string[]): Promise<CliResult> {
  const result = await runPivotInProcess(cwd, args);
  assert.deepEqual([result.code, result.stderr], [0, ""], `pivot ${args.join(" ")} in ${cwd}`);
  return result;
}

/** Runs `args` in `cwd` until a no-op leaves its stamp (the run before may not, racy). */
async function stampedNoop(p: TempProject, cwd: string, args: readonly string[]): Promise<void> {
  const all = args.includes("--all");
  for (let attempt = 1; attempt <= 5; attempt++) {
    await settle();
    const result = await pivotOk(cwd, args);
    if (!/^ran /m.test(result.stdout) && storedText(p, reproKey(cwd, all)) !== null) return;
  }
  throw new Error(`no no-op of pivot ${args.join(" ")} in ${cwd} left a stamp`);
}

Deno.test("stamps hold the paths read when run in a subdirectory, through a symlink, with --all", async () => {
  await using p = await makeProject(FILES);
  const linkDir = await Deno.makeTempDir({ prefix: "pivot_test_link_" });
  await using _link = {
    [Symbol.asyncDispose]: () => Deno.remove(linkDir, { recursive: true }),
  };
  const link = path.join(linkDir, "project");
  await Deno.symlink(p.root, link);
  const cases: {
    cwd: string;
    args: string[];
    input: string;
    ran: string;
    up: string;
  }[] = [
    { cwd: link, args: ["repro"], input: "raw.csv", ran: "prep", up: "" },
    { cwd: path.join(link, "notes"), args: ["repro"], input: "raw.csv", ran: "prep", up: "" },
    { cwd: path.join(link, "sub"), args: ["repro"], input: "sub/in.txt", ran: "jot", up: "" },
    { cwd: p.path("sub"), args: ["repro"], input: "sub/in.txt", ran: "jot", up: "" },
    {
      cwd: path.join(link, "notes"),
      args: ["repro", "--all"],
      input: "sub/in.txt",
      ran: "jot",
      up: "up to date prep\n",
    },
  ];
  for (const [i, { cwd, args, input, ran, up }] of cases.entries()) {
    const what = `pivot ${args.join(" ")} in ${cwd}`;
    await stampedNoop(p, cwd, args);
    assert.notEqual(storedText(p, reproKey(cwd, args.includes("--all"))), null, what);
    const answered = runFastNoopInProcess(cwd, args);
    assert.equal(answered.code, 0, what);
    assert.match(timeless(answered.stdout), /^(up to date \S+\n)+0 ran, \d+ up to date \(T\)\n$/);
    // The input edited: the stamp no longer holds, and the stage runs.
    await p.write(input, `edit ${i}\n`);
    assert.deepEqual(runFastNoopInProcess(cwd, args), { code: null, stdout: "", stderr: "" }, what);
    const result = await pivotOk(cwd, args);
    assert.match(
      timeless(result.stdout),
      new RegExp(`ran ${ran}: inputs changed \\(T\\)\n`),
      `${what}: ${result.stdout}`,
    );
    assert.ok(result.stdout.startsWith(up), what);
  }
  assert.equal(await p.read("data/top/prep.csv"), "edit 1\n");
  assert.equal(await p.read("sub/data/sub/jot.txt"), "edit 4\n");
});
