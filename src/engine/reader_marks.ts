/**
 * Reader marks: readers and writers of a stage's outputs kept apart across
 * pivot processes (as DVC's `rwlock`, per producing stage). A stage with
 * work to do marks each stage whose outputs it reads before it takes the
 * verdict it acts on (and hashes the inputs its lock records) and keeps the
 * marks until it is recorded, so that no other process deletes or rewrites
 * those outputs meanwhile: the lock's input hashes describe what its command
 * read. (An up-to-date stage records nothing, so it keeps no marks.) A stage
 * about to remove, restore or rewrite its outputs waits until no other
 * process reads them.
 *
 * A mark is a record `.readers.running/<producer>.<pid>.<random>` beside the
 * producer's `.running` sentinel, holding the reader's PID (the directory is
 * ignored by git as `*.running`). A stage reading several producers whose
 * sentinels share a directory marks them all with one record
 * `+.<pid>.<random>` listing their names, one a line, written whole (a
 * temporary file renamed), so that a fan-in of a thousand stages writes one
 * file, not a thousand (`+` starts no stage name). The writer's mark is its claim of the
 * sentinel. Each side first makes its own mark and then looks for the
 * other's, as between `gc` and the commands that write blobs
 * (`ops/_cache_guard.ts`): a reader creates its record, then reads the
 * producer's sentinel; a writer claims its sentinel, then lists the records.
 * Whichever marks second sees the first, so a reader never hashes outputs
 * that a writer is changing: a reader that finds the producer claimed removes
 * its records and waits; a writer that finds readers waits for them to end
 * (removing records of processes that are gone).
 *
 * A process never waits for itself: records with its own PID and its own
 * claims are not looked at. Within one run that is safe, because a consumer
 * starts only once its producers of the run have ended (the scheduler), and a
 * producer outside the run is not written by it.
 *
 * Why processes never wait for each other in a circle (the order is
 * `process_stage.ts`'s: a first verdict, marks, the verdict acted on, claim,
 * wait for readers, act, record, release the claim, release the marks): a
 * process working on stage S waits for another process in one of three ways.
 * - (a) For the claim of S, held by another process working on S (before the
 *   first verdict holding nothing, or later holding its marks).
 * - (b) Holding the claim of S, for processes holding marks on S: they work
 *   on stages that read S, strictly downstream of S.
 * - (c) For the writer of a producer of S, upstream of S, but only while it
 *   holds nothing: no claim (claims come after marks) and no mark (it drops
 *   them all before waiting). So no process waits for it: (a) waits for a
 *   claim, (b) for marks.
 *
 * A holder of S's claim (what (a) waits for) itself waits only as in (b). So
 * a circle would be made of (a) and (b) steps with at least one (b), each (b)
 * moving strictly downstream and no step upstream: impossible in a DAG. A
 * stage that both reads a producer P and writes its own outputs holds its
 * marks on P while it waits in (a) or (b); writers of P wait for it, but P is
 * upstream. Inside a process, a stage waits for its upstream stages of the run
 * (holding nothing) and for a slot; slots are held only by stages whose
 * commands run, never while they wait for readers (which comes before the
 * slot). The argument takes the DAG to be the same in every process: two
 * processes started on versions of a pipeline that order two stages
 * oppositely could each hold the claim one needs and a mark the other waits
 * for.
 *
 * @module
 */
import * as path from "node:path";
import { atomicWrite } from "../util/atomic_write.ts";
import { environmentError } from "../util/environment_error.ts";
import {
  entryNamesSync,
  readTextOrNullSync,
  removeIfPresentSync,
  writeNewTextFileSync,
} from "../util/fs.ts";
import { joinNormal, splitPath } from "../util/paths.ts";
import { plainlyAbsent, type PreciseStat } from "../util/precise_stat.ts";
import { describeHolder, processAlive, sentinelHolder } from "./running_sentinel.ts";
import type { ClaimOptions } from "./stage_claim.ts";
import type { PlannedProducer } from "./stage_plan.ts";

/** The directory of reader records, beside the sentinels. */
export const READERS_DIR = ".readers.running";

/** A record's name: the stage read (or {@linkcode SEVERAL}), the reader's PID, a random id. */
const RECORD = /^(.+)\.(\d+)\.[0-9a-f]+$/;

/** What a record marking several stages has in place of a stage's name. */
const SEVERAL = "+";

/** How often a waiting process looks again, in milliseconds. */
const POLL_MS = 100;

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, POLL_MS));
}

function readersDir(sentinel: string): string {
  return joinNormal(splitPath(sentinel).dir, READERS_DIR);
}

function stageOf(sentinel: string): string {
  return path.basename(sentinel, ".running");
}

/**
 * Creates this process's record for reading the stage of `sentinel` (and
 * the records' directory when missing).
 *
 * @returns the record's path
 * @throws {PivotError} when it cannot be written (a full disk)
 */
export function createReaderRecord(sentinel: string): string {
  const record = recordPath(readersDir(sentinel), stageOf(sentinel));
  try {
    writeNewTextFileSync(record, `${Deno.pid}\n`);
  } catch (error) {
    throw environmentError(error, { file: record, action: "write" });
  }
  return record;
}

/** A new record's path in `dir`, for stage `stage` (or {@linkcode SEVERAL}). */
function recordPath(dir: string, stage: string): string {
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  return path.join(dir, `${stage}.${Deno.pid}.${id}`);
}

/**
 * Creates this process's records for reading the stages of `sentinels`:
 * one per directory of records (see the module doc).
 *
 * @returns the records' paths
 * @throws {PivotError} when one cannot be written (a full disk); none is left then
 */
