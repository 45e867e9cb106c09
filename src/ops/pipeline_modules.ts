/**
 * What the definition of a `pipeline.ts` project is loaded from, for its
 * stamps: every local file of the static import graph of each pipeline
 * module, and the Deno configuration files around them. While those files
 * are unchanged, loading the modules again gives the same definition, unless
 * the graph imports something that is not a local file, imports dynamically,
 * or reads the environment, files or the clock while loading (see
 * `engine/module_facts.ts`): then there is no answer, and no stamp.
 *
 * @module
 */
import * as path from "node:path";
import { isLocalSpecifier, resolveSpecifier } from "../engine/code_fingerprint.ts";
import { type ModuleFacts, moduleFacts } from "../engine/module_facts.ts";
import type { Session } from "../session/mod.ts";

/** Extensions of the modules whose code is read (others are refused, JSON aside). */
const CODE_MODULE = /\.(ts|mts|js|mjs)$/;

/** Configuration files that may change how Deno resolves or compiles a module below them. */
const CONFIG_NAMES = ["deno.json", "deno.jsonc", "deno.lock", "package.json"];

/**
 * The files the `pipeline.ts` modules of `session` are loaded from (every
 * local module they import statically, also transitively, JSON modules
 * included) and the configuration files Deno could read for them
 * (`deno.json`, `deno.jsonc`, `deno.lock`, `package.json` in the directory
 * of each and every one above, and an `importMap` they name): an empty list
 * when the project has none. `null` when loading them may depend on
 * anything else: an import that is not a local file or a `node:` module, a
 * dynamic `import()`, load-time code that reads the environment, files or
 * the clock (or that the check cannot follow), a module that cannot be read
 * or parsed, or a symlink among the modules.
 */
export async function pipelineModuleSources(session: Session): Promise<string[] | null> {
  const entries = session.project.discovery.pipelines
    .map((pipeline) => pipeline.file)
    .filter((file) => file.endsWith(".ts"));
  if (entries.length === 0) return [];
  const cache = await session.parseCache();
  const files = new Set<string>();
  const methods = new Set<string>();
  const calledMethods = new Set<string>();
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    // Deno loads a module from its real path: relative imports of a symlink are the target's.
    if (realPath(file) !== file) return null;
    if (file.endsWith(".json")) continue;
    let facts: ModuleFacts;
    try {
      facts = await moduleFacts(session.fingerprints, file, cache);
    } catch {
      return null;
    }
    if (facts.refusal !== null) return null;
    facts.methods.forEach((name) => methods.add(name));
    facts.calledMethods.forEach((name) => calledMethods.add(name));
    for (const { specifier, type } of facts.imports) {
      if (specifier.startsWith("node:")) continue;
      // Not a local file, or a URL whose path resolution may read differently.
      if (!isLocalSpecifier(specifier) || /[?#%]/.test(specifier)) return null;
      const target = resolveSpecifier(file, specifier);
      const isJson = type === "json" && target.endsWith(".json");
      if (!isJson && (type !== null || !CODE_MODULE.test(target))) return null;
      pending.push(target);
    }
  }
  // A method defined in the graph may be the one a load-time `x.map(…)` calls.
  if ([...calledMethods].some((name) => methods.has(name))) return null;
  const configs = configFiles(files);
  return configs === null ? null : [...files, ...configs];
}

/** The real path of `file`, or `null` when it cannot be resolved. */
function realPath(file: string): string | null {
  try {
    return Deno.realPathSync(file);
  } catch {
    return null;
  }
}

/**
 * The configuration files (present or not) in the directories of `files`
 * and above, with the import maps the present ones name; `null` when a
 * `deno.json(c)` names one in a way this cannot read.
 */
function configFiles(files: Iterable<string>): string[] | null {
  const dirs = new Set<string>();
  for (const file of files) {
    for (let dir = path.dirname(file); !dirs.has(dir); dir = path.dirname(dir)) {
      dirs.add(dir);
      if (dir === path.dirname(dir)) break;
    }
  }
  const configs: string[] = [];
  for (const dir of dirs) {
    for (const name of CONFIG_NAMES) {
      const file = path.join(dir, name);
      configs.push(file);
      if (!name.startsWith("deno.json")) continue;
      let text: string;
      try {
        text = Deno.readTextFileSync(file);
      } catch {
        continue;
      }
      if (!text.includes("importMap")) continue;
      const named = /"importMap"\s*:\s*"([^"\\]+)"/.exec(text);
      if (named === null || /^[a-z][a-z0-9+.-]*:/i.test(named[1]!)) return null;
      configs.push(path.resolve(dir, named[1]!));
    }
  }
  return configs;
}
