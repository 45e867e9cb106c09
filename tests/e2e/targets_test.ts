/**
 * Targets across commands: a matrix stage's base name selects all its
 * variants (as DVC does for `foreach`), and a malformed identity is answered
 * with the identity grammar.
 */
import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { assertUsage, makeProject, type TempProject } from "../_helpers/project.ts";
import { CHECKOUT_HINT } from "./_fixtures/engine.ts";
import { tempDir } from "../_helpers/files.ts";
import { commitAll, git } from "../_helpers/git.ts";

const MATRIX_PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prepare:",
  "    cmd: echo raw > ${outs}",
  "    outs: txt",
  "  train:",
  "    cmd: cat ${deps.data} > ${outs.model} && echo ${size} > ${outs.notes}",
  "    deps: {data: prepare}",
  "    outs: {model: txt, notes: txt}",
  "    matrix: {size: [small, large]}",
  "  other:",
  "    cmd: echo other > ${outs}",
  "    outs: txt",
  "",
].join("\n");

/**
 * Runs pivot in `p` and returns its stdout with durations blanked, asserting
 * exit 0. (`-j 1` keeps the lines of a run in DAG order.)
 */
async function pivotOk(p: TempProject, args: string[]): Promise<string> {
  const result = await runPivotInProcess(p.root, args);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.replaceAll(/\(\d+\.\ds\)/g, "(…)");
}

/** Replaces a read-only (hardlinked) output with new content. */
async function rewrite(p: TempProject, rel: string, content: string): Promise<void> {
  await Deno.remove(p.path(rel));
  await p.write(rel, content);
}

Deno.test("a matrix stage's base name selects all its variants in every command", async (t) => {
  await using p = await makeProject({ "pivot.yaml": MATRIX_PIPELINE });

  await t.step("repro train runs both variants and their upstream", async () => {
    const [first, ...rest] = (await pivotOk(p, ["repro", "-j", "1", "train"])).split("\n");
    // The upstream stage first; the variants after it, in either order.
    assert.equal(first, "ran prepare: no previous run (…)");
    assert.deepEqual(rest.sort(), [
      "",
      "3 ran, 0 up to date (…)",
      "ran train@large: no previous run (…)",
      "ran train@small: no previous run (…)",
    ]);
    assert.equal(await p.read("data/ml/train@large/notes.txt"), "large\n");
    assert.equal(await p.exists("data/ml/other.txt"), false);
  });

  await t.step("run train runs exactly the variants", async () => {
    // The variants are independent: which one a slot goes to first is not decided.
    assert.deepEqual(
      (await pivotOk(p, ["run", "-j", "1", "train", "--force"])).split("\n").sort(),
      ["", "2 ran, 0 up to date (…)", "ran train@large: forced (…)", "ran train@small: forced (…)"],
    );
  });

  await t.step("status and verify train check both variants", async () => {
    await rewrite(p, "data/ml/train@small/notes.txt", "edited\n");
    assert.equal(
      await pivotOk(p, ["status", "train"]),
      "stale train@small: output train@small:notes → data/ml/train@small/notes.txt was modified\n" +
        "1 stale, 2 up to date\n" + CHECKOUT_HINT,
    );
    const verify = await runPivotInProcess(p.root, ["verify", "train"]);
    assert.equal(verify.code, 1);
    assert.equal(
      verify.stdout,
      "ok     prepare\n" +
        "FAILED train@small: output train@small:notes → data/ml/train@small/notes.txt was modified\n" +
        "ok     train@large\n" +
        "verification failed: 1 of 3 stages\n",
    );
  });

  await t.step("commit train records both variants", async () => {
    await rewrite(p, "data/ml/train@large/notes.txt", "edited too\n");
    assert.equal(
      await pivotOk(p, ["commit", "train"]),
      "committed train@small (output train@small:notes → data/ml/train@small/notes.txt was modified)\n" +
        "committed train@large (output train@large:notes → data/ml/train@large/notes.txt was modified)\n" +
        "2 committed\n",
    );
    assert.equal(await pivotOk(p, ["status", "train"]), "3 up to date\n");
  });

  await t.step("checkout train:model restores the output of both variants", async () => {
    await Deno.remove(p.path("data/ml/train@small/model.txt"));
    await Deno.remove(p.path("data/ml/train@large/model.txt"));
    await Deno.remove(p.path("data/ml/train@large/notes.txt"));
    assert.equal(
      await pivotOk(p, ["checkout", "train:model"]),
      "restored train@small:model → data/ml/train@small/model.txt\n" +
        "restored train@large:model → data/ml/train@large/model.txt\n" +
        "2 restored\n",
    );
    assert.equal(await p.exists("data/ml/train@large/notes.txt"), false);
    assert.equal(
      await pivotOk(p, ["checkout", "train"]),
      "restored train@large:notes → data/ml/train@large/notes.txt\n1 restored, 3 up to date\n",
    );
  });

  await t.step("dag train shows both variants and their upstream", async () => {
    assert.equal(
      await pivotOk(p, ["dag", "--stages", "train"]),
      "prepare\ntrain@small  ← prepare\ntrain@large  ← prepare\n",
    );
    assert.equal(
      await pivotOk(p, ["dag", "--stages", "ml/train:notes"]),
      "prepare\ntrain@small  ← prepare\ntrain@large  ← prepare\n",
    );
  });
});

