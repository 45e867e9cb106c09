/**
 * Data diff of two versions of a table: row counts, schema changes, and rows
 * added, removed and modified, matched by key columns or by position, in
 * bounded memory.
 *
 * By position, both versions are read in lockstep (one batch of rows each at
 * a time; json/jsonl are read once more first, to learn their columns). By
 * key, each version is read once and every row is written to one of N
 * partition files chosen by the hash of its key (N from the larger size and
 * the partition size), so the rows of one key meet in one partition; the
 * partitions are then compared one at a time in memory. Counts are always
 * complete; only the first `maxRows` rows of each kind are kept, by row
 * number.
 *
 * @module
 */
import { cellKind, type ColumnType, columnType, NULL_KIND, valueKind } from "./_column_types.ts";
import { Partitions } from "./_partitions.ts";
import { RowDigest, RowHasher } from "./_row_hash.ts";
import { SmallestItems } from "./_samples.ts";
import { readTable, type TableFormat } from "./table_rows.ts";
import { PivotError } from "../util/errors.ts";
import { DEFAULT_MAX_ROWS } from "./default_max_rows.ts";

export { DEFAULT_MAX_ROWS };

/** One version of the table. */
export interface TableSource {
  /** How messages name it: `data/x.csv at HEAD~1`. */
  readonly display: string;
  /** Its size in bytes (sets the number of partitions). */
  readonly size: number;
  /** Opens its bytes; called once or twice. */
  open(): Promise<ReadableStream<Uint8Array>>;
}

/**
 * Bytes of the larger version per partition, by default: a partition of both
 * versions is held in memory at a time, taking some ten times this while it
 * is compared.
 */
export const DEFAULT_PARTITION_BYTES = 4 * 1024 * 1024;

/** At most this many partition files per version (open at once while they are written). */
const MAX_PARTITIONS = 512;

/** Options for {@linkcode diffTables}. */
export interface DiffTablesOptions {
  /** The format of both versions. */
  format: TableFormat;
  /** Key columns (rows are matched by their values), or `null` to match rows by position. @default {null} */
  key?: readonly string[] | null;
  /** Rows kept per kind of change. @default {DEFAULT_MAX_ROWS} */
  maxRows?: number;
  /** Bytes of the larger version per partition (by key). @default {DEFAULT_PARTITION_BYTES} */
  partitionBytes?: number;
  /** An existing directory for the partition files (a directory of its own is made and removed in it). */
  tempDir: string;
}

/** A version's shape. */
export interface TableSummary {
  /** Data rows (the header not counted). */
  readonly rows: number;
  /** Columns in order, with their inferred type. */
  readonly columns: readonly { readonly name: string; readonly type: ColumnType }[];
}

/** A column added, removed or of another type. */
export interface SchemaChange {
  readonly column: string;
  readonly change: "added" | "removed" | "type";
  /** Its type in the old version, `null` when added. */
  readonly old: ColumnType | null;
  /** Its type in the new version, `null` when removed. */
  readonly new: ColumnType | null;
}

/** A row only one version has. */
export interface RowSample {
  /** Its row number (1 is the first data row) in the version that has it. */
  readonly row: number;
  /** Its key values, or `null` by position. */
  readonly key: readonly unknown[] | null;
  /** Column → value. */
  readonly values: Readonly<Record<string, unknown>>;
}

/** A row whose values differ in a column both versions have. */
export interface ModifiedRow {
  readonly oldRow: number;
  readonly newRow: number;
  /** Its key values, or `null` by position. */
  readonly key: readonly unknown[] | null;
  /** The columns that differ, in the old version's order. */
  readonly changes: readonly {
    readonly column: string;
    readonly old: unknown;
    readonly new: unknown;
  }[];
}

/** A key that more than one row of a version has. */
export interface DuplicateKey {
  readonly key: readonly unknown[];
  /** How many rows have it. */
  readonly count: number;
  /** The first (up to 10) rows that have it. */
  readonly rows: readonly number[];
}

/** How many rows of one kind there are, and the first ones. */
export interface RowChanges<T> {
  /** All of them. */
  readonly count: number;
  /** The first `maxRows`, by row number. */
  readonly rows: readonly T[];
}

