/**
 * Nothing is written or deleted outside the project through a symlink
 * (SPEC §14): one test per escape route, each with files outside the project
 * (`<tmp>/outside`) that must come through untouched.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { tree } from "../_helpers/files.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { type NestedProject, nestedProject, pipelineYaml } from "../_helpers/project.ts";
import { addBlob, blobPath, writeLock } from "../_helpers/storage.ts";
import { hashBytes } from "../../src/storage/mod.ts";

const MODEL = "data/ml/train/model.json";
const HINT =
  "hint: pivot writes and deletes only inside the project; replace the symlink {link} with a real directory or file, or point it inside\n";

/** Every entry under `dir` with its content (files) and permission bits, symlinks not followed. */
function snapshot(dir: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const rel of tree(dir)) {
    const abs = path.join(dir, rel);
    const info = Deno.lstatSync(abs);
    const mode = ((info.mode ?? 0) & 0o777).toString(8);
    entries[rel] = info.isFile
      ? `${mode} nlink=${info.nlink} ${Deno.readTextFileSync(abs)}`
      : info.isSymlink
      ? `-> ${Deno.readLinkSync(abs)}`
      : mode;
  }
  return entries;
}

/** The refusal of a write at `target` through the symlink `link` (both project-relative). */
function refusal(action: string, target: string, link: string, real: string): string {
  return `error: ${action} ${target}: ${link} is a symlink to ${real}, outside the project\n` +
    HINT.replace("{link}", link);
}

/**
 * A project at `<tmp>/proj` whose stage `train` (pipeline `ml`) ran: its model
 * is in the cache and the lock; `data/ml` is a symlink to `<tmp>/outside`,
 * which holds `train/model.json` when `theirs` is given.
 */
async function ranWithLinkedDataDir(theirs?: string): Promise<NestedProject & { outside: string }> {
  const nested = await nestedProject(
    { "pivot.yaml": pipelineYaml() },
    {
      "outside/victim.txt": "keep me\n",
      ...(theirs ? { "outside/train/model.json": theirs } : {}),
    },
  );
  const hash = await addBlob(path.join(nested.root, ".pivot/cache"), '{"ours": 1}\n');
  await writeLock(path.join(nested.root, ".pivot"), "ml", "train", [], [
    { key: "model", path: MODEL, hash, cache: true },
  ]);
  const outside = nested.outer.path("outside");
  await Deno.mkdir(path.join(nested.root, "data"));
  await Deno.symlink(outside, path.join(nested.root, "data/ml"));
  return { ...nested, outside };
}

Deno.test("pivot checkout refuses to create outputs through a symlinked data/<pipeline>", async () => {
  const { outer, root, outside } = await ranWithLinkedDataDir();
  await using _ = outer;
  const before = snapshot(outside);
  const result = await runPivotInProcess(root, ["checkout"]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr, refusal("cannot restore", MODEL, "data/ml", outside));
  assert.deepEqual(snapshot(outside), before);
});

Deno.test("pivot checkout --force refuses to replace files through a symlinked data/<pipeline>", async () => {
  const { outer, root, outside } = await ranWithLinkedDataDir('{"theirs": 1}\n');
  await using _ = outer;
  const before = snapshot(outside);
  for (const args of [["checkout", "--force"], ["checkout", "--force", "train:model"]]) {
    const result = await runPivotInProcess(root, args);
    assert.equal(result.code, 1, args.join(" "));
    assert.equal(result.stderr, refusal("cannot restore", MODEL, "data/ml", outside));
    assert.deepEqual(snapshot(outside), before);
  }
});

Deno.test("pivot checkout refuses an explicit target through a symlinked directory", async () => {
  const { outer, root } = await nestedProject({}, { "outside/victim.csv": "theirs\n" });
  await using _ = outer;
  const outside = outer.path("outside");
  const hash = await addBlob(path.join(root, ".pivot/cache"), "pwnd\n");
  await Deno.writeTextFile(
    path.join(outside, "victim.csv.pvt"),
    `path: victim.csv\nhash: "${hash}"\nsize: 5\n`,
  );
  await Deno.symlink(outside, path.join(root, "evil"));
  const before = snapshot(outside);
  for (
    const args of [["checkout", "evil/victim.csv"], ["checkout", "--force", "evil/victim.csv.pvt"]]
  ) {
    const result = await runPivotInProcess(root, args);
    assert.equal(result.code, 1, args.join(" "));
    assert.equal(result.stderr, refusal("cannot restore", "evil/victim.csv", "evil", outside));
    assert.deepEqual(snapshot(outside), before);
  }
});

