import assert from "node:assert/strict";
import {
  openContentCache,
  openProject,
  ProjectRevision,
  readOutputsAt,
} from "../../src/project/mod.ts";
import { PivotError } from "../../src/util/errors.ts";
import { commitAll, git } from "../_helpers/git.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import {
  copiedFixture,
  type NestedProject,
  nestedProject,
  type TempProject,
} from "../_helpers/project.ts";

/** A project in `<repo>/proj`: pipeline `ml` at its root, pipeline `prep` in `sub/` (own state dir). */
const FILES = {
  "pivot.yaml": JSON.stringify({
    pipeline: "ml",
    stages: {
      train: {
        cmd: "printf '{\"acc\": %s}' ${params.acc} > ${outs.scores} && " +
          "printf 'model %s' ${params.acc} > ${outs.model}",
        deps: { rows: "prep/clean" },
        params: { acc: 0.5 },
        outs: { scores: { format: "json", kind: "metric" }, model: "txt" },
      },
    },
  }),
  "sub/pivot.yaml": [
    "pipeline: prep",
    "stages:",
    "  clean:",
    "    cmd: cp ${deps.raw} ${outs}",
    "    deps: {raw: ../inputs/raw.csv}",
    "    outs: csv",
    "",
  ].join("\n"),
  "inputs/raw.csv": "a\n1\n",
};

async function pivot(cwd: string, ...args: string[]): Promise<void> {
  const result = await runPivotInProcess(cwd, args);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
}

/** The repository around the project of {@linkcode committedProject}, built once per file. */
const committedRepo: () => Promise<TempProject> = copiedFixture(async () => {
  const nested = await nestedProject(FILES);
  const repo = nested.outer.root;
  await git(repo, "init", "-q");
  await pivot(nested.root, "track", "inputs/raw.csv");
  await pivot(nested.root, "repro", "--all");
  await commitAll(repo, "first");
  await nested.outer.write("proj/params.yaml", "train: {acc: 0.75}\n");
  await pivot(nested.root, "repro", "--all");
  return nested.outer;
});

/** The project, committed once and then run with another param; a copy for each test. */
async function committedProject() {
  const outer = await committedRepo();
  const nested: NestedProject = { outer, root: outer.path("proj") };
  return { nested, first: await git(outer.root, "rev-parse", "HEAD") };
}

Deno.test("ProjectRevision reads the locks of every state dir, .pvt and pipeline files as committed", async () => {
  const { nested, first } = await committedProject();
  await using _ = nested.outer;
  const warnings: string[] = [];
  const revision = await ProjectRevision.open(nested.root, "HEAD", {
    warn: (message) => warnings.push(message),
  });
  assert.equal(revision.commit, first);
  assert.deepEqual(revision.lockFiles(), [
    ".pivot/stages/ml/train.lock",
    "sub/.pivot/stages/prep/clean.lock",
  ]);
  assert.deepEqual(revision.pvtFiles(), ["inputs/raw.csv.pvt"]);
  assert.deepEqual(revision.pipelineFiles(), ["pivot.yaml", "sub/pivot.yaml"]);
  const records = await revision.readPvtFiles(revision.pvtFiles());
  assert.equal(records.get("inputs/raw.csv.pvt")?.size, 4);
  const project = await openProject({ cwd: nested.root, all: true });
  const defs = [...project.dag.stages.values()].map((stage) => stage.def);
  const locks = await revision.locksFor(defs);
  assert.deepEqual(
    defs.map((def) => [def.name, locks.get(def)?.params]),
    [["train", { acc: 0.5 }], ["clean", {}]],
  );
  const all = await revision.readLocks(revision.lockFiles());
  assert.deepEqual([...all.values()].map((lock) => lock.stage), ["train", "clean"]);
  assert.deepEqual(warnings, []);
});

Deno.test("ProjectRevision warns about a malformed committed lock and reads it as absent", async () => {
  const { nested } = await committedProject();
  await using _ = nested.outer;
  await nested.outer.write("proj/.pivot/stages/ml/train.lock", "schema: 1\nstage: [\n");
  await commitAll(nested.outer.root, "broken lock");
  const warnings: string[] = [];
  const revision = await ProjectRevision.open(nested.root, "HEAD", {
    warn: (message) => warnings.push(message),
  });
  const project = await openProject({ cwd: nested.root });
  const train = project.dag.stages.get("train")!.def;
  assert.equal((await revision.locksFor([train])).get(train), null);
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!,
    /^ignoring malformed lock file \.pivot\/stages\/ml\/train\.lock at HEAD: /,
  );
});

