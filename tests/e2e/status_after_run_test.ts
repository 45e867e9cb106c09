/**
 * `pivot status` right after a run: the run's no-op stamp vouches for its
 * stages (see `ops/stamped_up_to_date.ts`), so status reports them up to
 * date without assessing them, but only while nothing the stamp recorded
 * changed. Any change right after the run (an input, an output, the
 * pipeline, params, the cache) is reported exactly as a full assessment
 * reports it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { hashBytes, serializePvt } from "../../src/storage/mod.ts";
import { FINE_RACY_WINDOW_MS } from "../../src/storage/racy_window.ts";
import { runFastNoopInProcess, runPivotInProcess } from "../_helpers/in_process.ts";
import { type CliResult, makeProject, type TempProject } from "../_helpers/project.ts";

const PIPELINE = "pipeline: ml\nstages:\n  prep:\n    cmd: cp ${deps.raw} ${outs}\n" +
  "    deps: {raw: raw.csv}\n    outs: csv\n" +
  "  train:\n    cmd: tac ${deps.data} > ${outs.model}\n    deps: {data: prep}\n" +
  "    outs: {model: txt}\n    params: {lr: 0.1}\n";

const FILES = { "pivot.yaml": PIPELINE, "raw.csv": "a,b\n1,2\n" };

/** A project after a run whose no-op stamp holds (the fast no-op answers `repro`). */
async function afterRun(): Promise<TempProject> {
  const p = await makeProject(FILES);
  // The project's files settle first: a file written within the racy window before a run
  // keeps its stamp from being written.
  await new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
  const run = await runPivotInProcess(p.root, ["repro"]);
  assert.deepEqual([run.code, run.stderr], [0, ""]);
  assert.equal(runFastNoopInProcess(p.root, ["-q", "repro"]).code, 0, "the run left its stamp");
  return p;
}

/** `status`, `status -e`, `status -q`, `status --json` and `status train` (with its upstream) of `p`. */
async function statuses(p: TempProject): Promise<Record<string, CliResult>> {
  const out: Record<string, CliResult> = {};
  const lines = [["status"], ["status", "-e"], ["status", "-q"], ["status", "--json"], [
    "status",
    "train",
  ]];
  for (const args of lines) {
    out[args.join(" ")] = await runPivotInProcess(p.root, args);
  }
  return out;
}

/** What status says of a `.pvt` file whose data is neither in the workspace nor in the cache. */
const TRACKED_MISSING = "2 up to date\n" +
  "tracked notes/readme.txt: missing, and the cache does not hold its recorded content\n" +
  "hint: no remote is configured to pull from ('pivot remote add'): " +
  "put the tracked data back, then run 'pivot repro'\n";

/** The JSON report of an up-to-date stage. */
const upToDate = (stage: string) => ({
  stage,
  stale: false,
  reason: "up to date",
  details: [],
  failing: false,
  outputs: [],
});

Deno.test("status right after a run: every stage up to date, in every form", async () => {
  await using p = await afterRun();
  const got = await statuses(p);
  assert.deepEqual(got["status"], { code: 0, stdout: "2 up to date\n", stderr: "" });
  assert.deepEqual(got["status -e"], { code: 0, stdout: "2 up to date\n", stderr: "" });
  assert.deepEqual(got["status -q"], { code: 0, stdout: "", stderr: "" });
  assert.deepEqual(got["status train"], got["status"]);
  assert.deepEqual(got["status --json"], {
    code: 0,
    stdout: `${
      JSON.stringify({ stages: [upToDate("prep"), upToDate("train")], tracked: [] }, null, 2)
    }\n`,
    stderr: "",
  });
  // Without a stamp of `repro -a`, `status -a` assesses the stages.
  assert.deepEqual(await runPivotInProcess(p.root, ["status", "-a"]), {
    code: 0,
    stdout: "2 up to date\n",
    stderr: "",
  });
  assert.deepEqual(await runPivotInProcess(p.root, ["-v", "status", "train"]), {
    code: 0,
    stdout: "up to date prep\nup to date train\n2 up to date\n",
    stderr: "",
  });
  // `status train` left a report stamp with the run's evidence for the stages: it answers
  // the same, until an input changes.
  assert.deepEqual(runFastNoopInProcess(p.root, ["status", "train"]), got["status train"]);
  await p.write("raw.csv", "a,b\n3,4\n");
  await new Promise((resolve) => setTimeout(resolve, FINE_RACY_WINDOW_MS + 30));
  assert.equal(runFastNoopInProcess(p.root, ["status", "train"]).code, null);
  assert.deepEqual(await runPivotInProcess(p.root, ["status", "train"]), {
    code: 0,
    stdout: "stale prep: inputs changed\nstale train: upstream 'prep' is stale\n" +
      "2 stale, 0 up to date\n",
    stderr: "",
  });
});

