import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject, runPivot } from "../_helpers/project.ts";

Deno.test("pivot --version prints the version", async () => {
  await using p = await makeProject();
  // A real process: exit status and output end to end.
  const result = await runPivot(p.root, ["--version"]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
});

Deno.test("pivot --help lists the commands; every command has --help", async () => {
  await using p = await makeProject();
  const help = await runPivotInProcess(p.root, ["--help"]);
  assert.equal(help.code, 0);
  for (const command of ["init", "list", "dag", "schema", "completions"]) {
    assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`));
    const sub = await runPivotInProcess(p.root, [command, "--help"]);
    assert.equal(sub.code, 0, `${command} --help`);
    assert.match(sub.stdout, new RegExp(`^Usage: pivot ${command}`));
  }
});

Deno.test("pivot without a command prints help and exits 2", async () => {
  await using p = await makeProject();
  // A real process: exit status and output end to end.
  const result = await runPivot(p.root, []);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^Usage: pivot/);
});

Deno.test("pivot with an unknown command or option exits 2 with a suggestion in pivot's words", async (t) => {
  await using p = await makeProject();
  const usage = "hint: run 'pivot --help' or 'pivot <command> --help' for usage\n";
  // A real process: exit status and output end to end.
  assert.deepEqual(await runPivot(p.root, ["lsit"]), {
    code: 2,
    stdout: "",
    stderr: "error: unknown command 'lsit' (did you mean 'list'?)\n" + usage,
  });
  const cases: [string[], string][] = [
    [["list", "--jsno"], "error: unknown option '--jsno' (did you mean '--json'?)\n"],
    [["--verbos", "list"], "error: unknown option '--verbos' (did you mean '--verbose'?)\n"],
    [["repro", "--dryrun"], "error: unknown option '--dryrun' (did you mean '--dry-run'?)\n"],
    [["remote", "ad"], "error: unknown command 'ad' (did you mean 'add'?)\n"],
    [["pulh"], "error: unknown command 'pulh' (did you mean 'pull' or 'push'?)\n"],
    [["frobnicate"], "error: unknown command 'frobnicate'\n"],
    [["status", "-Z"], "error: unknown option '-Z'\n"],
  ];
  for (const [args, error] of cases) {
    await t.step(args.join(" "), async () => {
      assert.deepEqual(await runPivotInProcess(p.root, args), {
        code: 2,
        stdout: "",
        stderr: error + usage,
      });
    });
  }
});

Deno.test("pivot answers a DVC command or flag typed by habit with pivot's word for it", async (t) => {
  await using p = await makeProject();
  const remote = "hint: 'pivot status -r [NAME]' compares the cache with a remote";
  const cases: [string[], string][] = [
    [
      ["add", "data.csv"],
      "error: unknown command 'add'\n" +
      "hint: pivot tracks data with 'pivot track PATH' (DVC's 'dvc add'), writing PATH.pvt\n",
    ],
    [
      ["stage", "list"],
      "error: unknown command 'stage'\n" +
      "hint: 'pivot list' lists the stages (DVC's 'dvc stage list')\n",
    ],
    [
      ["stage", "add", "-n", "x"],
      "error: unknown command 'stage'\n" +
      "hint: a stage is declared in pivot.yaml or pipeline.ts (DVC's 'dvc stage add' writes dvc.yaml)\n",
    ],
    [
      ["repro", "-s", "train"],
      "error: unknown option '-s'\n" +
      "hint: 'pivot run STAGE' runs stages without their upstream (DVC's 'dvc repro -s')\n",
    ],
    [["status", "-c"], `error: unknown option '-c'\n${remote} (DVC's 'dvc status -c')\n`],
    [["status", "--cloud"], `error: unknown option '--cloud'\n${remote} (DVC's 'dvc status -c')\n`],
    [["remote", "status"], `error: unknown command 'status'\n${remote}\n`],
    // The same tokens elsewhere get the usual hint.
    [
      ["list", "-s"],
      "error: unknown option '-s'\nhint: run 'pivot --help' or 'pivot <command> --help' for usage\n",
    ],
  ];
  for (const [args, stderr] of cases) {
    await t.step(args.join(" "), async () => {
      assert.deepEqual(await runPivotInProcess(p.root, args), { code: 2, stdout: "", stderr });
    });
  }
});

Deno.test("pivot -q -v together is a usage error", async () => {
  await using p = await makeProject({ "pivot.yaml": "stages: {}\npipeline: p\n" });
  const result = await runPivotInProcess(p.root, ["-q", "-v", "list"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^error: -q\/--quiet and -v\/--verbose cannot be used together/);
});

Deno.test("pivot list outside a project says to run pivot init", async () => {
  await using p = await makeProject({}, { init: false });
  // A real process: exit status and output end to end.
  const result = await runPivot(p.root, ["list"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^error: not a pivot project \(no \.pivot directory above .*\); run 'pivot init'\nhint: pivot commands work anywhere below/,
  );
});

Deno.test("pivot schema prints a JSON Schema of pivot.yaml", async () => {
  await using p = await makeProject();
  const result = await runPivotInProcess(p.root, ["schema"]);
  assert.equal(result.code, 0);
  const schema = JSON.parse(result.stdout);
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.deepEqual(schema.required, ["stages"]);
  assert.equal(schema.additionalProperties, false);
});