Deno.test("pivot repro refuses to remove or write outputs through a symlinked data/<pipeline>", async () => {
  const { outer, root } = await nestedProject(
    {
      "pivot.yaml": [
        "pipeline: ml",
        "stages:",
        "  train:",
        "    cmd: echo ran >> ran.txt && echo '{}' > ${outs.model}",
        "    outs: {model: json}",
        "",
      ].join("\n"),
    },
    { "outside/train/model.json": '{"theirs": 1}\n', "outside/victim.txt": "keep me\n" },
  );
  await using _ = outer;
  const outside = outer.path("outside");
  await Deno.mkdir(path.join(root, "data"));
  await Deno.symlink(outside, path.join(root, "data/ml"));
  const before = snapshot(outside);
  const result = await runPivotInProcess(root, ["repro"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    new RegExp(
      `^FAILED train: cannot write output ${MODEL}: data/ml is a symlink to ${outside}, outside the project`,
      "m",
    ),
  );
  assert.deepEqual(snapshot(outside), before);
  assert.equal(await outer.exists("proj/ran.txt"), false, "the command did not run");
});

Deno.test("pivot repro refuses to restore outputs from the cache through a symlinked data/<pipeline>", async () => {
  const { outer, root } = await nestedProject({
    "pivot.yaml": pipelineYaml(),
  }, { "outside/victim.txt": "keep me\n" });
  await using _ = outer;
  // A real run first: the lock and the cache hold the output.
  await Deno.writeTextFile(
    path.join(root, "pivot.yaml"),
    pipelineYaml().replace('cmd: "true"', "cmd: echo '{}' > ${outs.model}"),
  );
  const ran = await runPivotInProcess(root, ["repro"]);
  assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  await Deno.remove(path.join(root, "data/ml"), { recursive: true });
  const outside = outer.path("outside");
  await Deno.symlink(outside, path.join(root, "data/ml"));
  const before = snapshot(outside);

  const result = await runPivotInProcess(root, ["repro"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    new RegExp(
      `^FAILED train: cannot restore output ${MODEL}: data/ml is a symlink to ${outside}, outside the project`,
      "m",
    ),
  );
  assert.deepEqual(snapshot(outside), before);
});

Deno.test("pivot repro of up-to-date outputs behind a symlinked data/<pipeline> writes no .gitignore there", async () => {
  const { outer, root } = await nestedProject({
    "pivot.yaml": pipelineYaml().replace('cmd: "true"', "cmd: echo '{}' > ${outs.model}"),
  });
  await using _ = outer;
  const ran = await runPivotInProcess(root, ["repro"]);
  assert.equal(ran.code, 0, ran.stderr);
  // The same outputs, moved out of the project and linked back.
  const outside = outer.path("outside");
  await Deno.rename(path.join(root, "data/ml"), outside);
  await Deno.remove(path.join(outside, ".gitignore"));
  await Deno.symlink(outside, path.join(root, "data/ml"));
  const before = snapshot(outside);

  const result = await runPivotInProcess(root, ["repro"]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^up to date train\n0 ran, 1 up to date \(\d+\.\ds\)\n$/);
  assert.equal(result.stderr, refusal("cannot write", "data/ml/.gitignore", "data/ml", outside));
  assert.deepEqual(snapshot(outside), before);
});

Deno.test("pivot repro refuses to cache an output the command made a symlink out of the project", async () => {
  const { outer, root } = await nestedProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  train:",
      `    cmd: ln -s ../../../../outside/model.json \${outs.model}`,
      "    outs: {model: json}",
      "",
    ].join("\n"),
  }, { "outside/model.json": '{"theirs": 1}\n' });
  await using _ = outer;
  const outside = outer.path("outside");
  const before = snapshot(outside);
  const result = await runPivotInProcess(root, ["repro"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    new RegExp(
      `^FAILED train: cannot record output ${MODEL}: ${MODEL} is a symlink to ${outside}/model\\.json, outside the project`,
      "m",
    ),
  );
  // Not moved into the cache, not made read-only.
  assert.deepEqual(snapshot(outside), before);
});

