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
import { median, ms, pairedRatios, timeIt, timeRun } from "./_measure.ts";
import { compareRow, memoryRow, type Row, type SectionResult, Series } from "./_report.ts";
import type { BenchSession } from "./_session.ts";
import { discard } from "./_trash.ts";

/** Reads `file` sequentially in 4 MiB chunks, discarding the bytes. */
async function rawRead(file: string): Promise<void> {
  const handle = await Deno.open(file);
  const buffer = new Uint8Array(4 * 1024 * 1024);
  while ((await readFull(handle, buffer)) === buffer.length) { /* keep reading */ }
  handle.close();
}

/** Writes `size` bytes of random data to `file`, in 16 MiB chunks. */
export async function writeBigFile(file: string, size: number): Promise<void> {
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

/** Hashing a big file in-process against a raw read of it (taking turns), and a hashing process's memory. */
async function benchHashing(session: BenchSession, dir: string) {
  const { hashBytes, storageRounds } = session.sizes;
  const file = path.join(dir, "big.bin");
  await writeBigFile(file, hashBytes);
  await rawRead(file); // warm the page cache for both sides alike
  const raw = new Series("raw read");
  const hashed = new Series("hash (in-process)");
  for (let i = 0; i < storageRounds; i++) {
    raw.add({ ms: await timeIt(() => rawRead(file)), peakMb: null });
    hashed.add({ ms: await timeIt(() => hashFile(file)), peakMb: null });
  }
  const process = new Series("a process hashing the file");
  const script = path.resolve(import.meta.dirname!, "_hash_file.ts");
  process.add(
    await timeRun({ command: Deno.execPath(), args: ["run", "-A", "--quiet", script, file] }, dir),
  );
  await Deno.remove(file);
  const mib = hashBytes / 1024 ** 2;
  const size = mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`;
  const speeds = pairedRatios(raw.times, hashed.times);
  const speed = median(speeds);
  const rows: Row[] = [
    {
      case: `hash a ${size} file (in-process)`,
      pivot: `${ms(hashed.median)} (${(mib / hashed.median * 1000).toFixed(0)} MiB/s)`,
      baseline: `raw 4 MiB-chunk read of the same file: ${ms(raw.median)}`,
      ratio: `${speed.toFixed(2)} of raw read speed (${speeds.length} pairs)`,
      target: "≥ 0.60 of raw read speed",
      met: speed >= 0.6 ? "yes" : "no",
    },
    memoryRow(`peak memory of a process hashing the ${size} file`, [process], [], "–"),
  ];
  return { rows, series: [raw, hashed, process] };
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

/** Re-hashing unchanged files through the hash cache, against the first (reading) pass. */
async function benchRehash(session: BenchSession, dir: string) {
  const { files, storageRounds } = session.sizes;
  const tree = path.join(dir, "inputs");
  await makeTree(tree, files);
  const db = await StateDb.open(path.join(dir, ".pivot"), () => {});
  const cold = new Series("first pass (reads every file)");
  const hasher = new FileHasher(db);
  cold.add({
    ms: await timeIt(async () => {
      await hasher.hashDirectory(tree);
      hasher.flush();
    }),
    peakMb: null,
  });
  const warm = new Series("re-hash (hash cache)");
  let misses = 0;
  for (let i = 0; i < storageRounds; i++) {
    const again = new FileHasher(db);
    warm.add({ ms: await timeIt(() => again.hashDirectory(tree)), peakMb: null });
    misses += again.misses;
  }
  db.close();
  const row = compareRow(
    `re-hash ${files.toLocaleString("en")} unchanged files (in-process; ${misses} read again)`,
    warm,
    cold,
    { kind: "none" },
    "first pass, reading every file",
  );
  return { rows: [row], series: [cold, warm] };
}

/** `pivot status` of a stage reading a tree of unchanged files, against the same with the hash cache emptied. */
async function benchStatus(session: BenchSession, dir: string) {
  const { files, storageRounds } = session.sizes;
  const project = path.join(dir, "status");
  await makeTree(path.join(project, "inputs"), files);
  await Deno.mkdir(path.join(project, ".pivot"));
  await Deno.writeTextFile(
    path.join(project, "pivot.yaml"),
    "stages:\n  count:\n    deps: {tree: inputs}\n    outs: {n: txt}\n" +
      "    cmd: find ${deps.tree} -type f | wc -l > ${outs.n}\n",
  );
  await timeRun(session.pivot(["repro", "-q"]), project);
  const status = session.pivot(["status", "-q"]);
  const cold = new Series("pivot status, hash cache emptied");
  const warm = new Series("pivot status");
  for (let i = 0; i < storageRounds; i++) {
    for (const suffix of ["", "-wal", "-shm"]) {
      await discard(path.join(project, ".pivot", `state.db${suffix}`));
    }
    cold.add(await timeRun(status, project));
    warm.add(await timeRun(status, project));
  }
  const row = compareRow(
    `\`status\` with ${files.toLocaleString("en")} unchanged input files`,
    warm,
    cold,
    { kind: "at most", ms: 1_000 },
    "the same with the hash cache emptied",
  );
  return { rows: [row], series: [cold, warm] };
}

/** Restoring a tree from the cache against `cp -al` / `cp -r` of it, taking turns. */
async function benchCheckout(session: BenchSession, dir: string) {
  const { files, storageRounds } = session.sizes;
  const tree = path.join(dir, "inputs");
  const cache = new ContentCache(path.join(dir, "cache"));
  const { manifest } = await new FileHasher(null).hashDirectory(tree);
  for (const entry of manifest) await cache.addFile(path.join(tree, entry.relpath), entry.hash);
  const rows: Row[] = [];
  const series: Series[] = [];
  for (const mode of ["hardlink", "copy"] as const) {
    const flag = mode === "hardlink" ? "-al" : "-r";
    const mine = new Series(`checkout (${mode})`);
    const cp = new Series(`cp ${flag}`);
    for (let i = 0; i < storageRounds; i++) {
      const dest = path.join(dir, `out_${mode}_${i}`);
      mine.add({
        ms: await timeIt(() => restoreDirectory(cache, manifest, dest, new Placer([mode]))),
        peakMb: null,
      });
      cp.add(
        await timeRun(
          { command: "cp", args: [flag, tree, path.join(dir, `cp_${mode}_${i}`)] },
          dir,
        ),
      );
    }
    rows.push(
      compareRow(
        `checkout of a ${files.toLocaleString("en")}-file directory (${mode}, in-process)`,
        mine,
        cp,
        { kind: "at most", ms: 3_000 },
        `\`cp ${flag}\` of the same tree`,
      ),
    );
    series.push(mine, cp);
  }
  return { rows, series };
}

/** Runs the storage benchmarks and returns their section. */
export async function benchStorage(session: BenchSession): Promise<SectionResult> {
  const dir = await Deno.makeTempDir({ prefix: "pivot_bench_storage_" });
  try {
    session.log("  hashing");
    const hashing = await benchHashing(session, dir);
    session.log("  re-hashing");
    const rehash = await benchRehash(session, dir);
    session.log("  status");
    const status = await benchStatus(session, dir);
    session.log("  checkout");
    const checkout = await benchCheckout(session, dir);
    const parts = [hashing, rehash, status, checkout];
    return {
      rows: parts.flatMap((p) => p.rows),
      body: [],
      raw: parts.flatMap((p) => p.series).flatMap((s) => s.raw()),
    };
  } finally {
    await discard(dir);
  }
}
