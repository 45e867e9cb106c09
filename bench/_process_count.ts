/**
 * Checks that the tools compared run the same processes: each one's fresh
 * run of a small fan-in under `strace -f -e trace=execve`, counting the
 * programs started by name; a fair comparison shows one `sh -c` (and one
 * `cat`) per stage for every tool.
 *
 * @module
 */
import * as path from "node:path";
import { makeFixture, runCommand, type Tool, verifyOutputs } from "./_fixture.ts";
import { benchEnv } from "./_measure.ts";
import type { BenchSession } from "./_session.ts";
import { fanIn } from "./shapes.ts";
import { discard } from "./_trash.ts";

const STAGES = 10;

/**
 * The programs `tool`'s fresh run of a `STAGES`-stage fan-in started, by
 * name; shells started with `-c` count as `sh -c`.
 */
async function countExecs(session: BenchSession, tool: Tool): Promise<Map<string, number>> {
  const shape = fanIn(STAGES);
  const dir = await makeFixture(tool, shape);
  const traces = await Deno.makeTempDir({ prefix: "pivot_bench_strace_" });
  try {
    const { command, args } = runCommand(tool, session.pivot);
    const output = await new Deno.Command("strace", {
      args: [
        "-f",
        "-ff",
        "-qq",
        "-e",
        "trace=execve",
        "-o",
        path.join(traces, "t"),
        command,
        ...args,
      ],
      cwd: dir,
      env: benchEnv(),
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!output.success) {
      throw new Error(`strace of ${tool} failed: ${new TextDecoder().decode(output.stderr)}`);
    }
    verifyOutputs(tool, dir, shape);
    const counts = new Map<string, number>();
    for (const entry of Deno.readDirSync(traces)) {
      const text = Deno.readTextFileSync(path.join(traces, entry.name));
      // One process per file: its successful execve calls, in order.
      for (const match of text.matchAll(/execve\("([^"]+)", \[([^\]]*)\].*= 0$/gm)) {
        const name = path.basename(match[1]!);
        const argv = match[2]!.split(", ");
        const key = ["sh", "dash", "bash"].includes(name) && argv[1] === '"-c"' ? "sh -c" : name;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    // The tool itself (strace's own exec of it) is no child.
    const self = path.basename(command);
    counts.set(self, (counts.get(self) ?? 1) - 1);
    if (counts.get(self) === 0) counts.delete(self);
    return counts;
  } finally {
    await discard(dir);
    await Deno.remove(traces, { recursive: true });
  }
}

function hasStrace(): boolean {
  try {
    return new Deno.Command("strace", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** The Markdown table of processes started per tool, or a line saying why it is missing. */
export async function processCounts(session: BenchSession): Promise<string[]> {
  if (!hasStrace()) return ["Processes per run: not checked (no `strace`).", ""];
  const tools: Tool[] = ["pivot", "make", "spawn", "xargs"];
  if (session.snakemake !== null) tools.push("snakemake");
  const rows: string[] = [];
  for (const tool of tools) {
    const counts = await countExecs(session, tool);
    const other = [...counts].filter(([name]) => name !== "sh -c" && name !== "cat")
      .map(([name, count]) => `${name} ×${count}`).join(", ");
    rows.push(
      `| ${tool} | ${counts.get("sh -c") ?? 0} | ${counts.get("cat") ?? 0} | ${other || "–"} |`,
    );
  }
  return [
    `Processes each tool starts for a fresh run of a ${STAGES}-stage fan-in (${
      STAGES + 1
    } stages), counted with \`strace -f -e trace=execve\` (successful calls; the tool's own start not counted):`,
    "",
    "| tool | `sh -c` | `cat` | other programs |",
    "|---|---|---|---|",
    ...rows,
    "",
  ];
}
