/**
 * `deno task demo`: creates the example project (`pivot init --example`) in a
 * temporary directory and runs `pivot repro` on it twice: the first run runs
 * every stage, the second finds everything up to date. The project is left in
 * place to explore.
 *
 * @module
 */
import * as path from "node:path";

const ROOT = path.resolve(import.meta.dirname!, "..");
const project = await Deno.realPath(await Deno.makeTempDir({ prefix: "pivot_demo_" }));
const say = (text: string) => Deno.stdout.writeSync(new TextEncoder().encode(text));

async function pivot(...args: string[]): Promise<void> {
  say(`\n$ pivot ${args.join(" ")}\n`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", path.join(ROOT, "main.ts"), ...args],
    cwd: project,
  }).spawn().status;
  if (code !== 0) Deno.exit(code);
}

say(`demo project: ${project}\n`);
await pivot("init", "--example");
await pivot("repro");
await pivot("repro");
await pivot("list");
say(`\nexplore it: cd ${project} && deno run -A ${path.join(ROOT, "main.ts")} status\n`);
