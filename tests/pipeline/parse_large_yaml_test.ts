import assert from "node:assert/strict";
import { parseLargeYaml } from "../../src/pipeline/parse_large_yaml.ts";
import { parseYamlSource } from "../../src/pipeline/yaml_source.ts";
import { makeProject } from "../_helpers/project.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { assertFileError, lines, load, loadError } from "./_load.ts";

/** `count` comment lines (~50 characters each): text the parser's syntax tree holds, nothing else. */
function comments(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `    # note ${i}: ${"x".repeat(36)}`);
}

/** `count` stages in flow style, one line each, `s0` … (line 2 + i holds `s<i>`). */
function flowStages(count: number): string[] {
  return Array.from(
    { length: count },
    (_, i) => `  s${i}: {cmd: "echo ${i} > \${outs}", outs: txt}`,
  );
}

// Runs first, in this file's own isolate: the heap has not grown for anything else yet.
Deno.test("loadPipelineFile() parses a large pivot.yaml without growing this thread's heap by the parser's syntax tree", async () => {
  // 2.4 MB of comments: parsed here, the `yaml` package's syntax tree alone takes ~60 MB.
  await using p = await makeProject({
    "pivot.yaml": lines(
      "stages:",
      "  s:",
      "    cmd: echo hi > ${outs}",
      "    outs: txt",
      ...comments(48_000),
    ),
  });
  const before = Deno.memoryUsage().heapTotal;
  const pipeline = await load(p);
  const grown = (Deno.memoryUsage().heapTotal - before) / 2 ** 20;
  assert.deepEqual(pipeline.stages.map((s) => s.name), ["s"]);
  assert.ok(grown < 16, `the heap grew by ${grown.toFixed(1)} MB`);
});

Deno.test("parseLargeYaml() gives a large file's data as parseYamlSource() does", async () => {
  const text = lines(
    "pipeline: big",
    "defaults: &defaults {outs: txt, params: {rate: 0.5, on: true, off: null, n: 12, big: .inf}}",
    "text: |",
    "  two lines",
    "  of text ✓",
    "nan: .nan",
    "keys: {1: one, true: yes, 'q': \"quoted \\u00e9\"}",
    "shared: &shared [a, [b, c], {d: e}]",
    "again: *shared",
    "stages:",
    ...Array.from(
      { length: 50 },
      (_, i) => `  m${i}: {<<: *defaults, cmd: "echo ${i} > \${outs}"}`,
    ),
    // The size only has to pass the worker's threshold: comment lines make up most of it,
    // which the parser reads ~15× faster than as many stages.
    ...flowStages(400),
    ...comments(5_200),
  );
  assert.ok(text.length >= 256 * 1024, `${text.length} characters: below the worker's threshold`);
  assert.deepEqual(
    await parseLargeYaml(text, "pivot.yaml", "pivot.yaml"),
    parseYamlSource(text, "pivot.yaml", "pivot.yaml").data,
  );
});

Deno.test("loadPipelineFile() reports errors in a large pivot.yaml at file:line:col as in a small one", async (t) => {
  // 6,000 lines, past the worker's threshold; all but 20 are comment lines, which the parser
  // reads ~15× faster than stages (where an error is located does not depend on what the
  // lines before it hold).
  const many = [...flowStages(20), ...comments(5_980)];
  assert.ok(lines(...many).length >= 256 * 1024, "below the worker's threshold");
  await t.step("duplicate key", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", ...many, "  s17: {cmd: y, outs: txt}"),
    });
    assertFileError(await loadError(p), {
      message: "pivot.yaml:6002:3: invalid YAML: map keys must be unique",
      file: p.path("pivot.yaml"),
      line: 6002,
      column: 3,
      field: undefined,
      detail: "invalid YAML: map keys must be unique",
    });
  });
  await t.step("syntax error", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", ...many, "  last:", "    cmd: x", "   bad: y"),
    });
    const error = await loadError(p);
    assert.equal(error.line, 6004);
    assert.match(error.message, /^pivot\.yaml:6004:\d+: invalid YAML: /);
    assert.doesNotMatch(error.detail, /at line \d+/);
  });
  await t.step("a field's error, located after parsing", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", ...many, "  last: {cmd: x, outs: [nope]}"),
    });
    assertFileError(await loadError(p), {
      message:
        "pivot.yaml:6002:24: stages.last.outs: expected a format, an output object or a map of output keys",
      file: p.path("pivot.yaml"),
      line: 6002,
      column: 24,
      field: "stages.last.outs",
      detail: "expected a format, an output object or a map of output keys",
    });
  });
  await t.step("alias bomb", async () => {
    const bomb = [
      'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
      ..."bcdefghi".split("").map((name, i) =>
        `${name}: &${name} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`
      ),
    ];
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", ...many, "x-bomb:", ...bomb.map((line) => `  ${line}`)),
    });
    const status = await runPivotInProcess(p.root, ["status"]);
    assert.deepEqual(status, {
      code: 1,
      stdout: "",
      stderr:
        "error: pivot.yaml: invalid YAML: uses too many aliases (more than 100 expansions of '*name'), as an alias bomb does\n" +
        "hint: write the repeated values out, or use fewer aliases\n",
    });
  });
});
