import assert from "node:assert/strict";
import { streamYamlData } from "../../src/pipeline/stream_yaml_data.ts";
import { parseYamlSource } from "../../src/pipeline/yaml_source.ts";

/** The data of `text` as the whole parse gives it, or the error message it throws. */
function whole(text: string): { data: unknown } | { error: string } {
  try {
    return { data: parseYamlSource(text, "pivot.yaml", "pivot.yaml").data };
  } catch (error) {
    return { error: String(error) };
  }
}

/**
 * Checks that `text` streams (in batches of 2, 3 and the default) to what
 * the whole parse gives, keys in the same order, or gives `null`: `null`
 * when `streams` is false, else the data.
 */
function assertStreams(text: string, streams: boolean): void {
  const expected = whole(text);
  for (const batch of [2, 3, undefined]) {
    const streamed = streamYamlData(text, batch === undefined ? {} : { batch });
    if (!streams) {
      assert.equal(streamed, null, `batch ${batch}: streamed ${JSON.stringify(streamed)}`);
      continue;
    }
    assert.ok("data" in expected, `the whole parse failed: ${JSON.stringify(expected)}`);
    assert.notEqual(streamed, null, `batch ${batch}`);
    assert.deepEqual(streamed!.data, expected.data, `batch ${batch}`);
    // Same keys in the same order (deepEqual does not compare the order).
    assert.equal(JSON.stringify(streamed!.data), JSON.stringify(expected.data), `batch ${batch}`);
  }
}

/** `count` stages written as the bench writes them, `s0` … */
function benchStages(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => [
    `  s${from + i}:`,
    "    cmd: cat ${deps.in} > ${outs}",
    `    deps: {in: [inputs/${from + i}.txt]}`,
    "    outs: txt",
  ]).flat();
}

Deno.test("streamYamlData() gives the whole parse's data for stages in many shapes", () => {
  const text = [
    "# a pipeline",
    "pipeline: bench",
    "vars: {root: data}",
    "stages:",
    ...benchStages(5),
    "  # a comment at the stages' indent",
    "",
    "  block:",
    "    cmd: |",
    "      echo one",
    "",
    "      echo two",
    "        # not a comment: part of the command",
    "    outs: txt",
    "      # an indented comment after the stage",
    "  folded:",
    "    cmd: >-",
    "      echo a",
    "      b",
    "    outs: {a: txt,",
    "      b: json}",
    '  "quoted name":',
    "    cmd: 'it''s'",
    "  1:",
    "    cmd: echo number",
    "  __proto__:",
    "    cmd: echo proto",
    "  tagged:",
    "    cmd: !!str 12",
    "    params: &p {a: 1, b: [1, 2]}",
    "    deps: {x: *p}",
    "  merged:",
    "    base: &b {cmd: echo base, outs: txt}",
    "    <<: *b",
    "    cmd: echo own",
    "# a comment at column 0",
    ...benchStages(5, 5),
    "  ? explicit",
    "  : {cmd: echo explicit}",
    "  last: {cmd: echo last}",
    "after: [1, 2]",
    "",
  ].join("\n");
  assertStreams(text, true);
  assertStreams(text.replaceAll("\n", "\r\n"), true);
  assertStreams(["stages:", ...benchStages(40), ""].join("\n"), true);
  // The stages map last in the file, no final newline; and an indented document.
  assertStreams(["pipeline: x", "stages:", ...benchStages(9)].join("\n"), true);
  assertStreams(["  stages:", ...benchStages(9).map((line) => `  ${line}`), ""].join("\n"), true);
});

Deno.test("streamYamlData() gives null where the whole parse must decide", () => {
  const stages = benchStages(12);
  const cases: Record<string, string[]> = {
    "a syntax error late in the stages": [...stages, "  bad: [unclosed", ""],
    "a stage name repeated in a later batch": [...benchStages(6), ...benchStages(6), ""],
    "a key repeated inside a stage": [...stages, "  dup:", "    cmd: a", "    cmd: b", ""],
    "an alias to an anchor in an earlier batch": [
      "  first:",
      "    params: &shared {a: 1}",
      ...stages,
      "  later:",
      "    params: *shared",
      "",
    ],
    "an alias to an anchor before the stages": ["__anchor: &shared {a: 1}"].concat(
      ["stages:", "  early:", "    params: *shared", ...stages, ""],
    ),
    "a merge key in the stages map": [
      "  base: &b {s99: {cmd: echo merged}}",
      ...stages,
      "  <<: *b",
      "",
    ],
  };
  for (const [name, body] of Object.entries(cases)) {
    const text = body[0]!.startsWith("__anchor")
      ? body.join("\n").replace("__anchor", "common")
      : ["stages:", ...body].join("\n");
    assert.equal(streamYamlData(text, { batch: 2 }), null, name);
  }
  // An anchor on the stages map (an alias to it is the whole map), a directive, two documents.
  assertStreams(["stages: &all", ...stages, "copy: *all", ""].join("\n"), false);
  assertStreams(["%YAML 1.2", "---", "stages:", ...stages, ""].join("\n"), false);
  assertStreams(["stages:", ...stages, "---", "other: 1", ""].join("\n"), false);
});

Deno.test("streamYamlData() leaves the error of a repeated stage name to the whole parse, with its line", () => {
  const text = ["stages:", ...benchStages(6), ...benchStages(1), ""].join("\n");
  assert.equal(streamYamlData(text, { batch: 2 }), null);
  assert.match(
    JSON.stringify(whole(text)),
    /pivot\.yaml:26:3: invalid YAML: map keys must be unique/,
  );
});