Deno.test("a prefixed matrix base name selects its variants with --all", async () => {
  await using p = await makeProject({
    // Its train@small takes the name, so eval's stages are prefixed `eval/`.
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  train:",
      "    cmd: echo ml > ${outs}",
      "    outs: txt",
      "    matrix: {size: [small]}",
      "",
    ].join("\n"),
    "eval/pivot.yaml": [
      "stages:",
      "  train:",
      "    cmd: echo ${size} > ${outs.model}",
      "    outs: {model: txt}",
      "    matrix: {size: [small, large]}",
      "",
    ].join("\n"),
  });
  assert.equal(
    await pivotOk(p, ["repro", "-j", "1", "--all", "eval/train"]),
    "ran eval/train@small: no previous run (…)\n" +
      "ran eval/train@large: no previous run (…)\n" +
      "2 ran, 0 up to date (…)\n",
  );
  assert.equal(await p.read("eval/data/eval/train@large/model.txt"), "large\n");
  assert.equal(await p.exists("data/ml/train@small.txt"), false);
  assert.equal(
    await pivotOk(p, ["status", "--all", "eval/train:model", "train"]),
    "stale train@small: no previous run\n1 stale, 2 up to date\n",
  );
});

Deno.test("a malformed identity target is answered with the identity grammar", async (t) => {
  await using p = await makeProject({ "pivot.yaml": MATRIX_PIPELINE });
  const hint =
    "hint: a target is an identity, [<pipeline>/]<stage>[@<variant>][:<key>] (e.g. 'train', 'train:model'), or a tracked path\n";
  const cases: [string[], string][] = [
    [
      ["repro", "train:"],
      "error: invalid target 'train:': key '' must start with a letter or '_' and contain only letters, digits, '_' or '-'\n",
    ],
    [
      ["status", "a b"],
      "error: invalid target 'a b': stage 'a b' must start with a letter and contain only letters, digits, '_' or '-'\n",
    ],
    [
      ["checkout", "x:y:z"],
      "error: invalid target 'x:y:z': key 'y:z' must start with a letter or '_' and contain only letters, digits, '_' or '-'\n",
    ],
  ];
  for (const [args, error] of cases) {
    await t.step(args.join(" "), async () => {
      assertUsage(await runPivotInProcess(p.root, args), error + hint);
    });
  }
  assert.equal(await p.exists("data"), false);
});

Deno.test("a tracked path given to a command that takes stages says which commands take paths", async (t) => {
  await using p = await makeProject({ "pivot.yaml": MATRIX_PIPELINE, "x y": "a\n" });
  await pivotOk(p, ["track", "x y"]);
  for (const command of ["status", "repro", "commit"]) {
    await t.step(command, async () => {
      assert.deepEqual(await runPivotInProcess(p.root, [command, "x y"]), {
        code: 2,
        stdout: "",
        stderr:
          "error: 'x y' is a tracked path, not a stage: this command takes stages and their outputs\n" +
          "hint: name stages or their outputs (train, train:model); tracked paths are targets of checkout, push, fetch and pull, and status and verify without targets check every tracked path\n",
      });
    });
  }
});

