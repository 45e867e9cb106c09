/**
 * Tabular data read as a stream of rows: csv/tsv (a header row, parsed with
 * csv-parse's streaming API), jsonl (one object a line), json (a list of
 * objects, or a mapping holding one such list; read whole).
 *
 * @module
 */
import { parse as parseCsvStream } from "csv-parse/stream";
import { PivotError } from "../util/errors.ts";
import { isMapping } from "./flatten_values.ts";

/** The formats a data diff reads. */
export type TableFormat = "csv" | "tsv" | "json" | "jsonl";

/** The table formats, for checks and messages. */
export const TABLE_FORMATS: readonly TableFormat[] = ["csv", "tsv", "json", "jsonl"];

/** Rows handed over at a time. */
const BATCH_ROWS = 2048;

/**
 * A table being read: its columns and its rows, in batches. A row's values
 * are aligned to {@linkcode TableReader.columns} (a jsonl row may be shorter
 * when it lacks the columns found last); csv/tsv values are the cells' text,
 * json/jsonl values are JSON values (objects with their keys sorted).
 */
export interface TableReader {
  /** Column names in order of first appearance; complete once every batch was read. */
  readonly columns: readonly string[];
  /** The rows, in order, a batch at a time. Can be iterated once. */
  batches(): AsyncGenerator<unknown[][]>;
}

/** Options for {@linkcode readTable}. */
export interface ReadTableOptions {
  /** The data's format. */
  format: TableFormat;
  /** How errors name the data (`data/x.csv at HEAD~1`). */
  display: string;
}

/**
 * Reads the bytes `open` gives (opened when the first batch is asked for,
 * closed when the batches end or are given up) as a table of `format`. Only
 * one batch of rows is held at a time for csv, tsv and jsonl; a json file is
 * parsed whole.
 *
 * @throws {PivotError} (from the batches) naming the data when it does not parse
 */
export function readTable(
  open: () => Promise<ReadableStream<Uint8Array>>,
  options: ReadTableOptions,
): TableReader {
  const { format, display } = options;
  const columns: string[] = [];
  const fail = (detail: string, hint?: string): PivotError =>
    new PivotError(`cannot read ${display} as ${format}: ${detail}`, {
      hint: hint ?? `a ${format} file for a data diff must be valid ${format}`,
    });
  async function* batches(): AsyncGenerator<unknown[][]> {
    const stream = await open();
    if (format === "csv" || format === "tsv") yield* csvBatches(stream, format, columns, fail);
    else if (format === "jsonl") yield* jsonlBatches(stream, columns, fail);
    else yield* jsonBatches(stream, columns, fail);
  }
  return { columns, batches };
}

type Fail = (detail: string, hint?: string) => PivotError;

async function* csvBatches(
  stream: ReadableStream<Uint8Array>,
  format: "csv" | "tsv",
  columns: string[],
  fail: Fail,
): AsyncGenerator<unknown[][]> {
  const parser = parseCsvStream({
    bom: true,
    delimiter: format === "tsv" ? "\t" : ",",
    skip_empty_lines: true,
  }) as unknown as TransformStream<Uint8Array, string[]>;
  // Each chunk is written only once the parser took the one before, which it
  // does only while fewer than its 1,024 records wait to be read (pipeThrough
  // would queue up to 1,024 chunks ahead).
  const writer = parser.writable.getWriter();
  const feeding = (async () => {
    for await (const chunk of stream) await writer.write(chunk);
    await writer.close();
  })();
  feeding.catch(() => undefined);
  const reader = parser.readable.getReader();
  let batch: string[][] = [];
  let header = true;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<string[]>;
      try {
        next = await reader.read();
      } catch (error) {
        throw fail((error as Error).message.split("\n")[0]!);
      }
      if (next.done) break;
      if (header) {
        header = false;
        const seen = new Set<string>();
        for (const name of next.value) {
          if (seen.has(name)) {
            throw fail(
              `the column '${name}' appears twice in the header`,
              "give every column its own name",
            );
          }
          seen.add(name);
          columns.push(name);
        }
        continue;
      }
      batch.push(next.value);
      if (batch.length >= BATCH_ROWS) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
    await feeding;
  } finally {
    await reader.cancel().catch(() => undefined);
    await feeding.catch(() => undefined);
  }
}

async function* jsonlBatches(
  stream: ReadableStream<Uint8Array>,
  columns: string[],
  fail: Fail,
): AsyncGenerator<unknown[][]> {
  const index = new Map<string, number>();
  let batch: unknown[][] = [];
  let line = 0;
  let rest = "";
  const convert = (text: string): void => {
    line++;
    if (text.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw fail(`line ${line}: ${(error as Error).message}`);
    }
    if (!isMapping(value)) {
      throw fail(`line ${line}: expected an object`, "write one object a line");
    }
    batch.push(rowValues(value, columns, index));
  };
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      const lines = (rest + next.value).split("\n");
      rest = lines.pop()!;
      for (const text of lines) convert(text);
      if (batch.length >= BATCH_ROWS) {
        yield batch;
        batch = [];
      }
    }
    convert(rest);
    if (batch.length > 0) yield batch;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

async function* jsonBatches(
  stream: ReadableStream<Uint8Array>,
  columns: string[],
  fail: Fail,
): AsyncGenerator<unknown[][]> {
  let value: unknown;
  try {
    value = JSON.parse(await new Response(stream).text());
  } catch (error) {
    throw fail((error as Error).message);
  }
  if (isMapping(value)) {
    const lists = Object.values(value).filter(Array.isArray);
    if (lists.length === 1) value = lists[0];
  }
  if (!Array.isArray(value) || !value.every(isMapping)) {
    throw fail(
      "expected a list of objects (one per row)",
      'write a list like [{"id": 1, "name": "a"}, …], or a mapping holding one such list',
    );
  }
  const index = new Map<string, number>();
  for (let start = 0; start < value.length; start += BATCH_ROWS) {
    yield value.slice(start, start + BATCH_ROWS).map((row) => rowValues(row, columns, index));
  }
}

/** `row`'s values aligned to `columns`, which grow by the keys seen first here. */
function rowValues(
  row: Readonly<Record<string, unknown>>,
  columns: string[],
  index: Map<string, number>,
): unknown[] {
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(row)) {
    let at = index.get(key);
    if (at === undefined) {
      at = columns.length;
      index.set(key, at);
      columns.push(key);
    }
    values[at] = canonical(value);
  }
  return values;
}

/** `value` with the keys of every object in it sorted, so equal values print alike. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isMapping(value)) return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((key) => [key, canonical(value[key])]),
  );
}
