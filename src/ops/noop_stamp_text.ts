/**
 * The text stamps (no-op and report stamps, see `noop_stamp.ts`) are stored
 * as in the project's `state.db`: JSON whose paths are relative to the
 * project root (absolute when outside it), grouped by directory, and a
 * no-op stamp's completions that say only "up to date" in the order of its
 * stages as `0`. A stamp of 10,000 stages is a third of its size with the
 * absolute paths it holds in memory, which are read and written on the way
 * of every command that answers from a stamp or leaves one. The mapping
 * is exact: reading the text back against the same root gives the same
 * paths. Kept light: the no-op fast path reads stamps.
 *
 * @module
 */
import * as path from "node:path";
import type { AbsentGroup } from "../storage/absent_groups.ts";
import type { StampedCompletion, StampEvidence } from "./noop_stamp.ts";

/** A completion stored as this stands for the default one of its place (see {@linkcode stampText}). */
const DEFAULT_COMPLETION = 0;

/** The reason of a completion that is the default one of its place. */
const UP_TO_DATE = "up to date";

/** The signature maps of a stamp's evidence (path → text). */
const PATH_MAPS = ["followed", "unfollowed", "racy"] as const;

/**
 * The text `stamp` is stored as, its paths taken relative to `root` (the
 * real path of the project root: every path of the stamp is absolute). The
 * other fields of `stamp` are kept as they are.
 */
export function stampText(stamp: StampEvidence & object, root: string): string {
  const toStored = storedPath(root);
  const fields: Record<string, unknown> = { ...stamp };
  for (const name of PATH_MAPS) fields[name] = groupsOf(Object.entries(stamp[name]), toStored);
  fields["sentinels"] = Object.entries(stamp.sentinels).map(([dir, names]) => [
    toStored(dir),
    ...names,
  ]);
  fields["absent"] = stamp.absent.map((group) => [
    toStored(group.dir),
    group.signature,
    ...group.names,
  ]);
  const { sources } = fields;
  if (Array.isArray(sources)) fields["sources"] = sources.map((file: string) => toStored(file));
  const { stages, completions } = fields;
  if (Array.isArray(stages) && Array.isArray(completions)) {
    fields["completions"] = (completions as StampedCompletion[]).map((completion, i) =>
      isDefaultCompletion(completion, stages, i) ? DEFAULT_COMPLETION : completion
    );
  }
  return JSON.stringify(fields);
}

/**
 * The stamp stored as `text` against `root` (see {@linkcode stampText}),
 * its paths absolute again and its other fields as they were, or `null`
 * when the text is not JSON of that shape (a stamp of an older format
 * among them: the caller also checks its `format`, which tells stamps of
 * this build).
 */
export function stampFromText(text: string, root: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const fields = value as Record<string, unknown>;
  const toAbsolute = absolutePath(root);
  for (const name of PATH_MAPS) {
    const map = mapFromGroups(fields[name], toAbsolute);
    if (map === null) return null;
    fields[name] = map;
  }
  const sentinels: Record<string, readonly string[]> = {};
  const absent: AbsentGroup[] = [];
  if (!allGroups(fields["sentinels"], 0) || !allGroups(fields["absent"], 1)) return null;
  for (const [dir, ...names] of fields["sentinels"] as string[][]) {
    sentinels[toAbsolute(dir!)] = names;
  }
  for (const [dir, signature, ...names] of fields["absent"] as (string | null)[][]) {
    if (signature !== null && typeof signature !== "string") return null;
    absent.push({ dir: toAbsolute(dir as string), signature, names: names as string[] });
  }
  fields["sentinels"] = sentinels;
  fields["absent"] = absent;
  const { sources } = fields;
  if (sources !== undefined) {
    if (!Array.isArray(sources) || !sources.every((file) => typeof file === "string")) return null;
    fields["sources"] = sources.map(toAbsolute);
  }
  const { stages, completions } = fields;
  if (Array.isArray(stages) && Array.isArray(completions)) {
    fields["completions"] = completions.map((completion, i) =>
      completion === DEFAULT_COMPLETION
        ? { stage: stages[i], index: i + 1, total: stages.length, reason: UP_TO_DATE, details: [] }
        : completion
    );
  }
  return fields;
}

/** True when `completion` is the default one of place `i` among `stages`. */
function isDefaultCompletion(
  completion: StampedCompletion,
  stages: readonly unknown[],
  i: number,
): boolean {
  return completion.stage === stages[i] && completion.index === i + 1 &&
    completion.total === stages.length && completion.reason === UP_TO_DATE &&
    completion.details.length === 0;
}

/** Maps an absolute path to its stored form: relative to `root` when inside it, `.` for `root`. */
function storedPath(root: string): (file: string) => string {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return (file) => file === root ? "." : file.startsWith(prefix) ? file.slice(prefix.length) : file;
}

/** Maps a stored path back to the absolute path it stands for (see {@linkcode storedPath}). */
function absolutePath(root: string): (stored: string) => string {
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  return (stored) => stored === "." ? root : path.isAbsolute(stored) ? stored : prefix + stored;
}

/**
 * `entries` (absolute path → text) as groups by directory, each
 * `[directory, name, text, name, text, …]` with the directory stored.
 */
function groupsOf(
  entries: readonly (readonly [string, string])[],
  toStored: (file: string) => string,
): string[][] {
  const groups = new Map<string, string[]>();
  for (const [file, text] of entries) {
    const at = file.lastIndexOf(path.sep);
    const dir = at === 0 ? path.sep : file.slice(0, at);
    let group = groups.get(dir);
    if (group === undefined) groups.set(dir, group = [toStored(dir)]);
    group.push(file.slice(at + 1), text);
  }
  return [...groups.values()];
}

/** The map (absolute path → text) that stored `groups` hold, or `null` when they are not groups. */
function mapFromGroups(
  groups: unknown,
  toAbsolute: (stored: string) => string,
): Record<string, string> | null {
  if (!allGroups(groups, 0)) return null;
  const map: Record<string, string> = {};
  for (const group of groups as string[][]) {
    if (group.length % 2 !== 1) return null;
    const dir = toAbsolute(group[0]!);
    const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
    for (let i = 1; i < group.length; i += 2) map[prefix + group[i]!] = group[i + 1]!;
  }
  return map;
}

/**
 * True when `value` is an array of arrays each starting with a directory
 * (a string), whose items but the `free` ones after it are strings.
 */
function allGroups(value: unknown, free: number): boolean {
  return Array.isArray(value) &&
    value.every((group) =>
      Array.isArray(group) && typeof group[0] === "string" &&
      group.every((item, i) => i > 0 && i <= free || typeof item === "string")
    );
}
