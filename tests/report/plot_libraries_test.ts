import assert from "node:assert/strict";
import { syncVendorFiles } from "../../scripts/vendor_vega.ts";
import { loadPlotLibraries } from "../../src/report/mod.ts";

Deno.test("vendor/vega holds exactly the pinned npm packages' browser builds (deno task vendor-vega)", async () => {
  assert.deepEqual(await syncVendorFiles(true), []);
});

Deno.test("loadPlotLibraries() loads the three libraries as text", async () => {
  const libraries = await loadPlotLibraries();
  assert.match(libraries.vega, /\.vega=\{\}/);
  assert.match(libraries.vegaLite, /\.vegaLite=\{\}/);
  assert.match(libraries.vegaEmbed, /\.vegaEmbed=/);
});