/** What {@linkcode diffTables} found. */
export interface TableDiff {
  /** The old version, or `null` when it does not exist. */
  readonly old: TableSummary | null;
  /** The new version, or `null` when it does not exist. */
  readonly new: TableSummary | null;
  /** Key columns, or `null` when rows are matched by position. */
  readonly key: readonly string[] | null;
  /** True when nothing differs (rows, their order, columns, their order and types). */
  readonly equal: boolean;
  readonly schema: readonly SchemaChange[];
  /** The columns both have appear in another order. */
  readonly columnOrderChanged: boolean;
  /** The same rows, in another order (by position: instead of listing them as modified). */
  readonly reordered: boolean;
  /** Rows that are at another place (counted only when `reordered`). */
  readonly moved: number;
  readonly added: RowChanges<RowSample>;
  readonly removed: RowChanges<RowSample>;
  readonly modified: RowChanges<ModifiedRow>;
  /** Keys several rows share, per version (by key only). */
  readonly duplicateKeys: {
    readonly old: RowChanges<DuplicateKey>;
    readonly new: RowChanges<DuplicateKey>;
  } | null;
  /** Partition files used (1: all in memory). */
  readonly partitions: number;
}

/**
 * Compares two versions of a table (either may be `null`: it does not
 * exist, and the other is only summarised).
 *
 * @throws {PivotError} when a version does not parse, or lacks a key column
 */
export async function diffTables(
  old: TableSource | null,
  now: TableSource | null,
  options: DiffTablesOptions,
): Promise<TableDiff> {
  const { key = null } = options;
  if (old === null || now === null) {
    const scanned = await scan((old ?? now)!, options);
    const summary = scanned.stats.summary(scanned.columns);
    return finish({ old: old === null ? null : summary, new: old === null ? summary : null, key });
  }
  return key === null ? await byPosition(old, now, options) : await byKey(old, now, key, options);
}

/** Row count and per-column kinds of one version. */
class ColumnStats {
  rows = 0;
  readonly #text: boolean;
  readonly #masks: number[] = [];
  readonly #present: number[] = [];

  constructor(text: boolean) {
    this.#text = text;
  }

