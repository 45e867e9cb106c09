import assert from "node:assert/strict";
import * as path from "node:path";
import { chain, diamond, fanIn, pivotYaml } from "../../bench/shapes.ts";
import { parsePlainYaml } from "../../src/pipeline/plain_yaml.ts";
import { parseYamlSource } from "../../src/pipeline/yaml_source.ts";

const ROOT = path.resolve(import.meta.dirname!, "../..");

/**
 * Throws unless `text` is either left to the `yaml` package or read as it
 * reads it (without a syntax error); returns whether it was read.
 */
function assertSameReading(text: string): boolean {
  const plain = parsePlainYaml(text);
  if (plain === undefined) return false;
  let parsed: unknown;
  try {
    parsed = parseYamlSource(text, "pivot.yaml", "pivot.yaml").data;
  } catch (error) {
    assert.fail(`read, but the yaml package rejects it: ${JSON.stringify(text)}: ${error}`);
  }
  assert.deepEqual(plain, parsed, `read differently: ${JSON.stringify(text)}`);
  return true;
}

Deno.test("parsePlainYaml() reads the bench pipeline files as the yaml package does", () => {
  for (const shape of [fanIn(50), chain(20), diamond(20)]) {
    assert.ok(assertSameReading(pivotYaml(shape)));
  }
});

Deno.test("parsePlainYaml() reads plain block and flow YAML as the yaml package does", () => {
  const read = [
    "stages:\n  a:\n    cmd: cat ${deps.in} > ${outs}\n    outs: txt\n",
    "pipeline: p\nstages:\n  a:\n    cmd: echo 'a' \"b\" {c} [d] e:f,g\n    deps: {in: [x/1.txt, y/2.txt]}\n",
    "a:\n  - x\n  - 'y z'\n  - \"w\"\n  - [1, 2, {k: v}]\nb: 0\nc: 12345\n",
    "# a comment\na:\n\n  # another\n  b:   c   \n  d:\ne: {}\nf: []\ng: [ a ,b,  c ]\n",
    "a: ./run.sh --x=1\nb: ../up\nc: /abs/path\nd: $HOME\ne: _x\n",
    "a:\n    b:\n        c: d\n    e: f\ng:\n  - h\n",
    "a: {x: 'q', y: \"r\", z: [], w: {}}\nb: ['', \"\"]\nc: ''\n",
    "a.b-c_d: e\nA: B\n",
    "a: b # comment\nc: # comment\n  d: [e, f]   # comment\n  g:\n    - h  # comment\n",
    "a: 1.5\nb: -1\nc: -0.25\nd: 0.0\ne: -0\nf: [1.50, -2, 3]\ng: {h: 0.01}\n",
  ];
  for (const text of read) assert.ok(assertSameReading(text), JSON.stringify(text));
});

Deno.test("parsePlainYaml() leaves what it does not read to the yaml package", () => {
  const left = [
    "",
    "# only a comment\n",
    "a: &x b\nc: *x\n",
    "a: !!str b\n",
    "a: null\n",
    "a: ~\n",
    "a: true\n",
    "a: False\n",
    "a: 007\n",
    "a: 1e3\n",
    "a: 1.\n",
    "a: .5\n",
    "a: +1\n",
    "a: -1.5e3\n",
    "a: 'b' # comment\n",
    "a: b#c\n",
    "a:# comment\n",
    "a:\n  - # comment\n",
    "a: 0x1f\n",
    "a: .inf\n",
    "a:\n\tb: c\n",
    "a: b\r\nc: d\r\n",
    "---\na: b\n",
    "a: b\n---\nc: d\n",
    "a: b\na: c\n",
    "a: {b: 1, b: 2}\n",
    "a: |\n  text\n",
    "a: >\n  text\n",
    "a: one\n  two\n",
    "a:b\n",
    "a : b\n",
    "a: b: c\n",
    "a: b:\n",
    "a: [b, c,]\n",
    "a: [b,, c]\n",
    "a: [b, c\n  , d]\n",
    "a: {b}\n",
    "a: {b:c}\n",
    "__proto__: x\n",
    "true: x\n",
    'a: "b\\n"\n',
    "a: 'it''s'\n",
    "a: é\n",
    "a: -b\n",
    "a: - b\n",
    "a:\n- b\n",
    "a:\n  - b: c\n",
    "a:\n  -\n",
    "<<: {a: b}\n",
    "? a\n: b\n",
    "  a: b\n",
    "a:\n    b: c\n  d: e\n",
    "a: [b c]\n",
    "a: [b: c]\n",
    "a: @b\n",
    "a: `b`\n",
    "%YAML 1.2\n---\na: b\n",
    "- a\n- b\n",
    "a\n",
  ];
  for (const text of left) {
    assert.equal(parsePlainYaml(text), undefined, JSON.stringify(text));
  }
});

