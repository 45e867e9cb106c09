/**
 * A command that outlives `GROUP_REPORT_AFTER_MS` has its process group
 * noted in its stage's `.running` claim; a full disk that fails the note
 * fails neither the command nor pivot (before, the error was thrown from a
 * timer and ended pivot with an uncaught error and its stack).
 *
 * @module
 */
import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject } from "../_helpers/project.ts";

Deno.test("a full disk that fails noting a slow command's process group is said, and the stage still runs", async () => {
  await using project = await makeProject({
    "in.txt": "x\n",
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  slow:",
      "    cmd: sleep 0.3; cat ${deps.in} > ${outs}",
      "    deps: {in: in.txt}",
      "    outs: txt",
      "",
    ].join("\n"),
  });
  const deno = Deno as unknown as Record<
    string,
    (file: string | URL, ...rest: unknown[]) => unknown
  >;
  const original = deno["writeTextFileSync"]!;
  let refused = 0;
  // The note rewrites the claim through a temp file beside it (`atomicWrite`).
  deno["writeTextFileSync"] = (file, ...rest) => {
    if (/\.running\.[^/]*$/.test(String(file))) {
      refused++;
      throw new Error("No space left on device (os error 28)");
    }
    return original(file, ...rest);
  };
  let result;
  try {
    result = await runPivotInProcess(project.root, ["repro"]);
  } finally {
    deno["writeTextFileSync"] = original;
  }
  assert.equal(refused, 1, "the claim's note was tried once");
  assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
  assert.match(
    `${result.stdout}${result.stderr}`,
    /pivot: cannot note the command's process group in its claim: cannot write \S+slow\.running: /,
  );
  assert.equal(await project.read("data/ml/slow.txt"), "x\n");
  assert.equal(await project.exists(".pivot/stages/ml/slow.running"), false);
});
