import assert from "node:assert/strict";
import { parsePlotRows, PLOT_TEMPLATES, plotSpec, renderPlotsPage } from "../../src/report/mod.ts";
import { PivotError } from "../../src/util/errors.ts";

const ROWS = [{ epoch: 0, loss: 1 }, { epoch: 1, loss: 0.5 }];

Deno.test("parsePlotRows() reads csv, tsv, jsonl and json lists (or a mapping holding one)", () => {
  const expected = [{ step: 0, loss: 0.9, tag: "a" }, { step: 1, loss: null, tag: "b" }];
  assert.deepEqual(
    parsePlotRows("step,loss,tag\n0,0.9,a\n1,,b\n", { format: "csv", display: "p" }),
    expected,
  );
  assert.deepEqual(
    parsePlotRows("step\tloss\ttag\n0\t0.9\ta\n1\t\tb\n", { format: "tsv", display: "p" }),
    expected,
  );
  const json = JSON.stringify(expected);
  assert.deepEqual(parsePlotRows(json, { format: "json", display: "p" }), expected);
  assert.deepEqual(
    parsePlotRows(JSON.stringify({ train: expected }), { format: "json", display: "p" }),
    expected,
  );
  assert.deepEqual(
    parsePlotRows(expected.map((row) => JSON.stringify(row)).join("\n"), {
      format: "jsonl",
      display: "p",
    }),
    expected,
  );
  assert.throws(
    () => parsePlotRows('{"a": 1}', { format: "json", display: "p at HEAD" }),
    (error) =>
      error instanceof PivotError &&
      error.message === "cannot plot p at HEAD: expected a list of objects (one per point)",
  );
});

Deno.test("plotSpec() builds a spec for every template, one series or several", async (t) => {
  const classes = [{ actual: "cat", predicted: "dog" }, { actual: "dog", predicted: "dog" }];
  for (const template of PLOT_TEMPLATES) {
    await t.step(template, () => {
      const confusion = template.startsWith("confusion");
      const rows = confusion ? classes : ROWS;
      const axes = confusion ? {} : { x: "epoch" };
      const one = plotSpec({ name: "p", series: [{ label: "workspace", rows }] }, {
        template,
        ...axes,
      });
      assert.equal(one.template, template);
      assert.deepEqual([one.x, one.y], confusion ? ["actual", "predicted"] : ["epoch", "loss"]);
      assert.equal(JSON.stringify(one.spec).includes('"revision"'), true);
      const two = plotSpec(
        { name: "p", series: [{ label: "HEAD", rows }, { label: "workspace", rows }] },
        { template, ...axes },
      );
      const values = (two.spec.data as { values: Record<string, unknown>[] }).values;
      assert.deepEqual(values.map((row) => row.revision), [
        "HEAD",
        "HEAD",
        "workspace",
        "workspace",
      ]);
      // Several versions are told apart: a legend (color) or one matrix each (facet).
      assert.ok(confusion ? "facet" in two.spec : JSON.stringify(two.spec).includes('"color"'));
    });
  }
});

Deno.test("plotSpec() numbers rows as 'step' when there is no x, and names missing columns", () => {
  const spec = plotSpec({
    name: "train:loss",
    series: [{ label: "w", rows: [{ loss: 3 }, { loss: 2 }] }],
  });
  assert.deepEqual([spec.x, spec.y], ["step", "loss"]);
  assert.deepEqual((spec.spec.data as { values: unknown[] }).values, [
    { step: 0, loss: 3, revision: "w" },
    { step: 1, loss: 2, revision: "w" },
  ]);
  assert.throws(
    () => plotSpec({ name: "train:loss", series: [{ label: "w", rows: ROWS }] }, { y: "los" }),
    (error) =>
      error instanceof PivotError &&
      error.message ===
        "cannot plot train:loss: y column 'los' is not in the data (did you mean 'loss'?)" &&
      error.hint === "columns: epoch, loss",
  );
  assert.throws(
    () =>
      plotSpec({ name: "train:loss", series: [{ label: "w", rows: ROWS }] }, {
        template: "scater",
      }),
    (error) =>
      error instanceof PivotError &&
      error.message === "unknown plot template 'scater' for train:loss (did you mean 'scatter'?)",
  );
});

Deno.test("renderPlotsPage() escapes text and data, and inlines images as data: URIs", () => {
  const hostile = "</script><script>alert(1)</script>";
  const html = renderPlotsPage({
    title: "pivot plots",
    subtitle: "<b>workspace</b>",
    plots: [
      {
        identity: "train:loss",
        path: "data/<x>.csv",
        note: "linear",
        chart: {
          kind: "vega-lite",
          spec: { data: { values: [{ tag: hostile }] }, mark: "point" },
        },
      },
      {
        identity: "train:roc",
        path: "data/roc.png",
        note: "png image",
        chart: {
          kind: "images",
          images: [{ label: "HEAD", mime: "image/png", data: new Uint8Array([137, 80, 78, 71]) }],
        },
      },
    ],
  }, { vega: "var vega = 1; //</script>", vegaLite: "/*l*/", vegaEmbed: "/*e*/" });
  assert.equal(html.includes(hostile), false);
  assert.equal((html.match(/<\/script>/g) ?? []).length, 5);
  assert.ok(html.includes("&lt;b&gt;workspace&lt;/b&gt;"));
  assert.ok(html.includes("data/&lt;x&gt;.csv"));
  assert.ok(html.includes('src="data:image/png;base64,iVBORw=="'));
  assert.ok(html.includes("var vega = 1; //<\\/script>"));
});

Deno.test("renderPlotsPage() without Vega-Lite plots leaves the libraries out", () => {
  const html = renderPlotsPage({ title: "t", subtitle: "s", plots: [] }, null);
  assert.equal(html.includes("vegaEmbed"), false);
  assert.ok(html.includes('dataset.plotsRendered = "0"'));
});