/** A small seeded generator (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("parsePlainYaml() reads random texts of YAML pieces as the yaml package does, or not at all", () => {
  const next = random(17);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const keys = ["a", "b", "cmd", "deps", "x.y", "k-1", "_z", "null", "on", "__proto__", "a b"];
  const scalars = [
    "v",
    "w x",
    "0",
    "10",
    "012",
    "1e3",
    "-1",
    "${deps.in}",
    "cat ${a} > ${b}",
    "./s.sh",
    "a:b",
    "a: b",
    "a #b",
    "a#b",
    "'q'",
    '"d"',
    "'a'b'",
    '"a\\"b"',
    "[a, b]",
    "[a,b,]",
    "{k: v}",
    "{k: [1, x]}",
    "{k:v}",
    "[]",
    "{}",
    "true",
    "~",
    ".5",
    "$x",
    "x:",
    "&a x",
    "*a",
    "!t x",
    "|",
    "- x",
    "'",
    "[a, [b, {c: d}], '']",
    "@x",
    "%x",
    "?x",
    "x ",
    "b # c",
    "# c",
    "[a, b] # c",
    "'q' # c",
    "1.5",
    "-0.25",
    "-0",
    "1.",
    "+1",
    "-x",
    "1e5",
    "0.1000000000000000055511151231257827",
  ];
  const safeKeys = keys.slice(0, 7);
  const safeScalars = scalars.filter((text) => parsePlainYaml(`k: ${text}\n`) !== undefined);
  const indents = ["", " ", "  ", "   ", "    ", "      "];
  // Mostly well-formed nesting, with odd keys, values and lines here and there.
  const mapping = (indent: string, depth: number, lines: string[]) => {
    const entries = 1 + Math.floor(next() * 4);
    for (let i = 0; i < entries; i++) {
      const key = next() < 0.92 ? pick(safeKeys) : pick(keys);
      const value = () => next() < 0.9 ? pick(safeScalars) : pick(scalars);
      const step = pick(["  ", "  ", " ", "    "]);
      const shape = next();
      if (depth < 3 && shape < 0.3) {
        lines.push(`${indent}${key}:`);
        mapping(indent + step, depth + 1, lines);
      } else if (depth < 3 && shape < 0.45) {
        lines.push(`${indent}${key}:`);
        const items = 1 + Math.floor(next() * 3);
        for (let j = 0; j < items; j++) lines.push(`${indent}${step}- ${value()}`);
      } else {
        lines.push(`${indent}${key}: ${value()}`);
      }
      if (next() < 0.05) lines.push(next() < 0.5 ? "" : `${pick(indents)}# note`);
    }
  };
  let read = 0;
  for (let round = 0; round < 4000; round++) {
    const lines: string[] = [];
    if (round % 2 === 0) {
      mapping("", 0, lines);
      if (next() < 0.2) {
        const at = Math.floor(next() * lines.length);
        lines[at] = next() < 0.5 ? ` ${lines[at]}` : lines[at]!.replace(/^ /, "");
      }
    } else {
      const count = 1 + Math.floor(next() * 7);
      for (let i = 0; i < count; i++) {
        const indent = i === 0 && next() < 0.8 ? "" : pick(indents);
        const shape = next();
        if (shape < 0.45) lines.push(`${indent}${pick(keys)}: ${pick(scalars)}`);
        else if (shape < 0.7) lines.push(`${indent}${pick(keys)}:`);
        else if (shape < 0.85) lines.push(`${indent}- ${pick(scalars)}`);
        else if (shape < 0.92) lines.push(`${indent}# note`);
        else if (shape < 0.96) lines.push("");
        else lines.push(`${indent}${pick(scalars)}`);
      }
    }
    if (assertSameReading(`${lines.join("\n")}\n`)) read++;
  }
  // The random texts did exercise the reading, not only the way around it.
  assert.ok(read > 600, `only ${read} texts read`);
});

Deno.test("loadPipelineFile() reads a plain pivot.yaml without importing the yaml package", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pivot_plain_yaml_" });
  try {
    const config = JSON.parse(Deno.readTextFileSync(path.join(ROOT, "deno.json")));
    const imports = { ...config.imports, yaml: "data:text/javascript,export {}" };
    Deno.writeTextFileSync(path.join(dir, "map.json"), JSON.stringify({ imports }));
    const loader = new URL("../../src/pipeline/load_pipeline_file.ts", import.meta.url).href;
    Deno.writeTextFileSync(
      path.join(dir, "load.ts"),
      `const { loadPipelineFile } = await import(${JSON.stringify(loader)});\n` +
        `const pipeline = await loadPipelineFile(Deno.args[0], { projectRoot: ${
          JSON.stringify(dir)
        } });\n` +
        "console.log(pipeline.stages.map((stage: { name: string }) => stage.name).join(','));\n",
    );
    const file = path.join(dir, "pivot.yaml");
    const load = async (text: string) => {
      Deno.writeTextFileSync(file, text);
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-lock", "--import-map", "map.json", "load.ts", file],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: output.code,
        stdout: new TextDecoder().decode(output.stdout).trim(),
        stderr: new TextDecoder().decode(output.stderr),
      };
    };
    const plain = "pipeline: t\nstages:\n  a:\n    cmd: echo a > ${outs}\n    outs: txt\n  b:\n" +
      "    cmd: cat ${deps.in} > ${outs}\n    deps: {in: [a]}\n    outs: txt\n";
    const loaded = await load(plain);
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.equal(loaded.stdout, "a,b");
    // The check holds: a file the plain reading leaves to the package does import it.
    const commented = await load(plain.replace("cmd: echo a", "cmd: !!str echo a"));
    assert.match(commented.stderr, /yaml_lib\.ts/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