  add(values: readonly unknown[]): void {
    this.rows++;
    const masks = this.#masks;
    if (this.#text) {
      for (let i = 0; i < values.length; i++) {
        masks[i] = (masks[i] ?? 0) | cellKind(values[i] as string);
      }
      return;
    }
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === undefined) continue;
      masks[i] = (masks[i] ?? 0) | valueKind(value);
      this.#present[i] = (this.#present[i] ?? 0) + 1;
    }
  }

  summary(columns: readonly string[]): TableSummary {
    return {
      rows: this.rows,
      columns: columns.map((name, i) => {
        const missing = !this.#text && (this.#present[i] ?? 0) < this.rows ? NULL_KIND : 0;
        return { name, type: columnType((this.#masks[i] ?? 0) | missing, this.#text) };
      }),
    };
  }
}

function isText(format: TableFormat): boolean {
  return format === "csv" || format === "tsv";
}

/** Reads a version once for its columns and their types. */
async function scan(
  source: TableSource,
  options: DiffTablesOptions,
): Promise<{ stats: ColumnStats; columns: readonly string[] }> {
  const reader = readTable(source.open, { format: options.format, display: source.display });
  const stats = new ColumnStats(isText(options.format));
  for await (const batch of reader.batches()) for (const values of batch) stats.add(values);
  return { stats, columns: reader.columns };
}

/** How the rows of two versions are compared on the columns both have. */
class Projection {
  /** Both versions have the same columns in the same order. */
  readonly same: boolean;
  readonly common: readonly string[];
  readonly #oldIndex: readonly number[];
  readonly #newIndex: readonly number[];

  constructor(oldColumns: readonly string[], newColumns: readonly string[]) {
    this.same = oldColumns.length === newColumns.length &&
      oldColumns.every((name, i) => newColumns[i] === name);
    this.common = oldColumns.filter((name) => newColumns.includes(name));
    this.#oldIndex = this.common.map((name) => oldColumns.indexOf(name));
    this.#newIndex = this.common.map((name) => newColumns.indexOf(name));
  }

  /** The old row's values in the common columns, as text. */
  old(values: readonly unknown[]): string {
    return JSON.stringify(this.#oldIndex.map((i) => values[i] ?? null));
  }

  /** The new row's values in the common columns, as text. */
  new(values: readonly unknown[]): string {
    return JSON.stringify(this.#newIndex.map((i) => values[i] ?? null));
  }

  /** The common columns whose values differ. */
  changes(oldValues: readonly unknown[], newValues: readonly unknown[]): ModifiedRow["changes"] {
    const changes: { column: string; old: unknown; new: unknown }[] = [];
    this.common.forEach((column, i) => {
      const before = oldValues[this.#oldIndex[i]!] ?? null;
      const after = newValues[this.#newIndex[i]!] ?? null;
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        changes.push({ column, old: before, new: after });
      }
    });
    return changes;
  }
}

function sample(
  row: number,
  key: readonly unknown[] | null,
  values: readonly unknown[],
  columns: readonly string[],
): RowSample {
  return {
    row,
    key,
    values: Object.fromEntries(columns.map((name, i) => [name, values[i] ?? null])),
  };
}

/** Counts and the first rows of each kind of change, as they are found. */
class Findings {
  added = 0;
  removed = 0;
  modified = 0;
  moved = 0;
  readonly addedRows: SmallestItems<RowSample>;
  readonly removedRows: SmallestItems<RowSample>;
  readonly modifiedRows: SmallestItems<ModifiedRow>;

  constructor(maxRows: number) {
    this.addedRows = new SmallestItems(maxRows);
    this.removedRows = new SmallestItems(maxRows);
    this.modifiedRows = new SmallestItems(maxRows);
  }
}

async function byPosition(
  old: TableSource,
  now: TableSource,
  options: DiffTablesOptions,
): Promise<TableDiff> {
  const { format, maxRows = DEFAULT_MAX_ROWS } = options;
  const text = isText(format);
  // json/jsonl rows show their columns as they go: learn them all first.
  const known = text ? null : { old: await scan(old, options), new: await scan(now, options) };
  const oldReader = readTable(old.open, { format, display: old.display });
  const newReader = readTable(now.open, { format, display: now.display });
  const oldStats = known?.old.stats ?? new ColumnStats(true);
  const newStats = known?.new.stats ?? new ColumnStats(true);
  const oldColumns = known?.old.columns ?? oldReader.columns;
  const newColumns = known?.new.columns ?? newReader.columns;
  const oldBatches = oldReader.batches();
  const newBatches = newReader.batches();
  try {
    return await lockstep(oldBatches, newBatches, {
      text,
      stats: [oldStats, newStats],
      columns: [oldColumns, newColumns],
      maxRows,
    });
  } finally {
    await oldBatches.return(undefined);
    await newBatches.return(undefined);
  }
}

interface LockstepContext {
  readonly text: boolean;
  readonly stats: readonly [ColumnStats, ColumnStats];
  /** The columns (of csv/tsv: filled in by the first batch). */
  readonly columns: readonly [readonly string[], readonly string[]];
  readonly maxRows: number;
}

/** Compares row n of one version with row n of the other, a batch at a time. */
async function lockstep(
  oldBatches: AsyncGenerator<unknown[][]>,
  newBatches: AsyncGenerator<unknown[][]>,
  context: LockstepContext,
): Promise<TableDiff> {
  const { text, maxRows } = context;
  const [oldStats, newStats] = context.stats;
  const [oldColumns, newColumns] = context.columns;
  const pull = async (batches: AsyncGenerator<unknown[][]>) => {
    const next = await batches.next();
    return next.done ? null : next.value;
  };
  let a = await pull(oldBatches);
  let b = await pull(newBatches);
  // The csv headers have been read with the first batches.
  const projection = new Projection(oldColumns, newColumns);
  const found = new Findings(maxRows);
  const oldDigest = new RowDigest();
  const newDigest = new RowDigest();
  let ai = 0;
  let bi = 0;
  let row = 0;
  let differing = 0;
  const sameText = projection.same && text;
  for (;;) {
    if (a !== null && ai === a.length) [a, ai] = [await pull(oldBatches), 0];
    if (b !== null && bi === b.length) [b, bi] = [await pull(newBatches), 0];
    if (a === null && b === null) break;
    if (a !== null && b !== null) {
      const count = Math.min(a.length - ai, b.length - bi);
      for (let k = 0; k < count; k++) {
        const va = a[ai + k]!;
        const vb = b[bi + k]!;
        row++;
        if (text) {
          oldStats.add(va);
          newStats.add(vb);
        }
        const pa = sameText ? JSON.stringify(va) : projection.old(va);
        const pb = sameText ? JSON.stringify(vb) : projection.new(vb);
        oldDigest.add(pa);
        newDigest.add(pb);
        if (pa === pb) continue;
        differing++;
        const at = row;
        found.modifiedRows.offer(at, () => ({
          oldRow: at,
          newRow: at,
          key: null,
          changes: projection.changes(va, vb),
        }));
      }
      ai += count;
      bi += count;
    } else if (a !== null) {
      for (; ai < a.length; ai++) {
        const va = a[ai]!;
        const at = ++row;
        if (text) oldStats.add(va);
        oldDigest.add(sameText ? JSON.stringify(va) : projection.old(va));
        found.removed++;
        found.removedRows.offer(at, () => sample(at, null, va, oldColumns));
      }
    } else {
      for (; bi < b!.length; bi++) {
        const vb = b![bi]!;
        const at = ++row;
        if (text) newStats.add(vb);
        newDigest.add(sameText ? JSON.stringify(vb) : projection.new(vb));
        found.added++;
        found.addedRows.offer(at, () => sample(at, null, vb, newColumns));
      }
    }
  }
  const reordered = differing > 0 && found.added === 0 && found.removed === 0 &&
    oldDigest.sameRows(newDigest);
  if (reordered) found.moved = differing;
  else found.modified = differing;
  return finish({
    old: oldStats.summary(oldColumns),
    new: newStats.summary(newColumns),
    key: null,
    found,
    reordered,
  });
}

interface PartitionedSide {
  readonly stats: ColumnStats;
  readonly columns: readonly string[];
  readonly parts: Partitions;
}

async function byKey(
  old: TableSource,
  now: TableSource,
  key: readonly string[],
  options: DiffTablesOptions,
): Promise<TableDiff> {
  const { maxRows = DEFAULT_MAX_ROWS, partitionBytes = DEFAULT_PARTITION_BYTES } = options;
  const count = Math.min(
    MAX_PARTITIONS,
    Math.max(1, Math.ceil(Math.max(old.size, now.size) / partitionBytes)),
  );
  const dir = await Deno.makeTempDir({ dir: options.tempDir, prefix: "diff-" });
  const sides: PartitionedSide[] = [];
  try {
    sides.push(await partition(old, "old", key, count, dir, options));
    sides.push(await partition(now, "new", key, count, dir, options));
    const [before, after] = sides as [PartitionedSide, PartitionedSide];
    const projection = new Projection(before.columns, after.columns);
    const found = new Findings(maxRows);
    const duplicates = { old: new Duplicates(maxRows), new: new Duplicates(maxRows) };
    for (let index = 0; index < count; index++) {
      comparePartition(
        before.parts.read(index),
        after.parts.read(index),
        { projection, found, duplicates, columns: [before.columns, after.columns] },
        isText(options.format),
      );
    }
    const reordered = found.added === 0 && found.removed === 0 && found.modified === 0 &&
      found.moved > 0;
    if (!reordered) found.moved = 0;
    return finish({
      old: before.stats.summary(before.columns),
      new: after.stats.summary(after.columns),
      key,
      found,
      reordered,
      duplicates: { old: duplicates.old.result(), new: duplicates.new.result() },
      partitions: count,
    });
  } finally {
    for (const side of sides) side.parts.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Reads a version once, writing each row to the partition of its key: `row \t key \t values`. */
async function partition(
  source: TableSource,
  name: string,
  key: readonly string[],
  count: number,
  dir: string,
  options: DiffTablesOptions,
): Promise<PartitionedSide> {
  const reader = readTable(source.open, { format: options.format, display: source.display });
  const stats = new ColumnStats(isText(options.format));
  const parts = new Partitions(dir, name, count);
  const hasher = new RowHasher();
  let keyIndex: number[] = [];
  let columnsSeen = -1;
  let row = 0;
  try {
    for await (const batch of reader.batches()) {
      if (reader.columns.length !== columnsSeen) {
        columnsSeen = reader.columns.length;
        keyIndex = key.map((column) => reader.columns.indexOf(column));
        if (isText(options.format)) checkKey(key, reader.columns, source);
      }
      for (const values of batch) {
        row++;
        stats.add(values);
        const keyText = JSON.stringify(keyIndex.map((i) => i < 0 ? null : values[i] ?? null));
        let index = 0;
        if (count > 1) {
          hasher.hash(keyText);
          index = hasher.high % count;
        }
        parts.add(index, `${row}\t${keyText}\t${JSON.stringify(values)}`);
      }
    }
    checkKey(key, reader.columns, source);
    parts.finish();
  } catch (error) {
    parts.close();
    throw error;
  }
  return { stats, columns: reader.columns, parts };
}

function checkKey(key: readonly string[], columns: readonly string[], source: TableSource): void {
  const missing = key.filter((column) => !columns.includes(column));
  if (missing.length === 0) return;
  throw new PivotError(
    `the key column${missing.length === 1 ? "" : "s"} ${
      missing.map((column) => `'${column}'`).join(", ")
    } ${missing.length === 1 ? "is" : "are"} not in ${source.display} (its columns: ${
      columns.length === 0 ? "none" : columns.join(", ")
    })`,
    { hint: "--key takes comma-separated names of columns both versions have" },
  );
}

/** Row numbers shown per duplicate key. */
const DUPLICATE_ROWS_SHOWN = 10;

/** The rows that share one key in one version: how many, and the first few. */
class SharedKey {
  count = 0;
  readonly rows: number[] = [];

  add(row: number): void {
    this.count++;
    if (this.rows.length < DUPLICATE_ROWS_SHOWN) this.rows.push(row);
  }
}

/** Keys that several rows of one version share. */
class Duplicates {
  count = 0;
  readonly #examples: SmallestItems<DuplicateKey>;

  constructor(maxRows: number) {
    this.#examples = new SmallestItems(maxRows);
  }

  /** Records the key `keyText`, which the rows in `shared` have. */
  add(keyText: string, shared: SharedKey): void {
    this.count++;
    this.#examples.offer(shared.rows[0]!, () => ({
      key: JSON.parse(keyText),
      count: shared.count,
      rows: shared.rows,
    }));
  }

  result(): RowChanges<DuplicateKey> {
    return { count: this.count, rows: this.#examples.items() };
  }
}

interface PartitionContext {
  readonly projection: Projection;
  readonly found: Findings;
  readonly duplicates: { readonly old: Duplicates; readonly new: Duplicates };
  readonly columns: readonly [readonly string[], readonly string[]];
}

/** A partition line's parts: `row \t key \t values`. */
function splitLine(line: string): { row: number; key: string; values: string } {
  const first = line.indexOf("\t");
  const second = line.indexOf("\t", first + 1);
  return {
    row: Number(line.slice(0, first)),
    key: line.slice(first + 1, second),
    values: line.slice(second + 1),
  };
}

/** The old rows of a key several of them have, and how many were matched. */
interface Bucket {
  readonly lines: string[];
  next: number;
}

/**
 * Compares the rows of one partition: the old ones go into a map by key,
 * the new ones are matched against it (the n-th row of a key with the n-th
 * row of that key in the other version), the rest of the map was removed.
 */
function comparePartition(
  oldLines: readonly string[],
  newLines: readonly string[],
  context: PartitionContext,
  text: boolean,
): void {
  const { projection, found, duplicates, columns } = context;
  const byKey = new Map<string, string | Bucket>();
  const oldShared = new Map<string, SharedKey>();
  for (const line of oldLines) {
    const first = line.indexOf("\t");
    const key = line.slice(first + 1, line.indexOf("\t", first + 1));
    const existing = byKey.get(key);
    if (existing === undefined) {
      byKey.set(key, line);
      continue;
    }
    let shared = oldShared.get(key);
    if (typeof existing === "string") {
      byKey.set(key, { lines: [existing, line], next: 0 });
      shared = new SharedKey();
      shared.add(splitLine(existing).row);
      oldShared.set(key, shared);
    } else {
      existing.lines.push(line);
    }
    shared!.add(splitLine(line).row);
  }
  for (const [key, shared] of oldShared) duplicates.old.add(key, shared);
  const newKeys = new Map<string, number | SharedKey>();
  const newShared: [string, SharedKey][] = [];
  for (const line of newLines) {
    const entry = splitLine(line);
    const seen = newKeys.get(entry.key);
    if (seen === undefined) newKeys.set(entry.key, entry.row);
    else if (typeof seen === "number") {
      const shared = new SharedKey();
      shared.add(seen);
      shared.add(entry.row);
      newKeys.set(entry.key, shared);
      newShared.push([entry.key, shared]);
    } else seen.add(entry.row);
    const match = byKey.get(entry.key);
    let oldLine: string | undefined;
    if (typeof match === "string") {
      oldLine = match;
      byKey.delete(entry.key);
    } else if (match !== undefined) {
      oldLine = match.lines[match.next++];
      if (match.next === match.lines.length) byKey.delete(entry.key);
    }
    if (oldLine === undefined) {
      found.added++;
      found.addedRows.offer(entry.row, () => {
        const values = JSON.parse(entry.values) as unknown[];
        return sample(entry.row, JSON.parse(entry.key), values, columns[1]);
      });
      continue;
    }
    const before = splitLine(oldLine);
    if (before.row !== entry.row) found.moved++;
    if (projection.same && before.values === entry.values) continue;
    const oldValues = JSON.parse(before.values) as unknown[];
    const newValues = JSON.parse(entry.values) as unknown[];
    if (!(projection.same && text) && projection.old(oldValues) === projection.new(newValues)) {
      continue;
    }
    found.modified++;
    found.modifiedRows.offer(entry.row, () => ({
      oldRow: before.row,
      newRow: entry.row,
      key: JSON.parse(entry.key),
      changes: projection.changes(oldValues, newValues),
    }));
  }
  for (const [key, shared] of newShared) duplicates.new.add(key, shared);
  for (const rest of byKey.values()) {
    const lines = typeof rest === "string" ? [rest] : rest.lines.slice(rest.next);
    for (const line of lines) {
      const entry = splitLine(line);
      found.removed++;
      found.removedRows.offer(entry.row, () => {
        const values = JSON.parse(entry.values) as unknown[];
        return sample(entry.row, JSON.parse(entry.key), values, columns[0]);
      });
    }
  }
}

/** The parts of a diff, put together. */
interface Parts {
  readonly old: TableSummary | null;
  readonly new: TableSummary | null;
  readonly key: readonly string[] | null;
  readonly found?: Findings;
  readonly reordered?: boolean;
  readonly duplicates?: TableDiff["duplicateKeys"];
  readonly partitions?: number;
}

function finish(parts: Parts): TableDiff {
  const { found = new Findings(0), reordered = false } = parts;
  const oldColumns = parts.old?.columns ?? [];
  const newColumns = parts.new?.columns ?? [];
  const oldTypes = new Map(oldColumns.map((column) => [column.name, column.type]));
  const newTypes = new Map(newColumns.map((column) => [column.name, column.type]));
  const schema: SchemaChange[] = [];
  if (parts.old !== null && parts.new !== null) {
    for (const { name, type } of oldColumns) {
      const after = newTypes.get(name);
      if (after === undefined) {
        schema.push({ column: name, change: "removed", old: type, new: null });
      } else if (after !== type) {
        schema.push({ column: name, change: "type", old: type, new: after });
      }
    }
    for (const { name, type } of newColumns) {
      if (!oldTypes.has(name)) schema.push({ column: name, change: "added", old: null, new: type });
    }
  }
  const commonOld = oldColumns.map((column) => column.name).filter((name) => newTypes.has(name));
  const commonNew = newColumns.map((column) => column.name).filter((name) => oldTypes.has(name));
  const columnOrderChanged = commonOld.some((name, i) => commonNew[i] !== name);
  const equal = parts.old !== null && parts.new !== null && schema.length === 0 &&
    !columnOrderChanged && !reordered && parts.old.rows === parts.new.rows &&
    found.added === 0 && found.removed === 0 && found.modified === 0;
  return {
    old: parts.old,
    new: parts.new,
    key: parts.key,
    equal,
    schema,
    columnOrderChanged,
    reordered,
    moved: reordered ? found.moved : 0,
    added: { count: found.added, rows: found.addedRows.items() },
    removed: { count: found.removed, rows: found.removedRows.items() },
    modified: { count: found.modified, rows: found.modifiedRows.items() },
    duplicateKeys: parts.duplicates ?? null,
    partitions: parts.partitions ?? 1,
  };
}
