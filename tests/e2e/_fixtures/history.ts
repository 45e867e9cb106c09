/**
 * A project with a git history of data for `diff`, `get` and `gc --rev`:
 * a tracked csv (`raw.csv`), a stage `prep` copying it (csv output), a
 * committed jsonl file and a stage `events` copying it (jsonl output), and a
 * stage `parts` writing a directory from the csv.
 *
 * | commit | raw.csv | events.jsonl |
 * |---|---|---|
 * | HEAD~2 | ids 1–4 | 3 events |
 * | HEAD~1 | the same rows in another order | 1 event changed, 1 added |
 * | HEAD   | row 2 modified, 3 removed, 5 added, score of 4 text, column `flag` added | the same |
 *
 * @module
 */
import assert from "node:assert/strict";
import { commitAll, git } from "../../_helpers/git.ts";
import { runPivotInProcess } from "../../_helpers/in_process.ts";
import { copiedFixture, makeProject, type TempProject } from "../../_helpers/project.ts";

/** The pipeline file. */
export const HISTORY_PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prep:",
  "    cmd: cp ${deps.raw} ${outs}",
  "    deps: {raw: raw.csv}",
  "    outs: csv",
  "  events:",
  "    cmd: cp ${deps.raw} ${outs}",
  "    deps: {raw: events.jsonl}",
  "    outs: jsonl",
  "  parts:",
  "    cmd: mkdir -p ${outs} && head -n 2 ${deps.raw} > ${outs}/head.csv && wc -l < ${deps.raw} > ${outs}/count.txt",
  "    deps: {raw: raw.csv}",
  "    outs: dir",
  "",
].join("\n");

/** raw.csv in each commit. */
export const RAW = {
  first: "id,name,score\n1,ann,0.5\n2,bob,1\n3,cat,2\n4,dan,3\n",
  second: "id,name,score\n3,cat,2\n1,ann,0.5\n4,dan,3\n2,bob,1\n",
  third: "id,name,score,flag\n1,ann,0.5,true\n2,BOB,1,false\n4,dan,x,true\n5,eve,4,false\n",
} as const;

/** events.jsonl in each commit. */
export const EVENTS = {
  first: [
    '{"id": 1, "kind": "start", "at": {"h": 9, "m": 0}}',
    '{"id": 2, "kind": "stop", "at": {"h": 17, "m": 30}}',
    '{"id": 3, "kind": "pause"}',
    "",
  ].join("\n"),
  second: [
    '{"id": 1, "kind": "start", "at": {"m": 0, "h": 9}}',
    '{"id": 2, "kind": "stop", "at": {"h": 18, "m": 0}}',
    '{"id": 3, "kind": "pause", "note": null}',
    '{"id": 4, "kind": "resume", "note": "back"}',
    "",
  ].join("\n"),
} as const;

/** Runs pivot in-process and asserts success without warnings. */
export async function pivotOk(cwd: string, ...args: string[]): Promise<string> {
  const result = await runPivotInProcess(cwd, args);
  assert.equal(result.stderr, "", `pivot ${args.join(" ")}`);
  assert.equal(result.code, 0, `pivot ${args.join(" ")}`);
  return result.stdout;
}

/**
 * Replaces a workspace file (removing it first: a tracked file is a hardlink
 * into the cache, which writing through it would change).
 */
export async function replace(p: TempProject, rel: string, content: string): Promise<void> {
  await Deno.remove(p.path(rel)).catch(() => undefined);
  await p.write(rel, content);
}

/** Writes the data, tracks raw.csv, runs the pipeline, and commits when `message` is given. */
export async function step(
  p: TempProject,
  data: { raw?: string; events?: string },
  message?: string,
): Promise<void> {
  if (data.raw !== undefined) {
    await replace(p, "raw.csv", data.raw);
    await pivotOk(p.root, "-q", "track", "--force", "raw.csv");
  }
  if (data.events !== undefined) await replace(p, "events.jsonl", data.events);
  await pivotOk(p.root, "-q", "repro");
  if (message !== undefined) await commitAll(p.root, message);
}

/**
 * The project with its three commits; the workspace is HEAD's. Built once
 * per test file; each call returns a copy of its own.
 */
export const historyProject: () => Promise<TempProject> = copiedFixture(async () => {
  const p = await makeProject({ "pivot.yaml": HISTORY_PIPELINE });
  await git(p.root, "init", "-q");
  await step(p, { raw: RAW.first, events: EVENTS.first }, "one");
  await step(p, { raw: RAW.second, events: EVENTS.second }, "two");
  await step(p, { raw: RAW.third }, "three");
  return p;
});

/** `HEAD~2 (abcdef1)`: a revision as diff headers show it. */
export async function shown(p: TempProject, rev: string): Promise<string> {
  return `${rev} (${(await git(p.root, "rev-parse", rev)).slice(0, 7)})`;
}
