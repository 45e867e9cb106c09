/**
 * Data diff benchmark: `pivot diff` of a ~1 GB csv (10,000,000 rows of about
 * 100 bytes; `PIVOT_BENCH_DIFF_ROWS` changes the count) between its committed
 * version and a workspace copy with rows modified, removed and added, by key
 * (partitioned through temp files) and by position (both versions in
 * lockstep): wall time and peak memory of the process, against a plain read
 * of both files.
 *
 * @module
 */
import * as path from "node:path";
import { ms, timeRun } from "./_measure.ts";
import { discard } from "./_trash.ts";
import { PIVOT_V8_FLAGS } from "../src/cli/v8_flags.ts";

const MAIN = path.resolve(import.meta.dirname!, "..", "main.ts");
const ROWS = Number(Deno.env.get("PIVOT_BENCH_DIFF_ROWS") ?? 10_000_000);

/** A row of the old version (the new one changes some). */
function row(i: number): string {
  return `${i},user_${i % 100_000},${((i * 37) % 100_000) / 100},${
    i % 2 === 0
  },"note for row ${i}: ${"x".repeat(40)}"\n`;
}

/** Writes the old and the new version: every 1,000th row modified, every 5,000th removed, 1,000 added. */
async function writeVersions(oldFile: string, newFile: string): Promise<void> {
  const encoder = new TextEncoder();
  const old = await Deno.open(oldFile, { write: true, createNew: true });
  const now = await Deno.open(newFile, { write: true, createNew: true });
  const write = async (file: Deno.FsFile, text: string) => {
    const data = encoder.encode(text);
    let offset = 0;
    while (offset < data.length) offset += await file.write(data.subarray(offset));
  };
  const header = "id,user,score,flag,note\n";
  let a = header;
  let b = header;
  for (let i = 1; i <= ROWS; i++) {
    const line = row(i);
    a += line;
    if (i % 5_000 !== 0) b += i % 1_000 === 0 ? line.replace(",user_", ",USER_") : line;
    if (a.length > 1 << 20) {
      await write(old, a);
      await write(now, b);
      a = "";
      b = "";
    }
  }
  for (let i = 1; i <= 1_000; i++) b += row(ROWS + i);
  await write(old, a);
  await write(now, b);
  old.close();
  now.close();
}

async function run(cwd: string, command: string, args: string[]): Promise<void> {
  const output = await new Deno.Command(command, { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!output.success) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
}

/** Wall time and peak resident memory (MiB) of `pivot args…` in `cwd`, and what it printed. */
async function measurePivot(
  cwd: string,
  args: string[],
): Promise<{ ms: number; peakMib: number; stdout: string }> {
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", PIVOT_V8_FLAGS, MAIN, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // VmHWM is the peak resident size the kernel kept for the process.
  let peakKb = 0;
  const poll = setInterval(() => {
    try {
      const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
      peakKb = Math.max(peakKb, Number(/VmHWM:\s*(\d+)/.exec(status)?.[1] ?? 0));
    } catch { /* the process has ended */ }
  }, 20);
  const output = await child.output();
  clearInterval(poll);
  const elapsed = performance.now() - start;
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`pivot ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
  return { ms: elapsed, peakMib: peakKb / 1024, stdout };
}

/** The `diff` section: key and position runs on the generated versions. */
export async function benchDiff(): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "pivot_bench_diff_" });
  try {
    const oldFile = path.join(dir, "old.csv");
    const project = path.join(dir, "project");
    await Deno.mkdir(project);
    const bigFile = path.join(project, "big.csv");
    await writeVersions(oldFile, path.join(dir, "new.csv"));
    const size = (await Deno.stat(oldFile)).size;
    await run(project, Deno.execPath(), ["run", "-A", "--quiet", MAIN, "init"]);
    await run(project, "git", ["init", "-q"]);
    await Deno.rename(oldFile, bigFile);
    await run(project, Deno.execPath(), ["run", "-A", "--quiet", MAIN, "track", "big.csv"]);
    const gitId = ["-c", "user.name=bench", "-c", "user.email=bench@pivot.invalid"];
    await run(project, "git", ["add", "-A"]);
    await run(project, "git", [...gitId, "commit", "-q", "-m", "old"]);
    await Deno.remove(bigFile);
    await Deno.rename(path.join(dir, "new.csv"), bigFile);
    const readBoth = (await timeRun({
      command: "sh",
      args: ["-c", "cat big.csv .pivot/cache/files/*/* > /dev/null"],
    }, project)).ms;
    const byKey = await measurePivot(project, ["diff", "big.csv", "--key", "id", "--json"]);
    const byPosition = await measurePivot(project, ["diff", "big.csv", "--json"]);
    const keyed = JSON.parse(byKey.stdout);
    const positional = JSON.parse(byPosition.stdout);
    const gb = (size / 1e9).toFixed(2);
    const rows = ROWS.toLocaleString("en");
    return [
      `\`pivot diff big.csv\` of a ${gb} GB csv (${rows} rows of ${
        Math.round(size / ROWS)
      } bytes) between its committed version (in the cache) and a workspace copy with every 1,000th row modified, every 5,000th removed and 1,000 added. Peak memory is the process's resident peak (VmHWM, the Deno runtime included). Baseline: \`cat\` of both files.`,
      "",
      "| case | time | peak memory | found | baseline (same run) |",
      "|---|---|---|---|---|",
      `| \`--key id\` (${keyed.partitions} partitions) | ${ms(byKey.ms)} | ${
        byKey.peakMib.toFixed(0)
      } MiB | +${keyed.added.count} −${keyed.removed.count} ~${keyed.modified.count} | ${
        ms(readBoth)
      } |`,
      `| by position (lockstep) | ${ms(byPosition.ms)} | ${
        byPosition.peakMib.toFixed(0)
      } MiB | +${positional.added.count} −${positional.removed.count} ~${positional.modified.count} | ${
        ms(readBoth)
      } |`,
      "",
    ];
  } finally {
    await discard(dir);
  }
}
