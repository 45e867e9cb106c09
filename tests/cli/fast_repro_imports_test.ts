/**
 * What a `pivot repro` after a change loads before it runs anything: the
 * modules `main.ts` and `src/cli/fast_repro.ts` import statically (found by
 * `deno info`). The `yaml` package costs 20–40 ms to import, so they must
 * not import it: the modules that parse YAML import it when there is a text
 * to parse (`src/util/yaml_lib.ts`). Nor the modules that read a git
 * revision (about a dozen, through `src/project/mod.ts`), nor those that
 * load pipeline files (a run after a change takes its stages from the graph
 * kept with its stamp).
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";

const ROOT = path.resolve(import.meta.dirname!, "../..");

/** One module of `deno info --json`. */
interface InfoModule {
  readonly specifier: string;
  readonly dependencies?: readonly {
    readonly code?: { readonly specifier: string };
    readonly isDynamic?: boolean;
  }[];
}

/** Every module `entry` imports statically (itself included), each with the module that imports it. */
async function staticImports(entry: string): Promise<Map<string, string | null>> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    roots: string[];
    modules: InfoModule[];
    redirects: Record<string, string>;
  };
  const modules = new Map(info.modules.map((module) => [module.specifier, module]));
  const importedBy = new Map<string, string | null>([[info.roots[0]!, null]]);
  const pending = [info.roots[0]!];
  while (pending.length > 0) {
    const module = modules.get(pending.pop()!);
    for (const dep of module?.dependencies ?? []) {
      if (dep.isDynamic || dep.code === undefined) continue;
      const target = info.redirects[dep.code.specifier] ?? dep.code.specifier;
      if (importedBy.has(target)) continue;
      importedBy.set(target, module!.specifier);
      pending.push(target);
    }
  }
  return importedBy;
}

/** `module` and what imports it, back to the entry, as project-relative paths. */
function chain(importedBy: ReadonlyMap<string, string | null>, module: string): string {
  const links: string[] = [];
  for (let at: string | null | undefined = module; at; at = importedBy.get(at)) {
    links.push(at.replace(`file://${ROOT}/`, ""));
  }
  return links.join(" ← ");
}

for (const entry of ["main.ts", "src/cli/fast_repro.ts"]) {
  Deno.test(`${entry} imports no YAML parser statically`, async () => {
    const importedBy = await staticImports(entry);
    const yaml = [...importedBy.keys()].filter((module) =>
      /^npm:\/?yaml@/.test(module) || module.endsWith("/src/util/yaml_lib.ts")
    );
    assert.deepEqual(yaml.map((module) => chain(importedBy, module)), []);
    // The walk saw the modules of a run (not an empty graph).
    if (entry !== "main.ts") {
      assert.ok(importedBy.has(`file://${ROOT}/src/storage/lock_file.ts`));
    }
  });
}

Deno.test("src/cli/fast_repro.ts imports no git or revision module statically", async () => {
  // A run reads the workspace, never a git revision: those modules (git/, the project at a
  // revision) come only with the commands that read one.
  const importedBy = await staticImports("src/cli/fast_repro.ts");
  const revision = [...importedBy.keys()].filter((module) =>
    /\/src\/(git\/|project\/(project_revision|revision_\w+)\.ts$)/.test(module)
  );
  assert.deepEqual(revision.map((module) => chain(importedBy, module)), []);
  assert.ok(importedBy.has(`file://${ROOT}/src/storage/lock_file.ts`));
});

Deno.test("src/cli/fast_repro.ts imports no pipeline loader statically", async () => {
  // After a change, the stages come from the graph kept with the stamp: the modules that load
  // and build pipeline files are imported when files are to be loaded.
  const importedBy = await staticImports("src/cli/fast_repro.ts");
  const loaders = [...importedBy.keys()].filter((module) =>
    /\/src\/(discovery\/discover|pipeline\/(load_\w+|build_pipeline|plain_yaml|matrix|vars))\.ts$/
      .test(module)
  );
  assert.deepEqual(loaders.map((module) => chain(importedBy, module)), []);
  assert.ok(importedBy.has(`file://${ROOT}/src/project/open_project.ts`));
});

Deno.test("a fresh pivot repro runs without loading the command tree (commander)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pivot_fresh_repro_" });
  try {
    // pivot's configuration with commander stubbed out: the command tree cannot load.
    const config = JSON.parse(Deno.readTextFileSync(path.join(ROOT, "deno.json")));
    config.imports["@commander-js/extra-typings"] = "data:text/javascript,";
    Deno.writeTextFileSync(path.join(dir, "deno.json"), JSON.stringify(config));
    const project = path.join(dir, "project");
    Deno.mkdirSync(path.join(project, ".pivot"), { recursive: true });
    Deno.writeTextFileSync(
      path.join(project, "pivot.yaml"),
      "pipeline: fresh\nstages:\n  a:\n    cmd: echo a > ${outs}\n    outs: txt\n",
    );
    const pivot = async (...args: string[]) => {
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-lock", "--config", "../deno.json", `${ROOT}/main.ts`, ...args],
        cwd: project,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
    };
    const fresh = await pivot("repro", "-q", "-j", "2");
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.ok(Deno.statSync(path.join(project, "data/fresh/a.txt")).isFile);
    // The check holds: a command that needs the command tree does not load.
    const list = await pivot("list");
    assert.notEqual(list.code, 0);
    assert.match(list.stderr, /extra-typings|Command/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