Deno.test("pivot gc keeps another project's blobs behind a symlinked .pivot/cache unless --force", async () => {
  const { outer, root } = await nestedProject({});
  await using _ = outer;
  const otherCache = outer.path("other/.pivot/cache");
  const theirs = await addBlob(otherCache, "their blob\n");
  await Deno.symlink(otherCache, path.join(root, ".pivot/cache"));
  const before = snapshot(otherCache);

  const refused = await runPivotInProcess(root, ["gc"]);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr,
    `error: the cache ${
      path.join(root, ".pivot/cache")
    } lies outside the project (it resolves to ${otherCache}) and may be shared with other projects, whose blobs gc would delete\n` +
      "hint: pass --force if only this project uses that cache\n",
  );
  assert.deepEqual(snapshot(otherCache), before);

  // As documented, --force collects a cache that really is outside.
  const forced = await runPivotInProcess(root, ["gc", "--force", "--grace", "0"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(await outer.exists(path.relative(outer.root, blobPath(otherCache, theirs))), false);
});

Deno.test("a file dependency that is a symlink out of the project is refused when the pipeline loads", async () => {
  const { outer, root } = await nestedProject({
    "pivot.yaml": [
      "pipeline: ml",
      "stages:",
      "  train:",
      "    cmd: cat ${deps.raw} > ${outs}",
      "    deps: {raw: link.csv, other: ext/rows.csv}",
      "    outs: csv",
      "",
    ].join("\n"),
  }, { "outside/x.csv": "a,b\n", "outside/rows.csv": "c\n" });
  await using _ = outer;
  const outside = outer.path("outside");
  await Deno.symlink(path.join(outside, "x.csv"), path.join(root, "link.csv"));
  const before = snapshot(outside);
  for (const command of ["repro", "status", "list"]) {
    const result = await runPivotInProcess(root, [command]);
    assert.equal(result.code, 1, command);
    assert.equal(
      result.stderr,
      `error: pivot.yaml:5:17: stages.train.deps.raw: stage 'train' depends on 'link.csv', which is outside the project: through a symlink it is ${outside}/x.csv\n`,
      command,
    );
  }
  // Through a symlinked directory as well.
  await Deno.remove(path.join(root, "link.csv"));
  await Deno.writeTextFile(path.join(root, "link.csv"), "a,b\n");
  await Deno.symlink(outside, path.join(root, "ext"));
  const result = await runPivotInProcess(root, ["repro"]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `error: pivot.yaml:5:34: stages.train.deps.other: stage 'train' depends on 'ext/rows.csv', which is outside the project: through a symlink it is ${outside}/rows.csv\n`,
  );
  assert.deepEqual(snapshot(outside), before);
  assert.equal(await outer.exists("proj/data"), false);
});

Deno.test("pivot track refuses a path through a symlinked directory and writes nothing outside", async () => {
  const { outer, root } = await nestedProject({}, { "outside/data.csv": "a,b\n" });
  await using _ = outer;
  const outside = outer.path("outside");
  await Deno.symlink(outside, path.join(root, "evil"));
  const before = snapshot(outside);
  const result = await runPivotInProcess(root, ["track", "evil/data.csv"]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, refusal("cannot track", "evil/data.csv", "evil", outside));
  assert.deepEqual(snapshot(outside), before);
  assert.equal(await outer.exists("proj/.pivot/cache"), false);
});

Deno.test("pivot commit refuses outputs behind a symlinked data/<pipeline> with the symlink's fix", async () => {
  const { outer, root } = await nestedProject(
    { "pivot.yaml": pipelineYaml() },
    { "outside/train/model.json": '{"theirs": 1}\n' },
  );
  await using _ = outer;
  const outside = outer.path("outside");
  await Deno.mkdir(path.join(root, "data"));
  await Deno.symlink(outside, path.join(root, "data/ml"));
  const before = snapshot(outside);
  assert.deepEqual(await runPivotInProcess(root, ["commit"]), {
    code: 1,
    stdout: "0 committed, 1 failed\n",
    stderr: "error: 1 stage could not be committed:\n" +
      `  train: cannot record output ${MODEL}: data/ml is a symlink to ${outside}, outside the project\n` +
      HINT.replace("{link}", "data/ml"),
  });
  assert.deepEqual(snapshot(outside), before);
});

Deno.test("pivot verify fails on up-to-date outputs behind a symlinked data/<pipeline>, as repro refuses them", async () => {
  const { outer, root } = await nestedProject({
    "pivot.yaml": pipelineYaml().replace('cmd: "true"', "cmd: echo '{}' > ${outs.model}"),
  });
  await using _ = outer;
  assert.equal((await runPivotInProcess(root, ["repro"])).code, 0);
  assert.deepEqual(await runPivotInProcess(root, ["verify"]), {
    code: 0,
    stdout: "ok     train\nverification passed: 1 stage up to date\n",
    stderr: "",
  });
  // The same outputs, moved out of the project and linked back.
  const outside = outer.path("outside");
  await Deno.rename(path.join(root, "data/ml"), outside);
  await Deno.symlink(outside, path.join(root, "data/ml"));
  assert.deepEqual(await runPivotInProcess(root, ["verify"]), {
    code: 1,
    stdout:
      `FAILED train: cannot verify output ${MODEL}: data/ml is a symlink to ${outside}, outside the project\n` +
      "verification failed: 1 of 1 stage\n",
    stderr: "",
  });
});

/** The refusal of a write into the cache bucket `bucket`, a symlink to `target`. */
function bucketRefusal(bucket: string, target: string): string {
  return `error: cannot write to the cache: its directory ${bucket} is a symlink to ${target}, outside the cache\n` +
    `hint: remove the symlink (rm ${bucket}): pivot makes the directory again, and 'pivot checkout', 'pivot pull' or 'pivot repro' bring back what it held; to keep blobs elsewhere, point cache.dir (in .pivot/config.yaml) or PIVOT_CACHE_DIR at another directory\n`;
}

Deno.test("a cache bucket directory symlinked out of the cache is never written through (repro, track, fetch)", async (t) => {
  const content = '{"ours": 1}\n';
  const hash = hashBytes(content);
  /** A project whose bucket of `hash` is a symlink to `<tmp>/outside`; `files` its files. */
  const linkedBucket = async (files: Record<string, string>) => {
    const nested = await nestedProject(files, { "outside/victim.txt": "keep me\n" });
    const outside = nested.outer.path("outside");
    const bucket = path.join(nested.root, ".pivot/cache/files", hash.slice(0, 2));
    await Deno.mkdir(path.dirname(bucket), { recursive: true });
    await Deno.symlink(outside, bucket);
    return { ...nested, outside, bucket };
  };

  await t.step("repro: the output is not linked or moved into the bucket", async () => {
    const { outer, root, outside, bucket } = await linkedBucket({
      "pivot.yaml": [
        "pipeline: ml",
        "stages:",
        "  train:",
        `    cmd: cp \${deps.source} \${outs.model}`,
        "    deps: {source: ours.json}",
        "    outs: {model: json}",
        "",
      ].join("\n"),
      "ours.json": content,
    });
    await using _ = outer;
    const before = snapshot(outside);
    const result = await runPivotInProcess(root, ["repro"]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `^FAILED train: ${
          RegExp.escape(bucketRefusal(bucket, outside).split("\n")[0]!.slice("error: ".length))
        } \\(`,
        "m",
      ),
    );
    assert.deepEqual(snapshot(outside), before);
    assert.equal(await outer.exists("proj/.pivot/stages/ml/train.lock"), false);
  });

  await t.step("track: the file stays where it is", async () => {
    const { outer, root, outside, bucket } = await linkedBucket({ "data.json": content });
    await using _ = outer;
    const before = snapshot(outside);
    const result = await runPivotInProcess(root, ["track", "data.json"]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr, bucketRefusal(bucket, outside));
    assert.deepEqual(snapshot(outside), before);
    assert.equal(await outer.read("proj/data.json"), content);
    assert.equal(await outer.exists("proj/data.json.pvt"), false);
  });

  await t.step("fetch: nothing downloaded into the bucket", async () => {
    const { outer, root, outside, bucket } = await linkedBucket({ "data.json": content });
    await using _ = outer;
    // A remote holding the blob, and a .pvt recording it.
    const remote = outer.path("remote");
    await Deno.mkdir(path.join(remote, "files", hash.slice(0, 2)), { recursive: true });
    await Deno.writeTextFile(path.join(remote, "files", hash.slice(0, 2), hash.slice(2)), content);
    await Deno.remove(bucket);
    assert.equal((await runPivotInProcess(root, ["track", "data.json"])).code, 0);
    await Deno.remove(path.join(root, ".pivot/cache"), { recursive: true });
    await Deno.mkdir(path.join(root, ".pivot/cache/files"), { recursive: true });
    await Deno.symlink(outside, bucket);
    assert.equal((await runPivotInProcess(root, ["remote", "add", "origin", remote])).code, 0);
    const before = snapshot(outside);
    const result = await runPivotInProcess(root, ["fetch"]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr, bucketRefusal(bucket, outside));
    assert.deepEqual(snapshot(outside), before);
  });
});

