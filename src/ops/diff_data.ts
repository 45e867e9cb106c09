import * as path from "node:path";
import { findRecordedContent, type Project } from "../project/mod.ts";
import {
  DEFAULT_MAX_ROWS,
  diffTables,
  TABLE_FORMATS,
  type TableDiff,
  type TableFormat,
  type TableSource,
  type TableSummary,
} from "../report/mod.ts";
import type { Session } from "../session/mod.ts";
import { hashBytes } from "../storage/mod.ts";
import { PivotError, UsageError } from "../util/errors.ts";
import { statOrNull } from "../util/fs.ts";
import { resolveRevisionTargets, type RevisionTarget } from "./_revision_targets.ts";
import { openVersions, type ProjectVersion, type VersionInfo, versionInfo } from "./_versions.ts";
import { remoteBlobFetcher } from "./remote_blob_fetcher.ts";

export { DEFAULT_MAX_ROWS };

/** Options for {@linkcode diffData}. */
export interface DiffDataOptions {
  /** A stage output (identity) or a tracked (or committed) path. */
  target: string;
  /** The old version: a git revision. @default {"HEAD"} */
  from?: string;
  /** The new version: a git revision, or `null` for the workspace. @default {null} */
  to?: string | null;
  /** Key columns, or `null` to compare rows by position. @default {null} */
  key?: readonly string[] | null;
  /** Rows listed per kind of change (counts are always complete). @default {20} */
  maxRows?: number;
  /** Bytes of the larger version per partition, when rows are matched by key. @default {4 MiB} */
  partitionBytes?: number;
  /** The remote to fetch a revision's content from when the cache lacks it. @default {the default remote} */
  remote?: string | undefined;
}

/** One version of the data. */
export interface DataVersion extends VersionInfo {
  /** Project-relative path it has there. */
  readonly path: string;
  /** False when it does not exist there. */
  readonly exists: boolean;
  /** Data rows, or `null` when not read (absent, or the same bytes in both versions). */
  readonly rows: number | null;
  /** Columns with their types, or `null` when not read. */
  readonly columns: TableSummary["columns"] | null;
}

/** What {@linkcode diffData} found. */
export interface DataDiff extends Omit<TableDiff, "old" | "new"> {
  /** `prep → data/ml/prep.csv`, or a path. */
  readonly target: string;
  readonly format: TableFormat;
  readonly old: DataVersion;
  readonly new: DataVersion;
  /** Both versions have the same bytes (seen by their hash; rows not read). */
  readonly identical: boolean;
}

/** The extensions a path target's format is read from. */
const EXTENSION_FORMATS: Readonly<Record<string, TableFormat>> = {
  ".csv": "csv",
  ".tsv": "tsv",
  ".json": "json",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
};

interface Side {
  readonly version: ProjectVersion;
  /** Project-relative path there. */
  readonly path: string;
  readonly source: TableSource | null;
  /** Its content hash, computed on demand. */
  readonly hash: () => Promise<string>;
}

/**
 * Compares a csv/tsv/json/jsonl stage output or tracked file between two
 * versions (by default git `HEAD` and the workspace): row counts, schema
 * changes, and rows added, removed and modified, matched by key columns or by
 * position (see {@linkcode diffTables}). A revision's content comes from the
 * cache by the hash its lock or `.pvt` recorded, else from git, else from the
 * remote.
 *
 * @throws {PivotError} for a bad target, format or option, an unknown revision, content found nowhere, or data that does not parse
 */
