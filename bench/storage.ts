/**
 * Storage benchmarks: hashing a 1 GiB file against a raw read of the same
 * file, re-hashing 10,000 unchanged files through the hash cache against the
 * first (reading) pass, `pivot status` of a stage whose input is a
 * 10,000-file directory against the same with an empty hash cache, and
 * restoring a 10,000-file directory from the cache against `cp -al` /
 * `cp -r` of the same tree.
 *
 * @module
 */
import * as path from "node:path";
import {
  ContentCache,
  FileHasher,
  hashFile,
  Placer,
  readFull,
  restoreDirectory,
  StateDb,
} from "../src/storage/mod.ts";
import { median, ms, timeCommand, timeIt, timeProcess } from "./_measure.ts";
import { discard } from "./_trash.ts";

const MAIN = path.resolve(import.meta.dirname!, "..", "main.ts");

const GIB = 1024 * 1024 * 1024;
const FILES = 10_000;
const REPEATS = 3;

/** Reads `file` sequentially in 4 MiB chunks, discarding the bytes. */
async function rawRead(file: string): Promise<void> {
  const handle = await Deno.open(file);
  const buffer = new Uint8Array(4 * 1024 * 1024);
  while ((await readFull(handle, buffer)) === buffer.length) { /* keep reading */ }
  handle.close();
}

async function writeBigFile(file: string, size: number): Promise<void> {
  const chunk = new Uint8Array(16 * 1024 * 1024);
  for (let i = 0; i < chunk.length; i += 65_536) {
    crypto.getRandomValues(chunk.subarray(i, i + 65_536));
  }
  const handle = await Deno.open(file, { write: true, create: true, truncate: true });
  for (let written = 0; written < size; written += chunk.length) {
    chunk[0] = written & 0xff; // no two chunks alike
    let offset = 0;
    while (offset < chunk.length) offset += await handle.write(chunk.subarray(offset));
  }
  handle.close();
}

async function benchHashing(dir: string): Promise<string[]> {
  const file = path.join(dir, "big.bin");
  await writeBigFile(file, GIB);
  await rawRead(file); // warm the page cache for both sides alike
  const raw: number[] = [];
  const hashed: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    raw.push(await timeIt(() => rawRead(file)));
    hashed.push(await timeIt(() => hashFile(file)));
  }
  const peakMib = await hashingPeakMib(file);
  await Deno.remove(file);
  const ratio = median(raw) / median(hashed);
  return [
    "| hash a 1 GiB file | " + ms(median(hashed)) +
    ` (${(1024 / median(hashed) * 1000).toFixed(0)} MiB/s)` +
    ` | raw 4 MiB-chunk read of the same file: ${ms(median(raw))} | ${
      ratio.toFixed(2)
    } of raw read speed (target ≥ 0.60); ${
      peakMib === null
        ? "peak memory not measured (no /usr/bin/time)"
        : `peak memory of a process hashing it: ${peakMib.toFixed(0)} MiB`
    } |`,
  ];
}

/** Peak resident memory of a separate process hashing `file`, or `null` without `/usr/bin/time`. */
async function hashingPeakMib(file: string): Promise<number | null> {
  try {
    Deno.statSync("/usr/bin/time");
  } catch {
    return null;
  }
  const script = path.resolve(import.meta.dirname!, "_hash_file.ts");
  const output = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "PEAK_KB=%M", Deno.execPath(), "run", "-A", "--quiet", script, file],
    stdout: "null",
    stderr: "piped",
  }).output();
  const peak = /PEAK_KB=(\d+)/.exec(new TextDecoder().decode(output.stderr));
  if (!output.success || peak === null) throw new Error("hashing the 1 GiB file failed");
  return Number(peak[1]) / 1024;
}

/**
 * Writes `count` small files in directories of 100 under `dir`, with mtimes
 * older than the hash cache's racy window, as files a user has not just
 * written are.
 */
async function makeTree(dir: string, count: number): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  for (let i = 0; i < count; i += 100) {
    const sub = path.join(dir, `d${String(i / 100).padStart(3, "0")}`);
    await Deno.mkdir(sub, { recursive: true });
    for (let j = i; j < Math.min(i + 100, count); j++) {
      const file = path.join(sub, `f${j}.txt`);
      Deno.writeTextFileSync(file, `file ${j}\n`.repeat(1 + (j % 7)));
      Deno.utimeSync(file, past, past);
    }
  }
}

