import assert from "node:assert/strict";
import { runRecordJson } from "../../src/ops/run_record.ts";
import { StateDb } from "../../src/storage/mod.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { assertFailed, makeProject, type TempProject } from "../_helpers/project.ts";

/** Records runs with these ids in the project's history, as `pivot repro` would. */
async function recordRuns(p: TempProject, ids: readonly string[]): Promise<void> {
  const db = await StateDb.open(p.path(".pivot"), () => assert.fail("unexpected warning"));
  try {
    for (const runId of ids) {
      const data = runRecordJson({
        runId,
        command: "repro",
        startedAt: "2026-02-07T12:00:00.000Z",
        endedAt: "2026-02-07T12:00:01.000Z",
        targets: [],
        stages: ["train"],
        results: new Map([["train", {
          status: "ran",
          reason: "no previous run",
          durationMs: 1000,
          logTail: [],
        }]]),
      });
      db.addRun(runId, data, 100);
    }
  } finally {
    db.close();
  }
}

Deno.test("pivot show with a run id prefix that several runs share lists them", async () => {
  await using p = await makeProject();
  await recordRuns(p, [
    "20260207_120000_aaaa1111",
    "20260207_120000_aaaa2222",
    "20260207_120000_bbbb3333",
  ]);
  assertFailed(
    await runPivotInProcess(p.root, ["show", "20260207_120000_aaaa"]),
    "error: ambiguous run '20260207_120000_aaaa': it starts 2 run ids: " +
      "20260207_120000_aaaa1111, 20260207_120000_aaaa2222\n" +
      "hint: give more of the run id; 'pivot history' lists the recorded runs\n",
  );
  const unique = await runPivotInProcess(p.root, ["show", "--json", "20260207_120000_b"]);
  assert.equal(unique.code, 0, unique.stderr);
  assert.equal(JSON.parse(unique.stdout).run_id, "20260207_120000_bbbb3333");
  const exact = await runPivotInProcess(p.root, ["show", "--json", "20260207_120000_aaaa1111"]);
  assert.equal(JSON.parse(exact.stdout).run_id, "20260207_120000_aaaa1111");
  assertFailed(
    await runPivotInProcess(p.root, ["show", "2025"]),
    "error: no run '2025'\nhint: 'pivot history' lists the recorded runs\n",
  );
});

Deno.test("pivot show lists at most ten of the runs an ambiguous prefix matches", async () => {
  await using p = await makeProject();
  const ids = Array.from(
    { length: 12 },
    (_, i) => `20260207_1200${String(i).padStart(2, "0")}_abcd`,
  );
  await recordRuns(p, ids);
  assertFailed(
    await runPivotInProcess(p.root, ["show", "2026"]),
    `error: ambiguous run '2026': it starts more than 10 run ids: ${
      ids.slice(0, 10).join(", ")
    }, …\n` +
      "hint: give more of the run id; 'pivot history' lists the recorded runs\n",
  );
});

// Before, `show` called a stage the run found up to date "skipped", unlike repro's own output.
Deno.test("pivot show names stages as repro did: ran with its reason, up to date", async () => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: ml\nstages:\n  a:\n    cmd: echo a > ${outs}\n    outs: txt\n" +
      "  b:\n    cmd: echo b > ${outs}\n    outs: txt\n",
  });
  assert.equal((await runPivotInProcess(p.root, ["repro", "a"])).code, 0);
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  const shown = await runPivotInProcess(p.root, ["show"]);
  assert.equal(shown.code, 0, shown.stderr);
  const stages = shown.stdout.split("\n").filter((line) => /^[✓•↺✗-] /.test(line))
    .map((line) => line.replace(/ {2}\S+$/, ""));
  assert.deepEqual(stages, ["• a  up to date", "✓ b  ran: no previous run"]);
});
