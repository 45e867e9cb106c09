import assert from "node:assert/strict";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { makeProject, runPivot } from "../_helpers/project.ts";

Deno.test("pivot init creates .pivot with config and gitignore", async () => {
  await using p = await makeProject({}, { init: false });
  const result = await runPivotInProcess(p.root, ["init"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /wrote \.pivot\/\.gitignore/);
  assert.match(result.stdout, /wrote \.pivot\/config\.yaml/);
  const gitignore = await p.read(".pivot/.gitignore");
  for (const line of ["/cache/", "/state.db", "/state.db-*"]) {
    assert.ok(gitignore.includes(line), line);
  }
  assert.match(await p.read(".pivot/config.yaml"), /checkout_mode/);
});

Deno.test("pivot init in a directory whose name cannot name a pipeline says to begin pivot.yaml with 'pipeline:'", async () => {
  await using p = await makeProject({ "my.proj/keep.txt": "", "ok_name/keep.txt": "" }, {
    init: false,
  });
  const dotted = await runPivotInProcess(p.path("my.proj"), ["init"]);
  assert.equal(dotted.code, 0, dotted.stderr);
  assert.equal(
    dotted.stdout.split("\n").at(-2),
    "initialized a pivot project; next: write a pivot.yaml beginning with 'pipeline: <name>' (the directory name 'my.proj' cannot name the pipeline: a letter, then letters, digits, '_' or '-') and run 'pivot list'",
  );
  const plain = await runPivotInProcess(p.path("ok_name"), ["init"]);
  assert.equal(
    plain.stdout.split("\n").at(-2),
    "initialized a pivot project; next: write a pivot.yaml and run 'pivot list'",
  );
});

Deno.test("pivot init refuses an existing project and changes nothing", async () => {
  await using p = await makeProject({ ".pivot/config.yaml": "store: {data_dir: out}\n" });
  // A real process: exit status and output end to end.
  const result = await runPivot(p.root, ["init"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^error: already a pivot project: .*\.pivot exists\nhint: use 'pivot init --force'/,
  );
  assert.equal(await p.exists(".pivot/.gitignore"), false);
  assert.equal(await p.read(".pivot/config.yaml"), "store: {data_dir: out}\n");
});

Deno.test("pivot init --force rewrites .gitignore and keeps config.yaml", async () => {
  await using p = await makeProject({
    ".pivot/config.yaml": "store: {data_dir: out}\n",
    ".pivot/.gitignore": "junk\n",
  });
  const result = await runPivotInProcess(p.root, ["init", "--force"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /kept \.pivot\/config\.yaml/);
  assert.match(await p.read(".pivot/.gitignore"), /\/cache\//);
  assert.equal(await p.read(".pivot/config.yaml"), "store: {data_dir: out}\n");
});

Deno.test("pivot init refuses when .pivot is a file", async () => {
  await using p = await makeProject({ ".pivot": "not a dir" }, { init: false });
  const result = await runPivotInProcess(p.root, ["init", "--force"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /error: .*\.pivot exists and is not a directory/);
  assert.equal(await p.read(".pivot"), "not a dir");
});

Deno.test("pivot init inside an existing project refuses unless --force", async () => {
  await using p = await makeProject({ "inner/keep.txt": "" });
  const result = await runPivotInProcess(p.path("inner"), ["init"]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr.split("\n")[0],
    `error: ${p.path("inner")} is already inside the pivot project at ${p.root}`,
  );
  assert.equal(await p.exists("inner/.pivot"), false);
  const forced = await runPivotInProcess(p.path("inner"), ["init", "--force"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(await p.exists("inner/.pivot/config.yaml"), true);
});