Deno.test("status right after a run reports a change made since exactly as a full assessment", async (t) => {
  const cases: {
    name: string;
    change: (p: TempProject) => Promise<void>;
    status: string;
    explain: string;
  }[] = [
    {
      name: "an input edited",
      change: (p) => p.write("raw.csv", "a,b\n3,4\n"),
      status: "stale prep: inputs changed\nstale train: upstream 'prep' is stale\n" +
        "2 stale, 0 up to date\n",
      explain: "stale prep: inputs changed\n    input: raw.csv changed\n" +
        "stale train: upstream 'prep' is stale\n2 stale, 0 up to date\n",
    },
    {
      name: "an output deleted",
      change: (p) => Deno.remove(p.path("data/ml/train/model.txt")),
      status:
        "train:model → data/ml/train/model.txt: missing, restorable: pivot checkout train:model\n" +
        "1 with missing outputs, 1 up to date\n",
      explain:
        "train:model → data/ml/train/model.txt: missing, restorable: pivot checkout train:model\n" +
        "1 with missing outputs, 1 up to date\n",
    },
    {
      name: "a stage's command changed",
      change: (p) =>
        p.write("pivot.yaml", PIPELINE.replace("tac ${deps.data}", "tac -- ${deps.data}")),
      status: "stale train: code changed\n1 stale, 1 up to date\n",
      explain: "stale train: code changed\n    code: the command\n1 stale, 1 up to date\n",
    },
    {
      name: "params overridden",
      change: (p) => p.write("params.yaml", "train: {lr: 0.2}\n"),
      status: "stale train: params changed\n1 stale, 1 up to date\n",
      explain: "stale train: params changed\n    params: lr: 0.1 → 0.2\n1 stale, 1 up to date\n",
    },
    {
      name: "an output's blob removed from the cache",
      change: async (p) => {
        const hash = hashBytes(await p.read("data/ml/prep.csv"));
        await Deno.remove(p.path(`.pivot/cache/files/${hash.slice(0, 2)}/${hash.slice(2)}`));
      },
      status: "prep → data/ml/prep.csv: content missing from the cache; " +
        "'pivot commit prep' (or repro) re-caches it from the workspace\n" +
        "1 with missing outputs, 1 up to date\n",
      explain: "prep → data/ml/prep.csv: content missing from the cache; " +
        "'pivot commit prep' (or repro) re-caches it from the workspace\n" +
        "1 with missing outputs, 1 up to date\n",
    },
    {
      name: "a .pvt file added (a tracked path to compare)",
      change: (p) =>
        p.write(
          "notes/readme.txt.pvt",
          serializePvt({ path: "readme.txt", info: { hash: hashBytes("other\n") }, size: 6 }),
        ),
      status: TRACKED_MISSING,
      explain: TRACKED_MISSING,
    },
  ];
  for (const { name, change, status, explain } of cases) {
    await t.step(name, async () => {
      await using p = await afterRun();
      // Right away, within the racy window of the run's last writes.
      await change(p);
      const got = await statuses(p);
      assert.deepEqual(got["status"], { code: 0, stdout: status, stderr: "" });
      assert.deepEqual(got["status -e"], { code: 0, stdout: explain, stderr: "" });
      assert.deepEqual(got["status -q"], { code: 1, stdout: "", stderr: "" });
      // A target: the stages the stamp vouches for are not assessed, the others are.
      if (!name.includes(".pvt")) assert.deepEqual(got["status train"], got["status"]);
      assert.equal(got["status --json"]!.code, 0);
      assert.notDeepEqual(JSON.parse(got["status --json"]!.stdout), {
        stages: [upToDate("prep"), upToDate("train")],
        tracked: [],
      });
    });
  }
});
