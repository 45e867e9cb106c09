/**
 * What a fresh run asks the file system per stage (issue 17: the bookkeeping
 * of a stage, not its command, made a fresh run of 1,000 stages slow). A real
 * `repro` runs in-process, its `cmd` stages in real workers, while Deno's
 * file functions are wrapped to count the calls that matter: a claimed stage's
 * `.running` sentinel is never read back, and what a fresh run expects to be
 * missing (a lock, an output, a blob, readers' records, the `.pvt` beside an
 * input) is found missing
 * without a thrown `NotFound`.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { makeProject } from "../_helpers/project.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";

/** A project of pipeline `ml` whose `stages` each run `cmd(name)` on `in.txt` into one txt output. */
function fanOutProject(stages: readonly string[], cmd: (name: string) => string) {
  return makeProject({
    "in.txt": "x\n",
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      ...stages.flatMap((name) => [
        `  ${name}:`,
        `    cmd: ${cmd(name)}`,
        "    deps: {in: in.txt}",
        "    outs: txt",
      ]),
      "",
    ].join("\n"),
  });
}

/** The wrapped functions: each call's path is passed to `seen` with whether it threw `NotFound`. */
const WRAPPED = ["readTextFileSync", "statSync", "lstatSync", "readDirSync"] as const;

/**
 * Runs `work` with {@linkcode WRAPPED} functions of `Deno` reporting each
 * call to `seen`; puts them back afterwards.
 */
async function watchingCalls<T>(
  seen: (fn: string, file: string, missing: boolean) => void,
  work: () => Promise<T>,
): Promise<T> {
  const deno = Deno as unknown as Record<
    string,
    (file: string | URL, ...rest: unknown[]) => unknown
  >;
  const originals = WRAPPED.map((fn) => [fn, deno[fn]!] as const);
  for (const [fn, original] of originals) {
    deno[fn] = (file, ...rest) => {
      try {
        const result = original(file, ...rest);
        seen(fn, String(file), false);
        return result;
      } catch (error) {
        seen(fn, String(file), error instanceof Deno.errors.NotFound);
        throw error;
      }
    };
  }
  try {
    return await work();
  } finally {
    for (const [fn, original] of originals) deno[fn] = original;
  }
}

Deno.test("a fresh repro reads no claimed sentinel back and meets a stage's expected absences without a thrown NotFound", async () => {
  const stages = ["a", "b", "c"];
  await using project = await fanOutProject(stages, () => "cat ${deps.in} > ${outs}");
  const stagesDir = project.path(path.join(".pivot", "stages"));
  const cacheDir = project.path(path.join(".pivot", "cache"));
  const outputs = new Set(stages.map((name) => project.path(`data/ml/${name}.txt`)));
  const sentinelReads: string[] = [];
  const thrown: string[] = [];
  const result = await watchingCalls((fn, file, missing) => {
    const inStages = file.startsWith(stagesDir + path.sep);
    // Noting the process group of a command that ran past GROUP_REPORT_AFTER_MS keeps the
    // sentinel's lines: a read that a loaded machine makes with any command.
    const notingGroup = new Error().stack?.includes("noteCommandGroup") ?? false;
    if (fn === "readTextFileSync" && inStages && file.endsWith(".running") && !notingGroup) {
      sentinelReads.push(path.basename(file));
    }
    // Per stage: its lock, the readers' records of its outputs, its blob, its output,
    // the `.pvt` that would track its input.
    const perStage = (inStages && (file.endsWith(".lock") || file.includes(".readers."))) ||
      file.startsWith(cacheDir + path.sep) || outputs.has(file) || file.endsWith(".pvt");
    if (missing && perStage) thrown.push(`${fn} ${path.relative(project.root, file)}`);
  }, () => runPivotInProcess(project.root, ["repro", "-q", "-j", "2"]));
  assert.deepEqual(result, { code: 0, stdout: "", stderr: "" });
  for (const name of stages) {
    assert.equal(await project.read(`data/ml/${name}.txt`), "x\n");
    assert.equal(await project.exists(`.pivot/stages/ml/${name}.running`), false);
  }
  assert.deepEqual(sentinelReads, []);
  assert.deepEqual(thrown, []);
});

/**
 * Runs `work` with Deno's synchronous file-moving and linking functions
 * wrapped to report each call (name, first path) to `seen`; puts them back
 * afterwards.
 */
async function watchingWrites<T>(
  seen: (fn: string, file: string) => void,
  work: () => Promise<T>,
): Promise<T> {
  const deno = Deno as unknown as Record<
    string,
    (file: string | URL, ...rest: unknown[]) => unknown
  >;
  const wrapped = ["renameSync", "linkSync"] as const;
  const originals = wrapped.map((fn) => [fn, deno[fn]!] as const);
  for (const [fn, original] of originals) {
    deno[fn] = (file, ...rest) => {
      seen(fn, String(file));
      return original(file, ...rest);
    };
  }
  try {
    return await work();
  } finally {
    for (const [fn, original] of originals) deno[fn] = original;
  }
}

Deno.test("a fresh repro links each output into the cache where it is (no output moved into the cache and linked back)", async () => {
  const stages = ["a", "b", "c", "d", "e", "f"];
  await using project = await fanOutProject(
    stages,
    (name) => `cat \${deps.in} > \${outs}; echo ${name} >> \${outs}`,
  );
  const stagesDir = project.path(path.join(".pivot", "stages"));
  const outputs = new Set(stages.map((name) => project.path(`data/ml/${name}.txt`)));
  const moved: string[] = [];
  const result = await watchingWrites((fn, file) => {
    // An output renamed (moved into the cache and linked back, rather than linked in place).
    if (fn === "renameSync" && outputs.has(file)) moved.push(path.relative(project.root, file));
  }, () => runPivotInProcess(project.root, ["repro", "-q", "-j", "2"]));
  assert.deepEqual(result, { code: 0, stdout: "", stderr: "" });
  assert.deepEqual(moved, []);
  for (const name of stages) {
    const output = project.path(`data/ml/${name}.txt`);
    assert.equal(await Deno.readTextFile(output), `x\n${name}\n`);
    // The output is its blob: read-only, and one file with two names.
    const info = Deno.statSync(output);
    assert.equal((info.mode ?? 0) & 0o777, 0o444);
    assert.equal(info.nlink, 2);
    assert.equal(await project.exists(`.pivot/stages/ml/${name}.running`), false);
  }
  // Nothing of the claims is left beside the locks.
  assert.deepEqual(
    [...Deno.readDirSync(path.join(stagesDir, "ml"))].map((e) => e.name).sort(),
    stages.map((name) => `${name}.lock`),
  );
});