function createReaderRecords(sentinels: readonly string[]): string[] {
  const byDir = Map.groupBy(sentinels, readersDir);
  const records: string[] = [];
  try {
    for (const [dir, group] of byDir) {
      if (group.length === 1) {
        records.push(createReaderRecord(group[0]!));
        continue;
      }
      const record = recordPath(dir, SEVERAL);
      atomicWrite(record, group.map((sentinel) => `${stageOf(sentinel)}\n`).join(""));
      records.push(record);
    }
  } catch (error) {
    records.forEach(removeIfPresentSync);
    throw error;
  }
  return records;
}

/**
 * The first of `producers` a live process other than this one writes, with
 * that process's PID, or `null`. Each directory of sentinels is listed once,
 * and only the sentinels present are read.
 */
function firstWritten(
  producers: readonly PlannedProducer[],
): { producer: PlannedProducer; holder: number } | null {
  const present = new Map<string, Set<string>>();
  for (const producer of producers) {
    const dir = path.dirname(producer.sentinel);
    if (!present.has(dir)) present.set(dir, entryNamesSync(dir));
    if (!present.get(dir)!.has(path.basename(producer.sentinel))) continue;
    const holder = sentinelHolder(producer.sentinel);
    if (holder !== null) return { producer, holder };
  }
  return null;
}

/**
 * PIDs of the live processes other than this one holding a record for
 * reading the stage of `sentinel`, sorted; records of processes that are
 * gone are removed. `stats`, when given, looks for the records' directory
 * first (without an exception when there is none); `claimed`: the caller
 * holds the stage's claim, so the sentinel's directory is one (no look at it
 * when the records' directory is absent).
 */
export function liveReaders(sentinel: string, stats?: PreciseStat, claimed = false): number[] {
  const dir = readersDir(sentinel);
  // Usually no process reads: `stats` says so without an exception.
  const known = claimed ? new Map([[splitPath(sentinel).dir, true]]) : undefined;
  if (stats !== undefined && plainlyAbsent(stats, dir, true, known)) return [];
  const stage = stageOf(sentinel);
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const pids = new Set<number>();
  for (const entry of entries) {
    const match = RECORD.exec(entry.name);
    if (match === null || (match[1] !== stage && match[1] !== SEVERAL)) continue;
    const pid = Number(match[2]);
    if (pid === Deno.pid) continue;
    const record = path.join(dir, entry.name);
    if (!processAlive(pid)) removeIfPresentSync(record);
    else if (match[1] === stage || marksStage(record, stage)) pids.add(pid);
  }
  return [...pids].sort((a, b) => a - b);
}

/** True when the record of several stages `record` lists `stage` (false once it is gone). */
function marksStage(record: string, stage: string): boolean {
  return readTextOrNullSync(record)?.split("\n").includes(stage) ?? false;
}

/** Where waiting lines go, and what stops the waiting. */
export interface ReadingOptions {
  /** Receives the lines to show (waiting for another process). */
  readonly onLine: (line: string) => void;
  /** Aborting stops the waiting. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Reader marks (and whether a writer was waited for first: the producers'
 * outputs have probably changed), or the producer and the process writing it
 * when the wait for it was interrupted.
 */
export type MarkResult =
  | { readonly marks: Disposable; readonly waited: boolean; readonly busy?: undefined }
  | {
    readonly marks?: undefined;
    readonly busy: { readonly name: string; readonly holder: number };
  };

/**
 * Marks each of `producers` as read by this process, waiting while another
 * pivot process writes one (holding no mark meanwhile, saying so once per
 * producer). Dispose of the marks once the reading stage is recorded.
 *
 * @throws {PivotError} when a record cannot be written (a full disk)
 */
export async function markReading(
  producers: readonly PlannedProducer[],
  options: ReadingOptions,
): Promise<MarkResult> {
  const told = new Set<string>();
  for (let waited = false;; waited = true) {
    // Every mark first, then the writers: a writer claiming later sees the marks.
    const records = createReaderRecords(producers.map((producer) => producer.sentinel));
    let held: { producer: PlannedProducer; holder: number } | null;
    try {
      held = firstWritten(producers);
    } catch (error) {
      records.forEach(removeIfPresentSync);
      throw error;
    }
    if (held === null) {
      return { marks: { [Symbol.dispose]: () => records.forEach(removeIfPresentSync) }, waited };
    }
    records.forEach(removeIfPresentSync);
    const { producer } = held;
    if (!told.has(producer.name)) {
      options.onLine(
        `waiting: input '${producer.name}' is being written by another pivot process (${
          describeHolder(held.holder)
        })`,
      );
      told.add(producer.name);
    }
    let holder: number | null = held.holder;
    while (holder !== null) {
      if (options.signal?.aborted) return { busy: { name: producer.name, holder } };
      await pause();
      holder = sentinelHolder(producer.sentinel);
    }
  }
}

/**
 * Waits while another pivot process reads the outputs of the stage (saying
 * so once). Call it holding the stage's claim, before its outputs are
 * removed, restored or written.
 *
 * @returns `null` once no other process reads them, else a reader when interrupted first
 */
export async function waitWhileRead(options: ClaimOptions): Promise<number | null> {
  let readers = liveReaders(options.sentinel, options.stats, true);
  if (readers.length === 0) return null;
  options.onLine(
    `waiting: '${options.name}' is being read by another pivot process (PID ${readers[0]})`,
  );
  while (readers.length > 0) {
    if (options.signal?.aborted) return readers[0]!;
    await pause();
    readers = liveReaders(options.sentinel, options.stats, true);
  }
  return null;
}
