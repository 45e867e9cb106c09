import assert from "node:assert/strict";
import * as path from "node:path";
import { tempDir } from "../_helpers/files.ts";
import { fanIn, makefile } from "../../bench/shapes.ts";
import { benchEnv } from "../../bench/_measure.ts";

/** Writes a 5-stage fan-in project for Make into `dir`: inputs and the generated Makefile. */
function writeMakeProject(dir: string): void {
  const shape = fanIn(5);
  Deno.mkdirSync(path.join(dir, "inputs"));
  for (let i = 0; i < shape.inputs; i++) {
    Deno.writeTextFileSync(path.join(dir, "inputs", `${i}.txt`), `${i}\n`);
  }
  Deno.writeTextFileSync(path.join(dir, "Makefile"), makefile(shape));
}

/** Runs `make` in `dir` with the benchmarks' environment (no MAKEFLAGS) and returns its output. */
function make(dir: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const out = new Deno.Command("make", { args, cwd: dir, env: benchEnv(), clearEnv: true })
    .outputSync();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("the bench Makefile starts one shell per stage (a counting SHELL sees each stage once)", async () => {
  for (let trial = 0; trial < 3; trial++) {
    await using dir = await tempDir("pivot_bench_make_");
    writeMakeProject(dir.path);
    const log = path.join(dir.path, "shells.log");
    const counter = path.join(dir.path, "count.sh");
    Deno.writeTextFileSync(
      counter,
      `#!/bin/sh\nprintf '%s\\n' "$2" >> ${log}\nexec /bin/sh "$@"\n`,
    );
    Deno.chmodSync(counter, 0o755);
    const result = make(dir.path, ["-s", "-r", "-R", "-j", "2", `SHELL=${counter}`]);
    assert.equal(result.code, 0, result.stderr);
    const shells = Deno.readTextFileSync(log).split("\n").filter((line) => line !== "").sort();
    // With its own SHELL, Make runs every recipe line through it, `mkdir` of the output
    // directory (an order-only prerequisite, made once) included.
    assert.deepEqual(shells, [
      "cat data/bench/s*.txt > data/bench/all.txt",
      "cat inputs/0.txt > data/bench/s0.txt",
      "cat inputs/1.txt > data/bench/s1.txt",
      "cat inputs/2.txt > data/bench/s2.txt",
      "cat inputs/3.txt > data/bench/s3.txt",
      "cat inputs/4.txt > data/bench/s4.txt",
      "mkdir -p data/bench",
    ]);
    assert.equal(
      Deno.readTextFileSync(path.join(dir.path, "data/bench/all.txt")),
      "0\n1\n2\n3\n4\n",
    );
  }
});

Deno.test("the bench Makefile turns Make's built-in rules off even when make runs without -r", async () => {
  await using dir = await tempDir("pivot_bench_make_");
  writeMakeProject(dir.path);
  const result = make(dir.path, ["-d", "-n"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /Considering target file 'data\/bench\/all\.txt'/);
  // Make still "looks for" an implicit rule per file, but has none to try.
  assert.doesNotMatch(result.stdout, /Trying (pattern rule|implicit prerequisite)/);
});