export async function diffData(session: Session, options: DiffDataOptions): Promise<DataDiff> {
  const { project, cache, warn } = session;
  const {
    target: text,
    from = "HEAD",
    to = null,
    key = null,
    maxRows = DEFAULT_MAX_ROWS,
    partitionBytes,
    remote,
  } = options;
  if (key !== null && (key.length === 0 || key.some((column) => column === ""))) {
    throw new UsageError("--key needs column names, separated by commas (--key id or --key a,b)");
  }
  if (!Number.isInteger(maxRows) || maxRows < 0) {
    throw new UsageError(`--max-rows must be a whole number of 0 or more, not ${maxRows}`);
  }
  const versions = await openVersions(session, [from, to]);
  const resolved = await resolveIn(project, versions, text);
  const target = resolved.find((entry) => entry !== null)!;
  const format = formatOf(target);
  const fetchBlobs = remoteBlobFetcher(session, { remote });
  const sides: Side[] = [];
  for (const [i, version] of versions.entries()) {
    const here = resolved[i] ?? null;
    if (version.revision === null) {
      const hasher = await session.hasher(session.projectStateDir);
      sides.push(await workspaceSide(version, target, (file) => hasher.hashFile(file)));
      continue;
    }
    const revision = version.revision;
    const recorded = here?.recorded ?? { label: target.label, path: target.display, info: null };
    const [found] = await findRecordedContent(revision, [recorded], { cache, fetchBlobs, warn });
    const display = revision.display(recorded.path);
    if (found === null || found === undefined) {
      sides.push({ version, path: recorded.path, source: null, hash: () => Promise.resolve("") });
    } else if (found.kind === "dir") {
      throw notTable(target, "a directory");
    } else if (found.source === "git") {
      const content = found.content;
      sides.push({
        version,
        path: recorded.path,
        source: {
          display,
          size: content.length,
          open: () => Promise.resolve(ReadableStream.from([content])),
        },
        hash: () => Promise.resolve(hashBytes(content)),
      });
    } else {
      const blob = cache.blobPath(found.hash);
      sides.push({
        version,
        path: recorded.path,
        source: await fileSource(blob, display),
        hash: () => Promise.resolve(found.hash),
      });
    }
  }
  const [before, after] = sides as [Side, Side];
  if (before.source === null && after.source === null) {
    throw new PivotError(
      `${target.label} exists neither in ${before.version.label} nor in ${after.version.label}`,
      {
        hint: target.identity === null
          ? "give a path that exists in one of them"
          : `run 'pivot repro ${target.identity.split(":")[0]}' to produce it`,
      },
    );
  }
  const describe = (side: Side, summary: TableSummary | null): DataVersion => ({
    ...versionInfo(side.version),
    path: side.path,
    exists: side.source !== null,
    rows: summary?.rows ?? null,
    columns: summary?.columns ?? null,
  });
  if (
    before.source !== null && after.source !== null &&
    (await before.hash()) === (await after.hash())
  ) {
    return {
      target: target.label,
      format,
      old: describe(before, null),
      new: describe(after, null),
      identical: true,
      key,
      equal: true,
      schema: [],
      columnOrderChanged: false,
      reordered: false,
      moved: 0,
      added: { count: 0, rows: [] },
      removed: { count: 0, rows: [] },
      modified: { count: 0, rows: [] },
      duplicateKeys: null,
      partitions: 0,
    };
  }
  const tempDir = path.join(project.root, ".pivot", "tmp");
  Deno.mkdirSync(tempDir, { recursive: true });
  const diff = await diffTables(before.source, after.source, {
    format,
    key,
    maxRows,
    tempDir,
    ...(partitionBytes === undefined ? {} : { partitionBytes }),
  });
  return {
    target: target.label,
    format,
    old: describe(before, diff.old),
    new: describe(after, diff.new),
    identical: false,
    key: diff.key,
    equal: diff.equal,
    schema: diff.schema,
    columnOrderChanged: diff.columnOrderChanged,
    reordered: diff.reordered,
    moved: diff.moved,
    added: diff.added,
    removed: diff.removed,
    modified: diff.modified,
    duplicateKeys: diff.duplicateKeys,
    partitions: diff.partitions,
  };
}

/**
 * The target as each version resolves it (`null` where a path target is not
 * there), exactly one output.
 *
 * @throws {PivotError} when no version knows the target, or it names several outputs
 */
async function resolveIn(
  project: Project,
  versions: readonly ProjectVersion[],
  text: string,
): Promise<(RevisionTarget | null)[]> {
  let failure: unknown = null;
  const resolved: (RevisionTarget | null)[] = [];
  for (const version of versions) {
    if (version.revision === null) {
      resolved.push(null);
      continue;
    }
    try {
      const targets = await resolveRevisionTargets(project, version.revision, [text], {
        allowAbsent: true,
      });
      if (targets.length !== 1) {
        const names = targets.map((target) => target.identity ?? target.label);
        throw new UsageError(
          `'${text}' names ${targets.length} outputs (${names.join(", ")}); diff compares one`,
          { hint: `name one of them, such as '${names[0]}'` },
        );
      }
      resolved.push(targets[0]!);
    } catch (error) {
      if (!(error instanceof PivotError) || /names \d+ outputs/.test(error.message)) throw error;
      failure ??= error;
      resolved.push(null);
    }
  }
  if (resolved.every((entry) => entry === null)) throw failure;
  return resolved;
}

function formatOf(target: RevisionTarget): TableFormat {
  if (target.spec !== null) {
    if ((TABLE_FORMATS as readonly string[]).includes(target.spec.format)) {
      return target.spec.format as TableFormat;
    }
    throw notTable(target, `a ${target.spec.format} output`, UsageError);
  }
  if (target.display.endsWith("/")) throw notTable(target, "a directory", UsageError);
  const format = EXTENSION_FORMATS[path.extname(target.path).toLowerCase()];
  if (format === undefined) {
    throw notTable(target, "not a .csv, .tsv, .json or .jsonl file", UsageError);
  }
  return format;
}

/**
 * `cannot diff <target>: it is <what>`: a usage error (exit 2) when the target
 * names a kind of data diff does not take, a failure when the workspace holds
 * something else than the target declares.
 */
function notTable(
  target: RevisionTarget,
  what: string,
  kind: typeof PivotError = PivotError,
): PivotError {
  return new kind(`cannot diff ${target.label}: it is ${what}`, {
    hint: "diff compares tabular data: csv, tsv, json (a list of objects) and jsonl",
  });
}

async function workspaceSide(
  version: ProjectVersion,
  target: RevisionTarget,
  hashFile: (file: string) => Promise<string>,
): Promise<Side> {
  const rel = target.display.replace(/\/$/, "");
  const info = await statOrNull(target.path);
  if (info === null) return { version, path: rel, source: null, hash: () => Promise.resolve("") };
  if (!info.isFile) throw notTable(target, "a directory in the workspace");
  return {
    version,
    path: rel,
    source: await fileSource(target.path, rel),
    hash: () => hashFile(target.path),
  };
}

async function fileSource(file: string, display: string): Promise<TableSource> {
  const { size } = await Deno.stat(file);
  return { display, size, open: async () => (await Deno.open(file)).readable };
}
