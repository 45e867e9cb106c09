/**
 * `deno task demo`: copies `examples/multi` (three pipelines) into a temporary
 * project and shows what pivot sees in it: `pivot list --all` and `pivot dag --all`.
 * The project is left in place to explore.
 *
 * @module
 */
import * as path from "node:path";
import { cpSync } from "node:fs";

const ROOT = path.resolve(import.meta.dirname!, "..");
const project = await Deno.makeTempDir({ prefix: "pivot_demo_" });
cpSync(path.join(ROOT, "examples", "multi"), project, { recursive: true });
await Deno.mkdir(path.join(project, ".pivot"));

async function pivot(...args: string[]): Promise<void> {
  Deno.stdout.writeSync(new TextEncoder().encode(`\n$ pivot ${args.join(" ")}\n`));
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", path.join(ROOT, "main.ts"), ...args],
    cwd: project,
  }).spawn().status;
  if (code !== 0) Deno.exit(code);
}

Deno.stdout.writeSync(new TextEncoder().encode(`demo project: ${project}\n`));
await pivot("list", "--all");
await pivot("dag", "--all", "--stages");
Deno.stdout.writeSync(new TextEncoder().encode(`\nexplore it: cd ${project}\n`));