Deno.test("ProjectRevision rejects a malformed committed .pvt, naming it", async () => {
  const { nested } = await committedProject();
  await using _ = nested.outer;
  await nested.outer.write("proj/inputs/raw.csv.pvt", 'path: raw.csv\nhash: "xyz"\nsize: 4\n');
  await commitAll(nested.outer.root, "broken pvt");
  const revision = await ProjectRevision.open(nested.root, "HEAD", { warn: assert.fail });
  await assert.rejects(
    revision.readPvtFiles(["inputs/raw.csv.pvt"]),
    (error) =>
      error instanceof PivotError &&
      /^malformed tracking file inputs\/raw\.csv\.pvt at HEAD: hash: /.test(error.message),
  );
});

Deno.test("readOutputsAt() reads cached outputs from the cache, metrics from git, and names what is missing", async () => {
  const { nested } = await committedProject();
  await using _ = nested.outer;
  const project = await openProject({ cwd: nested.root });
  const train = project.dag.stages.get("train")!.def;
  const request = (key: string) => ({
    identity: `train:${key}`,
    stage: train,
    key,
    path: project.store.outputPath(train, key),
  });
  const cache = openContentCache(project);
  const revision = await ProjectRevision.open(nested.root, "HEAD", { warn: assert.fail });
  // The engine caches every output it records; a metric committed to git is read from there.
  const lock = (await revision.locksFor([train])).get(train)!;
  const hashOf = (key: string) => lock.outs.find((out) => out.key === key)!.hash;
  await Deno.remove(cache.blobPath(hashOf("scores")));
  const warnings: string[] = [];
  const read = await readOutputsAt(revision, [request("scores"), request("model")], {
    cache,
    warn: (message) => warnings.push(message),
  });
  const decoder = new TextDecoder();
  assert.deepEqual(
    read.map((entry) => [entry.path, entry.source, decoder.decode(entry.content!)]),
    [
      ["data/ml/train/scores.json", "git", '{"acc": 0.5}'],
      ["data/ml/train/model.txt", "cache", "model 0.5"],
    ],
  );
  assert.deepEqual(warnings, []);

  // The model's blob gone from the cache (and never committed): an error naming it, with a way out.
  const modelHash = hashOf("model");
  await Deno.remove(cache.blobPath(modelHash));
  await assert.rejects(
    readOutputsAt(revision, [request("model")], { cache, warn: assert.fail }),
    (error) => {
      assert.ok(error instanceof PivotError);
      assert.equal(
        error.message,
        `cannot read train:model (data/ml/train/model.txt, content ${modelHash}) as of HEAD: it is not in the cache, not committed to git, and no remote was asked`,
      );
      assert.equal(
        error.hint,
        "check out HEAD and run 'pivot fetch -r NAME' with a remote that holds it, or 'pivot repro' to rebuild it",
      );
      return true;
    },
  );
});

Deno.test("readOutputsAt() without a lock at the revision reads the workspace path from git, or nothing", async () => {
  const { nested, first } = await committedProject();
  await using _ = nested.outer;
  await Deno.remove(nested.outer.path("proj/.pivot/stages/ml/train.lock"));
  await commitAll(nested.outer.root, "lock removed");
  const project = await openProject({ cwd: nested.root });
  const train = project.dag.stages.get("train")!.def;
  const cache = openContentCache(project);
  const revision = await ProjectRevision.open(nested.root, "HEAD", { warn: assert.fail });
  const [scores, model] = await readOutputsAt(revision, [
    {
      identity: "train:scores",
      stage: train,
      key: "scores",
      path: project.store.outputPath(train, "scores"),
    },
    {
      identity: "train:model",
      stage: train,
      key: "model",
      path: project.store.outputPath(train, "model"),
    },
  ], { cache, warn: assert.fail });
  assert.equal(new TextDecoder().decode(scores!.content!), '{"acc": 0.75}');
  assert.equal(scores!.source, "git");
  assert.deepEqual([model!.content, model!.source], [null, null]);
  assert.notEqual(revision.commit, first);
});
