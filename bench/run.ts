/**
 * `deno task bench [SECTION…]`: runs the benchmarks (all, or the named
 * sections: `load`, `compare`, `storage`, `watch`) and prints a Markdown report; every
 * figure sits next to a baseline measured in the same run. A full run (no
 * sections named) also writes the report to `bench/results.md`.
 *
 * @module
 */
import * as path from "node:path";
import { benchCompare } from "./compare.ts";
import { benchLoadProject } from "./load_project.ts";
import { benchStorage } from "./storage.ts";
import { benchWatch } from "./watch.ts";
import { emptyTrash } from "./_trash.ts";

const log = (line: string) => Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`));

const SECTIONS: Record<string, () => Promise<string[]>> = {
  load: benchLoadProject,
  compare: () => benchCompare(log),
  storage: benchStorage,
  watch: benchWatch,
};

const chosen = Deno.args.length > 0 ? Deno.args : Object.keys(SECTIONS);
for (const name of chosen) {
  if (SECTIONS[name] === undefined) {
    throw new Error(
      `unknown benchmark section '${name}'; choose from ${Object.keys(SECTIONS).join(", ")}`,
    );
  }
}

function machine(): string {
  const read = (file: string) => {
    try {
      return Deno.readTextFileSync(file);
    } catch {
      return "";
    }
  };
  const cpu = /model name\s*:\s*(.*)/.exec(read("/proc/cpuinfo"))?.[1] ?? "unknown CPU";
  const memKb = Number(/MemTotal:\s*(\d+)/.exec(read("/proc/meminfo"))?.[1] ?? 0);
  return `${cpu}, ${navigator.hardwareConcurrency} CPUs, ${
    (memKb / 2 ** 20).toFixed(0)
  } GiB RAM, ${Deno.build.os}/${Deno.build.arch}, deno ${Deno.version.deno}`;
}

const lines = [
  "# pivot benchmarks",
  "",
  `Machine: ${machine()}. Date: ${
    new Date().toISOString().slice(0, 10)
  }. Command: \`deno task bench\`.`,
  "",
];
try {
  for (const name of chosen) {
    log(`running ${name}…`);
    lines.push(...await SECTIONS[name]!());
  }
} finally {
  await emptyTrash();
}
const report = `${lines.join("\n")}\n`;
Deno.stdout.writeSync(new TextEncoder().encode(report));
if (Deno.args.length === 0) {
  await Deno.writeTextFile(path.join(import.meta.dirname!, "results.md"), report);
  log("wrote bench/results.md");
}
