/**
 * The facts a benchmark report states about the machine: CPU, memory,
 * kernel, the file system of the temp directory, the load, and the
 * versions of Deno and of every tool compared.
 *
 * @module
 */
import * as path from "node:path";
import { discard } from "./_trash.ts";

function read(file: string): string {
  try {
    return Deno.readTextFileSync(file);
  } catch {
    return "";
  }
}

/** The first line a command prints, or `null` when it cannot run. */
function firstLine(command: string, args: string[]): string | null {
  try {
    const out = new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).outputSync();
    const text = new TextDecoder().decode(out.stdout).trim() ||
      new TextDecoder().decode(out.stderr).trim();
    return out.success ? text.split("\n")[0]! : null;
  } catch {
    return null;
  }
}

/** The load average (1, 5, 15 minutes) as `/proc/loadavg` gives it. */
export function loadAverage(): string {
  return read("/proc/loadavg").split(" ").slice(0, 3).join(" ") || "unknown";
}

/** File system type and mount options of the directory temp directories are made in. */
function tempFileSystem(): string {
  let dir = Deno.env.get("TMPDIR") ?? "/tmp";
  try {
    dir = Deno.realPathSync(dir);
  } catch { /* keep as given */ }
  let best: string[] | null = null;
  for (const line of read("/proc/mounts").split("\n")) {
    const fields = line.split(" ");
    const mount = fields[1];
    if (mount === undefined) continue;
    const inside = dir === mount || dir.startsWith(mount === "/" ? "/" : `${mount}/`);
    if (inside && (best === null || mount.length >= best[1]!.length)) best = fields;
  }
  if (best === null) return `${dir}: unknown`;
  const journal = best[2] === "ext4" ? `; ${ext4Journal(best[0]!)}` : "";
  return `${dir} on ${best[1]}: ${best[2]} (${best[3]})${journal}`;
}

/**
 * Whether ext4 device `device` keeps a journal: `/proc/fs/jbd2` holds one
 * entry per journal (`vda-8`). Without one, creating a file walks past the
 * inodes freed in the last minutes, so deleting many files slows the runs
 * that follow (see `_trash.ts`).
 */
function ext4Journal(device: string): string {
  const name = path.basename(device);
  try {
    for (const entry of Deno.readDirSync("/proc/fs/jbd2")) {
      if (entry.name.startsWith(`${name}-`)) return "with a journal";
    }
  } catch {
    return "journal unknown";
  }
  return "no journal (each new file walks past the inodes freed in the last minutes)";
}

/**
 * How many directory entries the kernel caches (`/proc/sys/fs/dentry-state`):
 * millions (left by earlier runs that created and kept many files) make every
 * path lookup slower, for every tool.
 */
export function cachedDentries(): string {
  const count = Number(read("/proc/sys/fs/dentry-state").split(/\s+/)[0]);
  return Number.isFinite(count) && count > 0 ? count.toLocaleString("en-US") : "unknown";
}

/**
 * Milliseconds to create 1,000 small files in a new directory under `parent`,
 * each written to a temp name and renamed (what a fresh pivot run does for
 * each stage's lock). On ext4 without a journal this measures the disk's
 * recent past as much as the disk: every new file walks past the inodes
 * freed there in the last minutes, so deleting thousands of files before a
 * run makes every tool that creates files slower (pivot more than Make: it
 * creates two per stage). The files are moved to the trash, not deleted,
 * for the same reason.
 */
export async function fileCreationProbe(parent: string): Promise<number> {
  const dir = await Deno.makeTempDir({ dir: parent, prefix: "create_probe_" });
  const bytes = new TextEncoder().encode("{}\n");
  const started = performance.now();
  for (let i = 0; i < 1000; i++) {
    const temp = path.join(dir, `.${i}.tmp`);
    Deno.writeFileSync(temp, bytes);
    Deno.renameSync(temp, path.join(dir, `${i}.lock`));
  }
  const ms = performance.now() - started;
  await discard(dir);
  return ms;
}

/** Markdown bullet lines describing the machine and the tools' versions. */
export function machineFacts(snakemake: string | null): string[] {
  const cpu = /model name\s*:\s*(.*)/.exec(read("/proc/cpuinfo"))?.[1] ?? "unknown CPU";
  const memKb = Number(/MemTotal:\s*(\d+)/.exec(read("/proc/meminfo"))?.[1] ?? 0);
  let sh = "/bin/sh";
  try {
    sh = `/bin/sh → ${Deno.realPathSync("/bin/sh")}`;
  } catch { /* keep the name */ }
  const optional = (name: string, line: string | null) => `${name}: ${line ?? "not installed"}`;
  return [
    `- CPU: ${cpu}, ${navigator.hardwareConcurrency} CPUs; RAM: ${
      (memKb / 2 ** 20).toFixed(0)
    } GiB`,
    `- kernel: ${Deno.build.os} ${read("/proc/sys/kernel/osrelease").trim()} (${Deno.build.arch})`,
    `- temp directory: ${tempFileSystem()}`,
    `- Deno ${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})`,
    `- ${optional("GNU Make", firstLine("make", ["--version"]))}`,
    `- Snakemake: ${snakemake ?? "not available (its rows are skipped)"}`,
    `- ${optional("xargs", firstLine("xargs", ["--version"]))}; shell: ${sh}`,
    `- ${optional("strace", firstLine("strace", ["-V"]))}; peak memory: ${
      firstLine("/usr/bin/time", ["--version"]) ?? "not measured (no /usr/bin/time)"
    }`,
    `- pivot: ${path.resolve(import.meta.dirname!, "..")}, commit ${
      firstLine("git", [
        "-C",
        path.resolve(import.meta.dirname!, ".."),
        "rev-parse",
        "--short",
        "HEAD",
      ]) ??
        "unknown"
    }`,
  ];
}