async function benchRehash(dir: string): Promise<string[]> {
  const tree = path.join(dir, "inputs");
  await makeTree(tree, FILES);
  const stateDir = path.join(dir, ".pivot");
  const db = await StateDb.open(stateDir, () => {});
  const cold = new FileHasher(db);
  const coldMs = await timeIt(async () => {
    await cold.hashDirectory(tree);
    cold.flush();
  });
  const warm: number[] = [];
  let misses = 0;
  for (let i = 0; i < REPEATS; i++) {
    const hasher = new FileHasher(db);
    warm.push(await timeIt(() => hasher.hashDirectory(tree)));
    misses += hasher.misses;
  }
  db.close();
  return [
    `| re-hash ${FILES.toLocaleString("en")} unchanged files | ${
      ms(median(warm))
    } (${misses} files read) | first pass, reading every file: ${ms(coldMs)} | ${
      (coldMs / median(warm)).toFixed(1)
    }× faster than reading |`,
  ];
}

async function benchStatus(dir: string): Promise<string[]> {
  const project = path.join(dir, "status");
  const tree = path.join(project, "inputs");
  await makeTree(tree, FILES);
  await Deno.mkdir(path.join(project, ".pivot"));
  await Deno.writeTextFile(
    path.join(project, "pivot.yaml"),
    "stages:\n  count:\n    deps: {tree: inputs}\n    outs: {n: txt}\n" +
      "    cmd: find ${deps.tree} -type f | wc -l > ${outs.n}\n",
  );
  const pivot = (command: string) => ["run", "-A", "--quiet", MAIN, command, "-q"];
  await timeProcess(pivot("repro"), project);
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    for (const suffix of ["", "-wal", "-shm"]) {
      await discard(path.join(project, ".pivot", `state.db${suffix}`));
    }
    cold.push(await timeProcess(pivot("status"), project));
  }
  for (let i = 0; i < REPEATS; i++) warm.push(await timeProcess(pivot("status"), project));
  return [
    `| \`pivot status\` with ${FILES.toLocaleString("en")} unchanged input files | ${
      ms(median(warm))
    } | the same with the hash cache emptied: ${ms(median(cold))} | ${
      (median(cold) / median(warm)).toFixed(1)
    }× faster (target ≤ 1 s) |`,
  ];
}

async function benchCheckout(dir: string): Promise<string[]> {
  const tree = path.join(dir, "inputs");
  const cache = new ContentCache(path.join(dir, "cache"));
  const { manifest } = await new FileHasher(null).hashDirectory(tree);
  for (const entry of manifest) await cache.addFile(path.join(tree, entry.relpath), entry.hash);
  const rows: string[] = [];
  for (const mode of ["hardlink", "copy"] as const) {
    const times: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      const dest = path.join(dir, `out_${mode}_${i}`);
      times.push(await timeIt(() => restoreDirectory(cache, manifest, dest, new Placer([mode]))));
      const copy = path.join(dir, `cp_${mode}_${i}`);
      baseline.push(await timeCommand("cp", [mode === "hardlink" ? "-al" : "-r", tree, copy], dir));
    }
    rows.push(
      `| checkout of a ${FILES.toLocaleString("en")}-file directory (${mode}) | ${
        ms(median(times))
      } | \`cp ${mode === "hardlink" ? "-al" : "-r"}\` of the same tree: ${
        ms(median(baseline))
      } | ${(median(times) / median(baseline)).toFixed(1)}× cp (target ≤ 3 s) |`,
    );
  }
  return rows;
}

/** Runs the storage benchmarks and returns their Markdown section. */
export async function benchStorage(): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "pivot_bench_storage_" });
  try {
    return [
      "## Storage",
      "",
      "| case | pivot | baseline (same run) | ratio |",
      "|---|---|---|---|",
      ...await benchHashing(dir),
      ...await benchRehash(dir),
      ...await benchStatus(dir),
      ...await benchCheckout(dir),
      "",
    ];
  } finally {
    await discard(dir);
  }
}
