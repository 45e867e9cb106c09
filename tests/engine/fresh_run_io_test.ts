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
  await using project = await makeProject({
    "in.txt": "x\n",
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      ...stages.flatMap((name) => [
        `  ${name}:`,
        "    cmd: cat ${deps.in} > ${outs}",
        "    deps: {in: in.txt}",
        "    outs: txt",
      ]),
      "",
    ].join("\n"),
  });
  const stagesDir = project.path(path.join(".pivot", "stages"));
  const cacheDir = project.path(path.join(".pivot", "cache"));
  const outputs = new Set(stages.map((name) => project.path(`data/ml/${name}.txt`)));
  const sentinelReads: string[] = [];
  const thrown: string[] = [];
  const result = await watchingCalls((fn, file, missing) => {
    const inStages = file.startsWith(stagesDir + path.sep);
    if (fn === "readTextFileSync" && inStages && file.endsWith(".running")) {
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
