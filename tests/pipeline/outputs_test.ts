import assert from "node:assert/strict";
import type { OutputSpec } from "../../src/pipeline/mod.ts";
import { makeProject } from "../_helpers/project.ts";
import { assertFileError, lines, load, loadError } from "./_load.ts";

const FORMATS_HINT = "formats: csv, tsv, json, jsonl, yaml, txt, bin, dir, png, svg";

/** Loads a one-stage pivot.yaml whose `outs:` is `outs` and returns that stage's outputs. */
async function outsOf(outs: string[]): Promise<readonly OutputSpec[]> {
  await using p = await makeProject({
    "pivot.yaml": lines("stages:", "  a:", "    cmd: x", ...outs),
  });
  const [stage] = (await load(p)).stages;
  assert.ok(stage);
  return stage.outs;
}

Deno.test("loadPipelineFile() reads a format string as one unnamed output", async (t) => {
  const cases: [string, string][] = [
    ["csv", "csv"],
    ["tsv", "tsv"],
    ["json", "json"],
    ["jsonl", "jsonl"],
    ["yaml", "yaml"],
    ["txt", "txt"],
    ["bin", "bin"],
    ["png", "png"],
    ["svg", "svg"],
    ["dir", ""],
  ];
  for (const [format, ext] of cases) {
    await t.step(format, async () => {
      assert.deepEqual(await outsOf([`    outs: ${format}`]), [
        { key: null, format, kind: "data", cache: true, ext },
      ]);
    });
  }
});

Deno.test("loadPipelineFile() reads a single output object as one unnamed output", async (t) => {
  await t.step("directory", async () => {
    assert.deepEqual(await outsOf(["    outs: {format: dir}"]), [
      { key: null, format: "dir", kind: "data", cache: true, ext: "" },
    ]);
  });
  await t.step("metric", async () => {
    assert.deepEqual(await outsOf(["    outs: {format: json, kind: metric}"]), [
      { key: null, format: "json", kind: "metric", cache: false, ext: "json" },
    ]);
  });
  await t.step("uncached data with an extension", async () => {
    assert.deepEqual(await outsOf(["    outs: {format: txt, cache: false, ext: log}"]), [
      { key: null, format: "txt", kind: "data", cache: false, ext: "log" },
    ]);
  });
});

Deno.test("loadPipelineFile() reads a map of keys in declaration order", async () => {
  assert.deepEqual(
    await outsOf([
      "    outs:",
      "      model: json",
      "      scores: {format: json, kind: metric}",
      "      curve: {format: csv, kind: plot, x: epoch, y: loss, template: linear}",
      "      images: dir",
      "      _raw-2: bin",
    ]),
    [
      { key: "model", format: "json", kind: "data", cache: true, ext: "json" },
      { key: "scores", format: "json", kind: "metric", cache: false, ext: "json" },
      {
        key: "curve",
        format: "csv",
        kind: "plot",
        cache: true,
        ext: "csv",
        x: "epoch",
        y: "loss",
        template: "linear",
      },
      { key: "images", format: "dir", kind: "data", cache: true, ext: "" },
      { key: "_raw-2", format: "bin", kind: "data", cache: true, ext: "bin" },
    ],
  );
});

Deno.test("loadPipelineFile() treats a missing or null outs as no outputs", async (t) => {
  await t.step("missing", async () => assert.deepEqual(await outsOf([]), []));
  await t.step("null", async () => assert.deepEqual(await outsOf(["    outs: null"]), []));
  await t.step("empty map", async () => assert.deepEqual(await outsOf(["    outs: {}"]), []));
});

Deno.test("loadPipelineFile() allows each kind only its formats", async (t) => {
  const allowed: [string, string[]][] = [
    ["metric", ["json", "yaml", "csv"]],
    ["plot", ["csv", "json", "jsonl", "tsv", "png", "svg"]],
    ["data", ["csv", "tsv", "json", "jsonl", "yaml", "txt", "bin", "dir", "png", "svg"]],
  ];
  for (const [kind, formats] of allowed) {
    for (const format of formats) {
      await t.step(`${kind} accepts ${format}`, async () => {
        const [out] = await outsOf([`    outs: {m: {format: ${format}, kind: ${kind}}}`]);
        assert.equal(out?.kind, kind);
        assert.equal(out?.format, format);
      });
    }
  }
  const rejected: [string, string, string][] = [
    ["metric", "txt", "json, yaml, csv"],
    ["metric", "jsonl", "json, yaml, csv"],
    ["metric", "dir", "json, yaml, csv"],
    ["plot", "yaml", "csv, json, jsonl, tsv, png, svg"],
    ["plot", "bin", "csv, json, jsonl, tsv, png, svg"],
    ["plot", "dir", "csv, json, jsonl, tsv, png, svg"],
  ];
  for (const [kind, format, list] of rejected) {
    await t.step(`${kind} rejects ${format}`, async () => {
      await using p = await makeProject({
        "pivot.yaml": lines(
          "stages:",
          "  a:",
          "    cmd: x",
          `    outs: {m: {format: ${format}, kind: ${kind}}}`,
        ),
      });
      const detail = `a ${kind} cannot have format '${format}': use one of ${list}`;
      assertFileError(await loadError(p), {
        message: `pivot.yaml:4:24: stages.a.outs.m.format: ${detail}`,
        file: p.path("pivot.yaml"),
        line: 4,
        column: 24,
        field: "stages.a.outs.m.format",
        detail,
      });
    });
  }
});

