import assert from "node:assert/strict";
import * as path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { pathToFileURL } from "node:url";
import { COMPLETION_FILES, generateCompletion } from "../../scripts/gen_completions.ts";
import { builtBundle } from "../_helpers/bundle.ts";
import { makeProject, type TempProject } from "../_helpers/project.ts";
import { WatchProcess } from "../_helpers/watch_process.ts";

const ROOT = path.resolve(import.meta.dirname!, "../..");

/** A project using a pipeline.ts, the case the built artifacts must handle. */
const TS_PROJECT = {
  "pipeline.ts": [
    'import type { PipelineDefinition } from "pivot";',
    "export default {",
    '  name: "ml",',
    "  stages: {",
    "    prepare: {",
    '      deps: { raw: "raw.csv" },',
    '      outs: "csv",',
    "      run: ({ deps }) => deps.raw,",
    "    },",
    '    train: { deps: { data: "prepare" }, outs: { model: "json" }, cmd: "cp ${deps.data} ${outs.model}" },',
    "  },",
    "} satisfies PipelineDefinition;",
    "",
  ].join("\n"),
  "raw.csv": "a\n1\n",
};

async function run(command: string, args: string[], cwd: string) {
  const output = await new Deno.Command(command, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  })
    .output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

function checkList(result: { code: number; stdout: string; stderr: string }): void {
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^prepare {2}\(run, pipeline ml, pipeline\.ts\)$/m);
  assert.match(
    result.stdout,
    /^ {2}out {4}train:model → data\/ml\/train\/model\.json {2}\(json\)$/m,
  );
}

/**
 * `repro --watch` run by `program` in `p` (a TS_PROJECT): an edit of raw.csv
 * after the first run is seen by its file-watching child, which the same
 * program serves, and runs prepare again.
 */
async function checkWatch(p: TempProject, program: readonly string[]): Promise<void> {
  await using watch = new WatchProcess(p.root, ["--debounce", "100", "prepare"], { program });
  await watch.iteration({ stdout: 0, stderr: 0 });
  const mark = watch.mark();
  await p.write("raw.csv", "a\n2\n");
  assert.equal(
    await watch.iteration(mark),
    "changed: raw.csv → prepare\nran prepare: inputs changed (T)\n1 ran, 0 up to date (T)\n",
  );
  assert.equal((await watch.interrupt()).code, 130);
}

/** A stage writing one vega-lite plot, beside the pipeline.ts project (in `plot/`). */
const PLOT_PIPELINE = [
  "pipeline: chart",
  "stages:",
  "  curve:",
  "    cmd: printf 'x,y\\n1,2\\n2,3\\n' > ${outs}",
  "    outs: {format: csv, kind: plot, x: x, y: y}",
  "",
].join("\n");

/**
 * `plots show` run by `program` in `p/plot` writes a page that inlines the
 * vendored vega libraries (imported as text only when `plots` runs: a built
 * artifact must carry them).
 */
async function checkPlots(p: TempProject, program: readonly string[]): Promise<void> {
  await p.write("plot/pivot.yaml", PLOT_PIPELINE);
  const [command, ...args] = program;
  const ran = await run(command!, [...args, "repro", "-q"], p.path("plot"));
  assert.equal(ran.code, 0, ran.stderr);
  const shown = await run(command!, [...args, "plots", "show", "-o", "show.html"], p.path("plot"));
  assert.equal(shown.stdout, "wrote 1 plot to show.html\n", shown.stderr);
  const page = await Deno.readTextFile(p.path("plot/show.html"));
  for (const library of ["vega.min.js", "vega-lite.min.js", "vega-embed.min.js"]) {
    const text = await Deno.readTextFile(path.join(ROOT, "vendor/vega", library));
    assert.ok(page.includes(text.slice(0, 400)), `the page inlines ${library}`);
  }
}

