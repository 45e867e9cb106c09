/**
 * Copies the browser builds of vega, vega-lite and vega-embed (the versions
 * deno.json pins) and their licenses into `vendor/vega/`, from where
 * `pivot plots` inlines them into its page (`deno task vendor-vega`);
 * `--check` only reports files that differ.
 *
 * @module
 */
import * as path from "node:path";

const ROOT = path.resolve(import.meta.dirname!, "..");

/** The vendored files: package, file in the package, name under `vendor/vega/`. */
export const VEGA_FILES = [
  { pkg: "vega", file: "build/vega.min.js", name: "vega.min.js" },
  { pkg: "vega-lite", file: "build/vega-lite.min.js", name: "vega-lite.min.js" },
  { pkg: "vega-embed", file: "build/vega-embed.min.js", name: "vega-embed.min.js" },
  { pkg: "vega", file: "LICENSE", name: "LICENSE.vega" },
  { pkg: "vega-lite", file: "LICENSE", name: "LICENSE.vega-lite" },
  { pkg: "vega-embed", file: "LICENSE", name: "LICENSE.vega-embed" },
] as const;

/** `vendor/vega/` in this repository. */
export const VENDOR_DIR = path.join(ROOT, "vendor", "vega");

/**
 * The directory of each npm package (as deno.json pins it) in Deno's cache,
 * downloaded first when missing (`deno info` resolves and fetches it).
 */
export async function packageDirs(): Promise<Map<string, string>> {
  const imports = JSON.parse(await Deno.readTextFile(path.join(ROOT, "deno.json"))).imports;
  const dirs = new Map<string, string>();
  for (const pkg of new Set(VEGA_FILES.map((entry) => entry.pkg))) {
    const specifier = imports[pkg] as string;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", specifier],
      cwd: ROOT,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!output.success) throw new Error(`deno info ${specifier} failed`);
    const info = JSON.parse(new TextDecoder().decode(output.stdout));
    const version = specifier.slice(specifier.lastIndexOf("@") + 1);
    const found = Object.values(info.npmPackages as Record<string, NpmPackage>)
      .find((entry) => entry.name === pkg && entry.version === version);
    if (found === undefined) throw new Error(`deno info did not list ${pkg}@${version}`);
    dirs.set(pkg, found.localPath);
  }
  return dirs;
}

interface NpmPackage {
  name: string;
  version: string;
  localPath: string;
}

/**
 * Compares `vendor/vega/` with the packages' files and, unless `check`,
 * rewrites those that differ; returns the names of the files that differed.
 */
export async function syncVendorFiles(check: boolean): Promise<string[]> {
  const dirs = await packageDirs();
  const stale: string[] = [];
  await Deno.mkdir(VENDOR_DIR, { recursive: true });
  for (const entry of VEGA_FILES) {
    const source = await Deno.readFile(path.join(dirs.get(entry.pkg)!, entry.file));
    const target = path.join(VENDOR_DIR, entry.name);
    const current = await Deno.readFile(target).catch(() => null);
    if (
      current !== null && current.length === source.length &&
      current.every((b, i) => b === source[i])
    ) {
      continue;
    }
    stale.push(entry.name);
    if (!check) await Deno.writeFile(target, source);
  }
  return stale;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const stale = await syncVendorFiles(check);
  const lines = stale.map((name) => `vendor/vega/${name} ${check ? "is stale" : "updated"}\n`);
  Deno.stdout.writeSync(new TextEncoder().encode(lines.join("")));
  if (check && stale.length > 0) Deno.exit(1);
}
