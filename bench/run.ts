/**
 * `deno task bench [SECTION…]`: runs the benchmarks (all, or the named
 * sections: `load`, `engine`, `storage`) and prints a Markdown report. Every figure is
 * given next to a baseline measured in the same run.
 *
 * @module
 */
import { benchEngine } from "./engine.ts";
import { benchLoadProject } from "./load_project.ts";
import { benchStorage } from "./storage.ts";

const SECTIONS: Record<string, () => Promise<string[]>> = {
  load: benchLoadProject,
  engine: benchEngine,
  storage: benchStorage,
};

const chosen = Deno.args.length > 0 ? Deno.args : Object.keys(SECTIONS);
for (const name of chosen) {
  if (SECTIONS[name] === undefined) {
    throw new Error(
      `unknown benchmark section '${name}'; choose from ${Object.keys(SECTIONS).join(", ")}`,
    );
  }
}
const cpus = navigator.hardwareConcurrency;
const lines = [
  "# pivot benchmarks",
  "",
  `deno ${Deno.version.deno}, ${cpus} CPUs, ${Deno.build.os}/${Deno.build.arch}, ${
    new Date().toISOString().slice(0, 10)
  }`,
  "",
];
for (const name of chosen) lines.push(...await SECTIONS[name]!());
Deno.stdout.writeSync(new TextEncoder().encode(`${lines.join("\n")}\n`));
