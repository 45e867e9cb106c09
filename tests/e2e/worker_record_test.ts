/**
 * Outputs cached by the pool worker that ran the stage (`output_recorder.ts`):
 * with more than `FEW_STAGES` stages, `cmd` jobs run on the pool, and the
 * worker hashes each output and makes it a hardlink of its blob; the
 * coordinator writes the lock and `state.db`. What a run leaves must be what
 * the coordinator leaves when it records a stage itself, and every case the
 * worker does not take (a symlink, a directory that now leads out, a blob
 * that cannot be stored) must end as it does there.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { nestedProject } from "../_helpers/project.ts";
import { FEW_STAGES } from "../../src/engine/run_stages.ts";
import { hashBytes, xxhashReady } from "../../src/storage/xxhash.ts";

/** More stages than run inline: their jobs go to the pool. */
const MANY = FEW_STAGES + 2;

/** `pivot.yaml` of pipeline `ml`: stages `s0…s<n-1>`, each `cmd` of `commandOf(i)`, one json output `model`. */
function manyStages(commandOf: (i: number) => string, n = MANY): string {
  return [
    "pipeline: ml",
    "stages:",
    ...Array.from({ length: n }, (_, i) => [
      `  s${i}:`,
      `    cmd: ${JSON.stringify(commandOf(i))}`,
      "    outs: {model: json}",
    ]).flat(),
    "",
  ].join("\n");
}

/** The blob of `content` under the project's cache. */
function blobOf(root: string, content: string): string {
  const hash = hashBytes(new TextEncoder().encode(content));
  return path.join(root, ".pivot/cache/files", hash.slice(0, 2), hash.slice(2));
}

Deno.test("outputs of stages run on the pool end as read-only hardlinks of their blobs, with locks and hash records", async () => {
  await xxhashReady;
  // Stages 0 and 1 write the same content: the second finds the blob there already.
  const content = (i: number) => `{"n": ${i < 2 ? 0 : i}}\n`;
  const { outer, root } = await nestedProject({
    "pivot.yaml": manyStages((i) => `printf '%s\\n' '${content(i).trim()}' > \${outs.model}`),
  });
  await using _ = outer;
  const result = await runPivotInProcess(root, ["repro", "-q"]);
  assert.equal(result.stderr, "");
  assert.equal(result.code, 0);
  for (let i = 0; i < MANY; i++) {
    const out = path.join(root, `data/ml/s${i}/model.json`);
    const info = Deno.lstatSync(out);
    const blob = Deno.lstatSync(blobOf(root, content(i)));
    assert.equal(info.isFile, true, `s${i}`);
    assert.equal(info.ino, blob.ino, `s${i} is a hardlink of its blob`);
    assert.equal((info.mode ?? 0) & 0o777, 0o444, `s${i} is read-only`);
    assert.equal(Deno.readTextFileSync(out), content(i));
    const lock = JSON.parse(Deno.readTextFileSync(path.join(root, `.pivot/stages/ml/s${i}.lock`)));
    assert.deepEqual(lock.outs, [{
      key: "model",
      path: `data/ml/s${i}/model.json`,
      hash: hashBytes(new TextEncoder().encode(content(i))),
      cache: true,
    }]);
  }
  assert.equal(Deno.lstatSync(blobOf(root, content(0))).nlink, 3, "one blob for s0 and s1");
  // The hashes were recorded: the next run finds everything up to date.
  const again = await runPivotInProcess(root, ["repro"]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, new RegExp(`^0 ran, ${MANY} up to date`, "m"));
});

Deno.test("a command on the pool that makes its output a symlink out of the project is refused as inline", async () => {
  const { outer, root } = await nestedProject({
    "pivot.yaml": manyStages((i) =>
      i === 3 ? "ln -s ../../../../outside/model.json ${outs.model}" : "echo '{}' > ${outs.model}"
    ),
  }, { "outside/model.json": '{"theirs": 1}\n' });
  await using _ = outer;
  const outside = outer.path("outside/model.json");
  const result = await runPivotInProcess(root, ["repro", "-q", "-k"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    new RegExp(
      `^FAILED s3: cannot record output data/ml/s3/model\\.json: data/ml/s3/model\\.json is a symlink to ${outside}, outside the project \\(`,
      "m",
    ),
  );
  // Not linked into the cache, not made read-only, no lock.
  assert.equal(Deno.lstatSync(outside).nlink, 1);
  assert.equal((Deno.lstatSync(outside).mode ?? 0) & 0o777, 0o644);
  assert.equal(Deno.readTextFileSync(outside), '{"theirs": 1}\n');
  assert.throws(
    () => Deno.lstatSync(path.join(root, ".pivot/stages/ml/s3.lock")),
    Deno.errors.NotFound,
  );
});

Deno.test("a command on the pool that turns its output's directory into a symlink out of the project is refused", async () => {
  const { outer, root } = await nestedProject({
    "pivot.yaml": manyStages((i) =>
      i === 5
        ? "rmdir data/ml/s5 && ln -s ../../../elsewhere data/ml/s5 && echo '{}' > ${outs.model}"
        : "echo '{}' > ${outs.model}"
    ),
  }, { "elsewhere/keep.txt": "keep\n" });
  await using _ = outer;
  const elsewhere = outer.path("elsewhere");
  const result = await runPivotInProcess(root, ["repro", "-q", "-k"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    new RegExp(
      `^FAILED s5: cannot record output data/ml/s5/model\\.json: data/ml/s5 is a symlink to ${elsewhere}, outside the project \\(`,
      "m",
    ),
  );
  const written = Deno.lstatSync(path.join(elsewhere, "model.json"));
  assert.equal(written.nlink, 1, "not linked into the cache");
  assert.equal((written.mode ?? 0) & 0o777, 0o644, "not made read-only");
  assert.throws(
    () => Deno.lstatSync(path.join(root, ".pivot/stages/ml/s5.lock")),
    Deno.errors.NotFound,
  );
});

Deno.test("a blob that cannot be stored leaves no lock, on the pool as inline", async () => {
  await xxhashReady;
  const content = '{"blocked": true}\n';
  const { outer, root } = await nestedProject({
    "pivot.yaml": manyStages((i) =>
      i === 7 ? `printf '%s\\n' '${content.trim()}' > \${outs.model}` : "echo '{}' > ${outs.model}"
    ),
  });
  await using _ = outer;
  // A file where the blob's bucket directory belongs: neither a link nor a move gets there.
  const bucket = path.dirname(blobOf(root, content));
  Deno.mkdirSync(path.dirname(bucket), { recursive: true });
  Deno.writeTextFileSync(bucket, "in the way\n");
  const result = await runPivotInProcess(root, ["repro", "-q", "-k"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^FAILED s7: /m);
  assert.doesNotMatch(result.stderr, /^FAILED s(?!7:)/m);
  assert.throws(
    () => Deno.lstatSync(path.join(root, ".pivot/stages/ml/s7.lock")),
    Deno.errors.NotFound,
  );
  const out = Deno.lstatSync(path.join(root, "data/ml/s7/model.json"));
  assert.equal(out.nlink, 1);
  assert.equal(Deno.readTextFileSync(path.join(root, "data/ml/s7/model.json")), content);
  // The other stages were recorded.
  Deno.lstatSync(path.join(root, ".pivot/stages/ml/s6.lock"));
});