Deno.test("loadPipelineFile() defaults cache to false for metrics only", async () => {
  assert.deepEqual(
    (await outsOf([
      "    outs:",
      "      d: {format: json}",
      "      m: {format: json, kind: metric}",
      "      p: {format: csv, kind: plot}",
      "      mc: {format: yaml, kind: metric, cache: true}",
      "      dn: {format: json, cache: false}",
    ])).map((o) => [o.key, o.cache]),
    [["d", true], ["m", false], ["p", true], ["mc", true], ["dn", false]],
  );
});

Deno.test("loadPipelineFile() overrides the extension with ext", async (t) => {
  const cases: [string, string][] = [
    ["log", "log"],
    [".log", "log"],
    ["tar.gz", "tar.gz"],
    ["pt", "pt"],
    ["'2'", "2"],
  ];
  for (const [ext, expected] of cases) {
    await t.step(ext, async () => {
      const [out] = await outsOf([`    outs: {m: {format: bin, ext: ${ext}}}`]);
      assert.equal(out?.ext, expected);
      assert.equal(out?.format, "bin");
    });
  }
});

Deno.test("loadPipelineFile() rejects a bad ext", async (t) => {
  const cases: [string, string, number, string][] = [
    ["directory output", "{m: {format: dir, ext: d}}", 34, "a directory output has no extension"],
    ["not a string", "{m: {format: bin, ext: 5}}", 34, "expected a string"],
    [
      "slash",
      "{m: {format: bin, ext: 'a/b'}}",
      34,
      "invalid extension 'a/b': use letters, digits, '_', '-', '.'",
    ],
    [
      "only a dot",
      "{m: {format: bin, ext: '.'}}",
      34,
      "invalid extension '.': use letters, digits, '_', '-', '.'",
    ],
    [
      "empty",
      "{m: {format: bin, ext: ''}}",
      34,
      "invalid extension '': use letters, digits, '_', '-', '.'",
    ],
  ];
  for (const [label, outs, column, detail] of cases) {
    await t.step(label, async () => {
      await using p = await makeProject({
        "pivot.yaml": lines("stages:", "  a:", "    cmd: x", `    outs: ${outs}`),
      });
      assertFileError(await loadError(p), {
        message: `pivot.yaml:4:${column}: stages.a.outs.m.ext: ${detail}`,
        file: p.path("pivot.yaml"),
        line: 4,
        column,
        field: "stages.a.outs.m.ext",
        detail,
      });
    });
  }
});

Deno.test("loadPipelineFile() allows x, y and template only on plots", async (t) => {
  for (const field of ["x", "y", "template"]) {
    await t.step(`${field} on a metric`, async () => {
      await using p = await makeProject({
        "pivot.yaml": lines(
          "stages:",
          "  a:",
          "    cmd: x",
          "    outs:",
          "      m:",
          "        format: json",
          "        kind: metric",
          `        ${field}: epoch`,
        ),
      });
      const detail = `'${field}' is only allowed on a plot output`;
      assertFileError(await loadError(p), {
        message: `pivot.yaml:8:${11 + field.length}: stages.a.outs.m.${field}: ${detail}`,
        file: p.path("pivot.yaml"),
        line: 8,
        column: 11 + field.length,
        field: `stages.a.outs.m.${field}`,
        detail,
      });
    });
  }
  await t.step("a plot field that is not a string", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines(
        "stages:",
        "  a:",
        "    cmd: x",
        "    outs: {c: {format: csv, kind: plot, x: [a]}}",
      ),
    });
    assertFileError(await loadError(p), {
      message: "pivot.yaml:4:44: stages.a.outs.c.x: expected a string",
      file: p.path("pivot.yaml"),
      line: 4,
      column: 44,
      field: "stages.a.outs.c.x",
      detail: "expected a string",
    });
  });
});

