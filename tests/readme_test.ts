/**
 * README.md's examples hold: the `pipeline.ts` example, with the README's own
 * advice applied (`import type { PipelineDefinition } from "pivot"` and
 * `satisfies PipelineDefinition`), passes `deno check` against mod.ts, and
 * loads and runs in pivot; the first workflow's steps print what the README
 * says they print.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { runPivotInProcess } from "./_helpers/in_process.ts";
import { makeProject } from "./_helpers/project.ts";

const ROOT = path.resolve(import.meta.dirname!, "..");

/** The first ```<language> block after the heading `heading` in README.md. */
async function readmeBlock(heading: string, language = "ts"): Promise<string> {
  const readme = await Deno.readTextFile(path.join(ROOT, "README.md"));
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README.md has no heading '${heading}'`);
  const block = new RegExp("```" + language + "\\n([\\s\\S]*?)```").exec(readme.slice(start));
  assert.ok(block !== null, `no ${language} block under '${heading}'`);
  return block[1]!;
}

Deno.test("README's pipeline.ts example type-checks with 'satisfies PipelineDefinition', and runs", async () => {
  const example = await readmeBlock("### pipeline.ts");
  assert.match(example, /\n};\n$/, "the example ends its default export with '};'");
  const typed = `import type { PipelineDefinition } from "pivot";\n${
    example.replace(/\n};\n$/, "\n} satisfies PipelineDefinition;\n")
  }`;
  await using p = await makeProject({
    "pipeline.ts": typed,
    "deno.json": JSON.stringify({ imports: { pivot: path.join(ROOT, "mod.ts") } }),
    "inputs/scores.csv": "# scores\nname,score\na,1\nb,2\n",
  });
  const checked = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", "pipeline.ts"],
    cwd: p.root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(
    checked.code,
    0,
    `deno check of README's example failed:\n${decoder.decode(checked.stderr)}`,
  );
  const ran = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.deepEqual(JSON.parse(await p.read("data/ml/report/summary.json")), { n: 2 });
});

Deno.test("README's first workflow: its pivot.yaml runs, and status, repro and checkout print what its comments say", async () => {
  const pipeline = await readmeBlock("## A first workflow", "yaml");
  const steps = await readmeBlock("## A first workflow", "sh");
  assert.match(steps, /printf 'the cat\\nthe dog\\n' > data\/words\.txt/);
  await using p = await makeProject({
    "pivot.yaml": pipeline,
    "data/words.txt": "the cat\nthe dog\n",
  });
  // The pipeline names itself 'wordcount'.
  assert.match(pipeline, /^pipeline: wordcount /m);
  const top = "data/wordcount/top.txt";
  const first = await runPivotInProcess(p.root, ["repro"]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    /^ran count: no previous run .*\nran top: no previous run .*\n2 ran, 0 up to date/,
  );
  const again = await runPivotInProcess(p.root, ["repro"]);
  assert.match(again.stdout, /^up to date count\nup to date top\n0 ran, 2 up to date/);
  assert.equal((await p.read(top)).trim(), "2 the");
  await Deno.writeTextFile(p.path("data/words.txt"), "the bird\n", { append: true });
  const stale = await runPivotInProcess(p.root, ["status"]);
  assert.match(
    stale.stdout,
    /^stale count: inputs changed\nstale top: upstream 'count' is stale\n/,
  );
  assert.equal((await runPivotInProcess(p.root, ["repro"])).code, 0);
  assert.equal((await p.read(top)).trim(), "3 the");
  await Deno.remove(p.path(top));
  const missing = await runPivotInProcess(p.root, ["status"]);
  assert.ok(
    missing.stdout.startsWith(`top → ${top}: missing, restorable: pivot checkout top\n`),
    missing.stdout,
  );
  const restored = await runPivotInProcess(p.root, ["checkout", "top"]);
  assert.ok(restored.stdout.startsWith(`restored top → ${top}\n`), restored.stdout);
  assert.equal((await p.read(top)).trim(), "3 the");
});
