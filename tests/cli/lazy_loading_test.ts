/**
 * Start-up stays light: every pivot process builds the command tree, so the
 * tree must not import what the commands do; each command's action is
 * imported when it runs and brings only its own work. Checked on the static
 * import graph that `deno info` reports (a literal `import()` is a dynamic
 * edge, loaded only when reached).
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { VERSION } from "../../src/version.ts";

const ROOT = path.resolve(import.meta.dirname!, "../..");

/** One module of `deno info --json`, with the parts read here. */
interface InfoModule {
  readonly specifier: string;
  readonly dependencies?: readonly {
    readonly code?: { readonly specifier: string };
    readonly isDynamic?: boolean;
  }[];
}

/** The import graph of `main.ts`: each module's static and dynamic imports. */
async function importGraph(): Promise<Map<string, InfoModule>> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(output.success, "deno info failed");
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: InfoModule[];
  };
  return new Map(info.modules.map((module) => [module.specifier, module]));
}

/**
 * What loading `entries` (repository-relative) loads before any dynamic
 * import runs (with `dynamic`, also what those imports load):
 * repository-relative paths, and `npm:` packages by name.
 */
function staticClosure(
  graph: Map<string, InfoModule>,
  entries: readonly string[],
  dynamic = false,
): Set<string> {
  const base = `${pathToFileURL(ROOT).href}/`;
  const seen = new Set<string>();
  const queue = entries.map((entry) => new URL(entry, base).href);
  while (queue.length > 0) {
    const specifier = queue.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dependency of graph.get(specifier)?.dependencies ?? []) {
      if (dependency.code !== undefined && (dynamic || dependency.isDynamic !== true)) {
        queue.push(dependency.code.specifier);
      }
    }
  }
  return new Set(
    [...seen].map((specifier) =>
      specifier.startsWith(base)
        ? specifier.slice(base.length)
        : specifier.replace(/^npm:\/?(@?[^@]+)@.*$/, "npm:$1")
    ),
  );
}

/** The members of `loaded` that match `pattern`, sorted. */
function matching(loaded: Set<string>, pattern: RegExp): string[] {
  return [...loaded].filter((module) => pattern.test(module)).sort();
}

/** What `pivot --version`, `--help` and a usage error load: main.ts and the command tree. */
const TREE = ["main.ts", "src/cli/run_cli.ts"];

Deno.test("the command tree loads no command's work", async () => {
  const loaded = staticClosure(await importGraph(), TREE);
  assert.ok(loaded.has("src/cli/commands/repro.ts"), "the tree has the command definitions");
  assert.deepEqual(
    matching(
      loaded,
      /^src\/(cli\/actions|project|pipeline|session\/open_session|remote|dag|git)\/|^npm:(yaml|csv-)/,
    ),
    [],
  );
  // The operations it reaches are the stamp readers of the fast paths and the option values.
  assert.deepEqual(matching(loaded, /^src\/ops\//), [
    "src/ops/answer_noop_stamp.ts",
    "src/ops/noop_stamp.ts",
    "src/ops/option_values.ts",
    "src/ops/report_stamp.ts",
    "src/ops/run_record.ts",
  ]);
});

Deno.test("a command's action loads its own operation, not the others'", async (t) => {
  const graph = await importGraph();
  // Other commands' actions, the remote code beyond reading a remote's URL (status hints at
  // `pivot fetch`), the scheduler that runs stages and the file watcher.
  const actions = "^src/cli/actions/";
  const remote = "^src/remote/(?!remote_url|redact)";
  const running = "^src/engine/run_stages\\.ts$";
  const watching = "^src/engine/file_watcher\\.ts$";
  const cases: [action: string, not: readonly string[]][] = [
    // Reading commands start no stage, watch nothing and talk to no remote.
    ["list", [actions, remote, running, watching]],
    ["dag", [actions, remote, running, watching]],
    ["history", [actions, remote, running, watching]],
    ["status", [actions, remote, running, watching]],
    ["verify", [actions, running, watching]],
    ["checkout", [actions, remote, running, watching]],
    // A plain run loads neither the watcher nor the remote code of --watch and --pull.
    ["repro", [actions, remote, watching, "^src/cli/repro_(watch|pull)\\.ts$"]],
  ];
  for (const [action, not] of cases) {
    await t.step(action, () => {
      const file = `src/cli/actions/${action}.ts`;
      const loaded = staticClosure(graph, [...TREE, file]);
      assert.ok(loaded.has(file));
      loaded.delete(file);
      assert.deepEqual(matching(loaded, new RegExp(not.join("|"))), []);
    });
  }
});

Deno.test("pivot --version reads no command's action: deno run loads a dynamic import's module when the import runs", async () => {
  // By default deno run reads and analyses, before it starts, every module a literal import()
  // names, and theirs (all of src/ for main.ts: ~20 ms of CPU for every pivot process);
  // deno.json's unstable "lazy-dynamic-imports" leaves them until the import runs. Deno's
  // debug log names each module file it fetches.
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--log-level=debug", path.join(ROOT, "main.ts"), "--version"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0);
  assert.equal(new TextDecoder().decode(output.stdout), `${VERSION}\n`);
  const fetched = new TextDecoder().decode(output.stderr).split("\n")
    .map((line) => /fetch_no_follow - specifier: (file:\S+)/.exec(line)?.[1])
    .filter((specifier) => specifier !== undefined)
    .map((specifier) => path.relative(ROOT, new URL(specifier).pathname));
  // The log still says what it fetched (else the check below would prove nothing).
  assert.ok(fetched.includes("src/cli/run_cli.ts"), fetched.join(" "));
  assert.deepEqual(fetched.filter((file) => file.startsWith("src/cli/actions/")), []);
});

Deno.test("deno task compile embeds every module a literal import() names: lazy-dynamic-imports leaves them out of its graph", async () => {
  // deno compile builds the graph it embeds without type information, and with
  // "lazy-dynamic-imports" deno leaves a dynamic import's modules out of such a graph: the
  // executable would hold main.ts's static imports only, and fail on every command with
  // "Module not found". The task names them with --include (a directory: each module in it).
  const config = JSON.parse(await Deno.readTextFile(path.join(ROOT, "deno.json"))) as {
    unstable?: string[];
    tasks: Record<string, string>;
  };
  const words = config.tasks["compile"]!.split(/\s+/);
  const included = words.flatMap((word, i) => words[i - 1] === "--include" ? [word] : []);
  const graph = await importGraph();
  const embedded = (module: string) =>
    included.some((dir) =>
      module === dir || module.startsWith(dir.endsWith("/") ? dir : `${dir}/`)
    );
  const loaded = staticClosure(graph, ["main.ts"]);
  const missing = [...staticClosure(graph, ["main.ts"], true)].filter((module) =>
    !module.startsWith("npm:") && !module.startsWith("node:") && !loaded.has(module) &&
    !embedded(module)
  );
  assert.ok(config.unstable?.includes("lazy-dynamic-imports"), "the premise of this test");
  assert.ok(missing.length > 0 || included.length > 0);
  assert.deepEqual(missing.sort(), []);
});