Deno.test("a directory of outputs swapped for a symlink out of the project during a run is looked at again before pivot deletes or records there", async (t) => {
  await t.step(
    "by the stage's own command: its output is not recorded (moved, linked, made read-only)",
    async () => {
      const { outer, root } = await nestedProject({
        "pivot.yaml": [
          "pipeline: ml",
          "stages:",
          "  train:",
          "    cmd: echo ours > $PIVOT_OUT && mv data/ml ../outside/ml && ln -s ../../outside/ml data/ml",
          "    outs: txt",
          "",
        ].join("\n"),
      });
      await using _ = outer;
      // Present before the run: the guard looks at it (a real directory) before the command.
      await Deno.mkdir(path.join(root, "data/ml"), { recursive: true });
      await Deno.mkdir(outer.path("outside"));
      const result = await runPivotInProcess(root, ["repro"]);
      assert.deepEqual(snapshot(outer.path("outside")), {
        "ml/": "755",
        "ml/train.txt": "644 nlink=1 ours\n",
      });
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        new RegExp(
          `^FAILED train: cannot record output data/ml/train\\.txt: data/ml is a symlink to ${
            RegExp.escape(outer.path("outside/ml"))
          }, outside the project`,
          "m",
        ),
      );
      assert.equal(await outer.exists("proj/.pivot/stages/ml/train.lock"), false);
    },
  );

  await t.step(
    "by an earlier stage's command: a later stage's old output there is not deleted",
    async () => {
      const { outer, root } = await nestedProject({
        "pivot.yaml": [
          "pipeline: ml",
          "stages:",
          "  first:",
          "    cmd: echo first > $PIVOT_OUT",
          "    outs: txt",
          "  swap:",
          "    cmd: cat $PIVOT_DEP_FIRST > $PIVOT_OUT; if [ -f swap ]; then mv data/ml ../outside/ml && ln -s ../../outside/ml data/ml; fi",
          "    deps: {first: first}",
          "    outs: {format: txt, path: data/elsewhere/swap.txt}",
          "  last:",
          "    cmd: cat $PIVOT_DEP_SWAP > $PIVOT_OUT; date +%s%N >> $PIVOT_OUT",
          "    deps: {swap: swap}",
          "    outs: txt",
          "",
        ].join("\n"),
      });
      await using _ = outer;
      await Deno.mkdir(outer.path("outside"));
      assert.equal((await runPivotInProcess(root, ["repro"])).code, 0);
      const lastBefore = await Deno.readTextFile(path.join(root, "data/ml/last.txt"));
      await Deno.writeTextFile(path.join(root, "swap"), "");
      const result = await runPivotInProcess(root, ["repro", "--force", "-j", "1"]);
      // What the swap moved outside is all there: last's old output was not removed (and so
      // not written again by its command).
      assert.equal(await outer.read("outside/ml/last.txt"), lastBefore);
      assert.deepEqual(Object.keys(snapshot(outer.path("outside"))).sort(), [
        "ml/",
        "ml/.gitignore",
        "ml/first.txt",
        "ml/last.txt",
      ]);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        new RegExp(
          `^FAILED last: cannot write output data/ml/last\\.txt: data/ml is a symlink to ${
            RegExp.escape(outer.path("outside/ml"))
          }, outside the project`,
          "m",
        ),
      );
    },
  );
});
