/**
 * README.md's examples hold: the `pipeline.ts` example, with the README's own
 * advice applied (`import type { PipelineDefinition } from "pivot"` and
 * `satisfies PipelineDefinition`), passes `deno check` against mod.ts, and
 * loads and runs in pivot.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { runPivotInProcess } from "./_helpers/in_process.ts";
import { makeProject } from "./_helpers/project.ts";

const ROOT = path.resolve(import.meta.dirname!, "..");

/** The first ```ts block after the heading `heading` in README.md. */
async function readmeBlock(heading: string): Promise<string> {
  const readme = await Deno.readTextFile(path.join(ROOT, "README.md"));
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README.md has no heading '${heading}'`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(start));
  assert.ok(block !== null, `no ts block under '${heading}'`);
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
