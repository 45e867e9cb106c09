import assert from "node:assert/strict";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Format } from "../../src/formats/mod.ts";
import type { RunJob } from "../../src/engine/stage_job.ts";
import { StageModules, type ValueCodecs } from "../../src/engine/stage_modules.ts";
import { tempDir } from "../_helpers/files.ts";

/** A `run` job reading inputs in `inputs` formats (`null`: the path) and writing `outs` formats. */
function job(inputs: readonly (Format | null)[], outs: readonly Format[]): RunJob {
  return {
    kind: "run",
    stage: "s",
    moduleUrl: "file:///nowhere/pipeline.ts",
    exportPath: ["run"],
    deps: [{
      name: "in",
      list: true,
      items: inputs.map((format, i) => ({ path: `/nowhere/in${i}`, format })),
    }],
    outs: outs.map((format, i) => ({ key: `o${i}`, path: `/nowhere/o${i}`, format })),
    params: {},
    stageName: "s",
  };
}

/** StageModules whose library import is counted. */
function counting(): { modules: StageModules; imports: () => number } {
  let imports = 0;
  const modules = new StageModules({
    importFormats: () => {
      imports++;
      return import("../../src/formats/mod.ts");
    },
  });
  return { modules, imports: () => imports };
}

Deno.test("StageModules imports the csv and yaml libraries only for a job reading or writing csv, tsv or yaml, once", async () => {
  const { modules, imports } = counting();
  for (
    const plain of [
      job([null, "txt", "json", "bin"], ["txt", "json", "jsonl", "svg"]),
      job([], ["png"]),
    ]
  ) {
    await modules.codecs(plain);
  }
  assert.equal(imports(), 0);
  await modules.codecs(job([null], ["yaml"]));
  assert.equal(imports(), 1);
  await modules.codecs(job(["csv"], ["txt"]));
  await modules.codecs(job(["tsv"], []));
  assert.equal(imports(), 1);
});

Deno.test("StageModules' codecs for plain formats read and write as the format libraries do", async () => {
  await using dir = await tempDir();
  const plain = await counting().modules.codecs(job(["json"], ["json"]));
  const full: ValueCodecs = await import("../../src/formats/mod.ts");
  const cases: [Format, unknown][] = [
    ["json", { a: [1, "x"] }],
    ["jsonl", [{ a: 1 }, 2]],
    ["txt", "line\n"],
    ["svg", "<svg/>"],
    ["bin", new Uint8Array([0, 255])],
  ];
  for (const [format, value] of cases) {
    const bytes = plain.encodeValue(format, value);
    assert.deepEqual(bytes, full.encodeValue(format, value));
    const file = path.join(dir.path, `v.${format}`);
    await Deno.writeFile(file, bytes);
    assert.deepEqual(plain.readValueSync(file, format), full.readValueSync(file, format));
  }
  assert.equal(plain.readValueSync(dir.path, "dir"), dir.path);
  assert.throws(
    () => plain.encodeValue("txt", 3),
    new TypeError("expected a string, got a number"),
  );
  await Deno.writeTextFile(path.join(dir.path, "bad.json"), "{");
  assert.throws(
    () => plain.readValueSync(path.join(dir.path, "bad.json"), "json"),
    (error: Error) =>
      error.message.startsWith(`cannot read ${path.join(dir.path, "bad.json")} as json: `),
  );
});

Deno.test("StageModules imports a stage module once for every job of the worker", async () => {
  await using dir = await tempDir();
  const file = path.join(dir.path, "pipeline.ts");
  await Deno.writeTextFile(file, "export const run = () => 1;\n");
  const modules = new StageModules();
  const url = pathToFileURL(file).href;
  assert.equal(modules.stage(url), modules.stage(url));
  assert.equal(typeof (await modules.stage(url)).run, "function");
});