Deno.test("loadPipelineFile() rejects an unknown format, suggesting the closest", async (t) => {
  const cases: [string, string, number, string, string][] = [
    ["format string", "jsn", 11, "stages.a.outs", "unknown format 'jsn' (did you mean 'json'?)"],
    ["swapped letters", "cvs", 11, "stages.a.outs", "unknown format 'cvs' (did you mean 'csv'?)"],
    ["no close format", "parquet", 11, "stages.a.outs", "unknown format 'parquet'"],
    [
      "keyed output",
      "{model: jsn}",
      19,
      "stages.a.outs.model",
      "unknown format 'jsn' (did you mean 'json'?)",
    ],
    [
      "output object",
      "{model: {format: ymal}}",
      28,
      "stages.a.outs.model.format",
      "unknown format 'ymal' (did you mean 'yaml'?)",
    ],
    [
      "single output object",
      "{format: dri}",
      20,
      "stages.a.outs.format",
      "unknown format 'dri' (did you mean 'dir'?)",
    ],
  ];
  for (const [label, outs, column, field, detail] of cases) {
    await t.step(label, async () => {
      await using p = await makeProject({
        "pivot.yaml": lines("stages:", "  a:", "    cmd: x", `    outs: ${outs}`),
      });
      assertFileError(await loadError(p), {
        message: `pivot.yaml:4:${column}: ${field}: ${detail}`,
        file: p.path("pivot.yaml"),
        line: 4,
        column,
        field,
        detail,
        hint: `${FORMATS_HINT}; for any other file type use {format: bin, ext: ${
          outs.replace(/^.*: |}+$/g, "")
        }}`,
      });
    });
  }
});

Deno.test("loadPipelineFile() answers a path in outs and an upper-case format", async (t) => {
  await t.step("a DVC-style path", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "    outs: {model: models/model.pkl}"),
    });
    const error = await loadError(p);
    assert.equal(error.detail, "unknown format 'models/model.pkl'");
    assert.equal(
      error.hint,
      "outs declare formats: write one (e.g. 'json') and pivot places the output, or give its place: {format: bin, path: models/model.pkl}",
    );
  });
  await t.step("upper case", async () => {
    await using p = await makeProject({
      "pivot.yaml": lines("stages:", "  a:", "    cmd: x", "    outs: CSV"),
    });
    assert.equal((await loadError(p)).detail, "unknown format 'CSV' (did you mean 'csv'?)");
  });
});

Deno.test("loadPipelineFile() rejects an unknown kind, suggesting the closest", async (t) => {
  const cases: [string, string, number, string][] = [
    ["metrc", "metrc", 36, "unknown kind 'metrc' (did you mean 'metric'?)"],
    ["model", "model", 36, "unknown kind 'model'"],
    ["number", "3", 36, "unknown kind '3'"],
  ];
  for (const [label, kind, column, detail] of cases) {
    await t.step(label, async () => {
      await using p = await makeProject({
        "pivot.yaml": lines(
          "stages:",
          "  a:",
          "    cmd: x",
          `    outs: {m: {format: json, kind: ${kind}}}`,
        ),
      });
      assertFileError(await loadError(p), {
        message: `pivot.yaml:4:${column}: stages.a.outs.m.kind: ${detail}`,
        file: p.path("pivot.yaml"),
        line: 4,
        column,
        field: "stages.a.outs.m.kind",
        detail,
        hint: "kinds: data, metric, plot",
      });
    });
  }
});

Deno.test("loadPipelineFile() rejects malformed outs", async (t) => {
  const cases: {
    label: string;
    outs: string;
    column: number;
    field: string;
    detail: string;
  }[] = [
    {
      label: "a list",
      outs: "[json, csv]",
      column: 11,
      field: "stages.a.outs",
      detail: "expected a format, an output object or a map of output keys",
    },
    {
      label: "a number",
      outs: "5",
      column: 11,
      field: "stages.a.outs",
      detail: "expected a format, an output object or a map of output keys",
    },
    {
      label: "an output that is neither a format nor an object",
      outs: "{model: [json]}",
      column: 19,
      field: "stages.a.outs.model",
      detail: "expected a format string or an output object",
    },
    {
      label: "an output object without format",
      outs: "{model: {kind: metric}}",
      column: 19,
      field: "stages.a.outs.model",
      detail: "an output object needs a 'format'",
    },
    {
      label: "a cache that is not a boolean",
      outs: "{model: {format: json, cache: 'no'}}",
      column: 41,
      field: "stages.a.outs.model.cache",
      detail: "expected true or false",
    },
    {
      label: "an output key starting with a digit",
      outs: "{1model: json}",
      column: 12,
      field: "stages.a.outs.1model",
      detail:
        "invalid output key '1model': it must start with a letter or '_' and contain only letters, digits, '_' or '-'",
    },
    {
      label: "an output key with a dot",
      outs: "{model.json: json}",
      column: 12,
      field: "stages.a.outs.model.json",
      detail:
        "invalid output key 'model.json': it must start with a letter or '_' and contain only letters, digits, '_' or '-'",
    },
  ];
  for (const c of cases) {
    await t.step(c.label, async () => {
      await using p = await makeProject({
        "pivot.yaml": lines("stages:", "  a:", "    cmd: x", `    outs: ${c.outs}`),
      });
      assertFileError(await loadError(p), {
        message: `pivot.yaml:4:${c.column}: ${c.field}: ${c.detail}`,
        file: p.path("pivot.yaml"),
        line: 4,
        column: c.column,
        field: c.field,
        detail: c.detail,
      });
    });
  }
});
