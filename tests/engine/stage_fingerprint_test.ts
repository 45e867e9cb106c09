import assert from "node:assert/strict";
import * as path from "node:path";
import { CodeFingerprints } from "../../src/engine/code_fingerprint.ts";
import { describeFingerprintKey, stageFingerprint } from "../../src/engine/stage_fingerprint.ts";
import type { StageAction, StageDef } from "../../src/pipeline/mod.ts";
import { hashBytes } from "../../src/storage/mod.ts";
import { tempDir } from "../_helpers/files.ts";

/** A stage of pipeline `ml` rooted at `root` doing `action`. */
function stageDef(root: string, action: StageAction): StageDef {
  return {
    name: "train",
    baseName: "train",
    variant: null,
    pipeline: "ml",
    file: path.join(root, "pivot.yaml"),
    dir: root,
    root,
    stateDir: path.join(root, ".pivot"),
    action,
    deps: [],
    outs: [],
    params: {},
    mutex: [],
    desc: null,
    matrix: null,
  };
}

Deno.test("describeFingerprintKey() names a function and the file that holds it", () => {
  assert.equal(describeFingerprintKey("fn:stages/util.ts#helper"), "helper() in stages/util.ts");
  assert.equal(describeFingerprintKey("fn:stages.ts#train"), "train() in stages.ts");
  assert.equal(
    describeFingerprintKey("fn:pipeline.ts#default.stages.train.run"),
    "default.stages.train.run() in pipeline.ts",
  );
});

Deno.test("describeFingerprintKey() names modules, packages and the command", () => {
  assert.equal(describeFingerprintKey("mod:lib/util.ts"), "module lib/util.ts");
  assert.equal(describeFingerprintKey("pkg:npm:yaml@2.9.1"), "package npm:yaml@2.9.1");
  assert.equal(describeFingerprintKey("pkg:node:fs"), "package node:fs");
  assert.equal(describeFingerprintKey("cmd"), "the command");
});

Deno.test("describeFingerprintKey() returns an unknown key as it is", () => {
  assert.equal(describeFingerprintKey("other:thing"), "other:thing");
  assert.equal(describeFingerprintKey("command"), "command");
});

Deno.test("stageFingerprint() of a cmd stage hashes the command", async () => {
  const command = "python train.py --lr ${params.lr}";
  const fingerprint = await stageFingerprint(
    stageDef("/p", { kind: "cmd", command }),
    "/p",
    new CodeFingerprints(),
  );
  assert.deepEqual(fingerprint.manifest, { cmd: hashBytes(command) });
  assert.equal(fingerprint.hash, hashBytes(JSON.stringify([["cmd", hashBytes(command)]])));
  assert.match(fingerprint.hash, /^[0-9a-f]{16}$/);
});

Deno.test("stageFingerprint() of a cmd stage changes with the command", async () => {
  const of = (command: string) =>
    stageFingerprint(stageDef("/p", { kind: "cmd", command }), "/p", new CodeFingerprints());
  const first = await of("echo one > ${outs}");
  assert.deepEqual(await of("echo one > ${outs}"), first);
  assert.notEqual((await of("echo two > ${outs}")).hash, first.hash);
  assert.notEqual((await of("echo one > ${outs} ")).hash, first.hash);
});

Deno.test("stageFingerprint() of a run stage hashes its code manifest with sorted keys", async () => {
  await using dir = await tempDir();
  const module = path.join(dir.path, "stages.ts");
  const write = (value: number) =>
    Deno.writeTextFile(
      module,
      [
        "import { z } from 'npm:zod@3';",
        "function helper() {",
        `  return ${value};`,
        "}",
        "export function train() {",
        "  return z.number().parse(helper());",
        "}",
        "",
      ].join("\n"),
    );
  await write(1);
  const def = stageDef(dir.path, {
    kind: "run",
    module,
    exportPath: ["train"],
    display: "./stages.ts#train",
  });
  const first = await stageFingerprint(def, dir.path, new CodeFingerprints());
  const keys = Object.keys(first.manifest).sort();
  assert.deepEqual(keys, ["fn:stages.ts#helper", "fn:stages.ts#train", "pkg:npm:zod@3"]);
  assert.equal(
    first.hash,
    hashBytes(JSON.stringify(keys.map((key) => [key, first.manifest[key]]))),
  );
  await write(2);
  const second = await stageFingerprint(def, dir.path, new CodeFingerprints());
  assert.notEqual(second.hash, first.hash);
  assert.notEqual(second.manifest["fn:stages.ts#helper"], first.manifest["fn:stages.ts#helper"]);
});