Deno.test("a target that names nothing is a usage error (exit 2) in every command that takes targets", async (t) => {
  await using p = await makeProject({ "pivot.yaml": MATRIX_PIPELINE, "raw.csv": "a\n" });
  await using remote = await tempDir();
  await pivotOk(p, ["track", "raw.csv"]);
  await pivotOk(p, ["remote", "add", "origin", remote.path, "--default"]);
  await git(p.root, "init", "-q");
  await commitAll(p.root, "first");
  const unknown =
    "error: unknown target 'trian': not a stage or tracked file (did you mean 'train'?)\n" +
    "hint: 'pivot list' shows the stages and their outputs\n";
  const commands = [
    ["repro"],
    ["repro", "--pull"],
    ["run"],
    ["status"],
    ["status", "-r", "origin"],
    ["verify"],
    ["verify", "--allow-missing"],
    ["commit"],
    ["dag"],
    ["checkout"],
    ["push"],
    ["fetch"],
    ["pull"],
    ["metrics", "show"],
    ["metrics", "diff", "-t"],
    ["params", "show"],
    ["params", "diff", "-t"],
    ["plots", "show"],
    ["plots", "diff", "-t"],
    ["export"],
  ];
  for (const command of commands) {
    await t.step(`${command.join(" ")} trian`, async () => {
      assertUsage(await runPivotInProcess(p.root, [...command, "trian"]), unknown);
    });
  }
  for (const command of [["checkout"], ["repro"]]) {
    await t.step(`${command.join(" ")} trian:model suggests train:model`, async () => {
      assertUsage(
        await runPivotInProcess(p.root, [...command, "trian:model"]),
        "error: unknown target 'trian:model': not a stage or tracked file (did you mean 'train:model'?)\n" +
          "hint: 'pivot list' shows the stages and their outputs\n",
      );
    });
  }
  await t.step("trian:nokey suggests the stage alone: it has no such output", async () => {
    assertUsage(
      await runPivotInProcess(p.root, ["checkout", "trian:nokey"]),
      "error: unknown target 'trian:nokey': not a stage or tracked file (did you mean 'train'?)\n" +
        "hint: 'pivot list' shows the stages and their outputs\n",
    );
  });
  for (const command of [["diff"], ["get", "--rev", "HEAD"]]) {
    await t.step(`${command.join(" ")} trian (at a revision)`, async () => {
      assertUsage(
        await runPivotInProcess(p.root, [...command, "trian"]),
        "error: unknown target 'trian' at HEAD: not a stage, and no file of that path is tracked or committed there (did you mean 'train'?)\n" +
          "hint: targets are stage outputs (identities such as 'train:model') or paths; 'git ls-tree -r --name-only HEAD' lists the committed files\n",
      );
    });
  }
  await t.step(
    "an output's path, a tracked path where stages go, a malformed identity",
    async () => {
      const cases: [string[], string][] = [
        [
          ["repro", "data/ml/other.txt"],
          "error: data/ml/other.txt is the output other; use the identity\nhint: give 'other' as the target\n",
        ],
        [
          ["status", "raw.csv"],
          "error: 'raw.csv' is a tracked path, not a stage: this command takes stages and their outputs\n" +
          "hint: name stages or their outputs (train, train:model); tracked paths are targets of checkout, push, fetch and pull, and status and verify without targets check every tracked path\n",
        ],
        [
          ["checkout", "../elsewhere"],
          `error: unknown target '../elsewhere': it is outside the project\nhint: targets are stages, their outputs, or tracked paths below ${p.root}\n`,
        ],
        [
          ["push", "train:modle"],
          "error: unknown target 'train:modle': stage 'train' has no output 'modle' (did you mean 'train:model'?)\n" +
          "hint: outputs of 'train': model, notes\n",
        ],
        [
          ["verify", "a b"],
          "error: invalid target 'a b': stage 'a b' must start with a letter and contain only letters, digits, '_' or '-'\n" +
          "hint: a target is an identity, [<pipeline>/]<stage>[@<variant>][:<key>] (e.g. 'train', 'train:model'), or a tracked path\n",
        ],
      ];
      for (const [args, stderr] of cases) {
        assertUsage(await runPivotInProcess(p.root, args), stderr);
      }
    },
  );
  assert.equal(await p.exists("data"), false, "nothing ran");
});

Deno.test("a target naming a stage of a pipeline only --all loads says to add --all, in every command that takes stages", async (t) => {
  await using p = await makeProject({
    "pivot.yaml": "pipeline: root\nstages:\n  a:\n    cmd: echo a > ${outs}\n    outs: txt\n",
    "ml/pivot.yaml":
      "pipeline: ml\nstages:\n  prepare:\n    cmd: echo p > ${outs}\n    outs: txt\n",
  });
  const unloaded = (text: string) =>
    `error: unknown target '${text}': not a stage of the pipelines loaded here, nor a tracked file\n` +
    `hint: '${text}' names a stage of ml/pivot.yaml: use --all for every pipeline of the project, or run in the directory of one: ml/pivot.yaml\n`;
  for (const command of [["repro"], ["status"], ["verify"], ["dag"], ["checkout"], ["export"]]) {
    await t.step(`${command.join(" ")} ml/prepare, prepare`, async () => {
      assertUsage(
        await runPivotInProcess(p.root, [...command, "ml/prepare"]),
        unloaded("ml/prepare"),
      );
      assertUsage(await runPivotInProcess(p.root, [...command, "prepare"]), unloaded("prepare"));
    });
  }
  await t.step("a target no pipeline has keeps the usual hint; --all finds the stage", async () => {
    assertUsage(
      await runPivotInProcess(p.root, ["status", "nothing"]),
      "error: unknown target 'nothing': not a stage or tracked file\n" +
        "hint: 'pivot list' shows the stages and their outputs\n",
    );
    const all = await runPivotInProcess(p.root, ["status", "--all", "ml/prepare"]);
    assert.deepEqual(all, {
      code: 0,
      stdout: "stale prepare: no previous run\n1 stale, 0 up to date\n",
      stderr: "",
    });
  });
});