Deno.test("the bundle (deno task bundle) runs commands on a pipeline.ts project", async () => {
  await using p = await makeProject(TS_PROJECT);
  const bundle = await builtBundle();
  checkList(await run(Deno.execPath(), ["run", "-A", bundle, "list"], p.root));
  const dag = await run(Deno.execPath(), ["run", "-A", bundle, "dag", "--stages"], p.root);
  assert.equal(dag.stdout, "prepare\ntrain    ← prepare\n", dag.stderr);
  // The module is loaded in a worker there too: its Deno.exit() is an error, not pivot's end.
  await p.write("quits/pipeline.ts", "Deno.exit(0);\nexport default { stages: {} };\n");
  const quits = await run(Deno.execPath(), ["run", "-A", bundle, "list"], p.path("quits"));
  assert.equal(quits.code, 1);
  assert.match(
    quits.stderr,
    /^error: quits\/pipeline\.ts: the pipeline module called Deno\.exit\(0\) while loading\n/,
  );
  await checkWatch(p, [Deno.execPath(), "run", "-A", bundle]);
  await checkPlots(p, [Deno.execPath(), "run", "-A", bundle]);
});

Deno.test("the bundle's start stores its V8 code cache, so later starts skip parsing it", async () => {
  const bundle = await builtBundle();
  const denoDir = await Deno.makeTempDir({ prefix: "pivot_test_deno_dir_" });
  try {
    // --version ends in Deno.exit() right after the start; the cache must be stored by then.
    const version = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", bundle, "--version"],
      cwd: denoDir,
      env: { DENO_DIR: denoDir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(version.code, 0, new TextDecoder().decode(version.stderr));
    // Deno keeps V8 code caches in this SQLite database of its cache directory.
    using db = new DatabaseSync(path.join(denoDir, "v8_code_cache_v2"), { readOnly: true });
    const row = db.prepare("SELECT length(data) AS size FROM codecache WHERE specifier = ?")
      .get(pathToFileURL(bundle).href);
    assert.ok(row !== undefined, "the bundle has a code cache entry");
  } finally {
    await Deno.remove(denoDir, { recursive: true });
  }
});

function denortAvailable(): string | null {
  const explicit = Deno.env.get("DENORT_BIN");
  if (explicit) return `DENORT_BIN=${explicit}`;
  const denoDir = Deno.env.get("DENO_DIR") ??
    path.join(Deno.env.get("HOME") ?? "/root", ".cache", "deno");
  const cached = path.join(denoDir, "dl", "release", `v${Deno.version.deno}`);
  try {
    for (const entry of Deno.readDirSync(cached)) {
      if (entry.name.startsWith("denort")) return cached;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return null;
}

const denort = denortAvailable();
if (denort === null) {
  Deno.stdout.writeSync(
    new TextEncoder().encode(
      "skipping the compiled-executable test: deno compile needs its runtime (denort), which is neither cached nor given by DENORT_BIN\n",
    ),
  );
}

Deno.test({
  name: "the compiled executable (deno task compile) runs commands on a pipeline.ts project",
  ignore: denort === null,
  fn: async () => {
    await using p = await makeProject(TS_PROJECT);
    const binary = p.path("dist/pivot");
    // As the task builds it (its --include flags), written to the project instead of dist/.
    const tasks = (JSON.parse(await Deno.readTextFile(path.join(ROOT, "deno.json"))) as {
      tasks: Record<string, string>;
    }).tasks;
    const [deno, ...args] = tasks["compile"]!.replace("dist/pivot", binary).split(/\s+/);
    assert.equal(deno, "deno");
    const built = await run(
      Deno.execPath(),
      [...args.slice(0, 1), "--quiet", ...args.slice(1)],
      ROOT,
    );
    assert.equal(built.code, 0, built.stderr);
    checkList(await run(binary, ["list"], p.root));
    await checkWatch(p, [binary]);
    await checkPlots(p, [binary]);
  },
});

Deno.test("the checked-in completion scripts match the command tree (deno task completions)", async (t) => {
  for (const [shell, file] of Object.entries(COMPLETION_FILES)) {
    await t.step(shell, async () => {
      const expected = await generateCompletion(shell as keyof typeof COMPLETION_FILES);
      const actual = await Deno.readTextFile(path.join(ROOT, "completions", file));
      assert.ok(actual === expected, `completions/${file} is stale: run 'deno task completions'`);
      assert.match(actual, /pivot complete --/);
    });
  }
});
