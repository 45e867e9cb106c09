import assert from "node:assert/strict";
import { triggerLine } from "../../src/cli/watch_display.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject } from "../_helpers/project.ts";

Deno.test("repro: the watch options are checked before anything runs", async (t) => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  a:\n    cmd: echo a > ${outs}\n    outs: txt\n",
  });
  const cases: [string[], string][] = [
    [["--debounce", "100"], "error: --debounce needs --watch\n"],
    [["--serve"], "error: --serve needs --watch\n"],
    [["--watch", "--dry-run"], "error: --watch and --dry-run cannot be used together\n"],
    [
      ["--watch", "--debounce", "soon"],
      "error: invalid --debounce 'soon': expected milliseconds, a whole number of at least 0\n",
    ],
    [
      ["--watch", "--debounce=-1"],
      "error: invalid --debounce '-1': expected milliseconds, a whole number of at least 0\n",
    ],
  ];
  for (const [args, stderr] of cases) {
    await t.step(args.join(" "), async () => {
      const result = await runPivotInProcess(p.root, ["repro", ...args]);
      assert.deepEqual(result, { code: 2, stdout: "", stderr });
    });
  }
  assert.equal(await p.exists("data"), false, "nothing ran");
});

Deno.test("repro --watch outside a project is an error", async () => {
  await using p = await makeProject({}, { init: false });
  const result = await runPivotInProcess(p.root, ["repro", "--watch"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^error: not a pivot project \(no \.pivot directory above .*\); run 'pivot init'\n/,
  );
});

Deno.test("triggerLine() names the changed paths (at most five) and what they set off", () => {
  const change = { type: "watch_trigger", source: "change", stages: [], reload: false } as const;
  assert.equal(
    triggerLine({ ...change, paths: ["data/raw.csv"], stages: ["prepare", "clean"] }),
    "changed: data/raw.csv → prepare, clean",
  );
  assert.equal(
    triggerLine({ ...change, paths: ["a", "b", "c", "d", "e", "f", "g"], reload: true }),
    "changed: a, b, c, d, e and 2 more → reloading the pipeline",
  );
  assert.equal(
    triggerLine({ ...change, paths: [], reload: true }),
    "changed: files (events were lost) → reloading the pipeline",
  );
  assert.equal(
    triggerLine({ ...change, source: "request", paths: [], stages: ["train"] }),
    "requested: run train",
  );
});
