/**
 * The bundle of `deno task bundle` (built with the task's own arguments),
 * built once for the sources as they are and shared by the tests that run it:
 * it is kept in the artifact directory under a hash of everything it is built
 * from (main.ts, src/, vendor/, deno.json, deno.lock) and the Deno version, so
 * it is built again only when one of those changed. Test files running at once take turns
 * through a lock on a file beside it, so only the first one builds.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { hashBytes } from "../../src/storage/mod.ts";
import { artifactDir } from "./chromium.ts";

const ROOT = path.resolve(import.meta.dirname!, "../..");

/** What the bundle is built from, relative to the repository root: files and directories. */
const SOURCES = ["main.ts", "deno.json", "deno.lock", "src", "vendor"];

/** Every file under `rel` (itself when it is a file), sorted. */
function filesUnder(rel: string): string[] {
  const abs = path.join(ROOT, rel);
  if (!Deno.statSync(abs).isDirectory) return [rel];
  return [...Deno.readDirSync(abs)]
    .map((entry) => path.join(rel, entry.name))
    .sort()
    .flatMap(filesUnder);
}

/** A hash of the Deno version and the paths and contents of everything the bundle is built from. */
function sourcesHash(): string {
  const parts = SOURCES.flatMap(filesUnder).map((rel) =>
    `${rel}\0${hashBytes(Deno.readFileSync(path.join(ROOT, rel)))}`
  );
  return hashBytes([Deno.version.deno, ...parts].join("\n"));
}

/** The arguments of deno.json's `bundle` task (after `deno`), writing to `output` instead of dist/. */
async function bundleArgs(output: string): Promise<string[]> {
  const tasks = (JSON.parse(await Deno.readTextFile(path.join(ROOT, "deno.json"))) as {
    tasks: Record<string, string>;
  }).tasks;
  const [deno, subcommand, ...args] = tasks["bundle"]!.split(/\s+/);
  assert.equal(`${deno} ${subcommand}`, "deno bundle");
  assert.ok(args.includes("dist/pivot.js"), "the task writes dist/pivot.js");
  return ["bundle", "--quiet", ...args.map((arg) => arg === "dist/pivot.js" ? output : arg)];
}

/**
 * The path of the bundle of the current sources, building it first when there
 * is none (bundles of other sources are removed then).
 */
export async function builtBundle(): Promise<string> {
  const dir = path.join(artifactDir(), "bundle");
  await Deno.mkdir(dir, { recursive: true });
  const hash = sourcesHash();
  const bundle = path.join(dir, `pivot-${hash}.js`);
  using lock = await Deno.open(path.join(dir, "build.lock"), { write: true, create: true });
  await lock.lock(true);
  try {
    await Deno.stat(bundle);
    return bundle;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  for (const entry of Deno.readDirSync(dir)) {
    if (/^pivot-.*\.js$/.test(entry.name)) await Deno.remove(path.join(dir, entry.name));
  }
  // Written under another name, then renamed: a bundle that exists is complete. Its name
  // ends in .js, which tells deno bundle the output format.
  const partial = path.join(dir, `building-${hash}.js`);
  const built = await new Deno.Command(Deno.execPath(), {
    args: await bundleArgs(partial),
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));
  await Deno.rename(partial, bundle);
  return bundle;
}
