/**
 * The browser builds of vega, vega-lite and vega-embed that `pivot plots`
 * inlines into its page, so it works offline. They are the npm packages'
 * files, copied into `vendor/vega/` by `deno task vendor-vega` (a test keeps
 * them equal to the versions deno.json pins) and imported as text: that
 * works from source, in the bundle (the text is inlined) and in a compiled
 * executable (the files are embedded). The imports are dynamic, so only
 * `plots` loads the 0.8 MB.
 *
 * @module
 */

/** The three libraries' JavaScript, in the order the page loads them. */
export interface PlotLibraries {
  readonly vega: string;
  readonly vegaLite: string;
  readonly vegaEmbed: string;
}

/** Loads the vendored libraries' text. */
export async function loadPlotLibraries(): Promise<PlotLibraries> {
  const [vega, vegaLite, vegaEmbed] = await Promise.all([
    import("../../vendor/vega/vega.min.js", { with: { type: "text" } }),
    import("../../vendor/vega/vega-lite.min.js", { with: { type: "text" } }),
    import("../../vendor/vega/vega-embed.min.js", { with: { type: "text" } }),
  ]);
  return { vega: vega.default, vegaLite: vegaLite.default, vegaEmbed: vegaEmbed.default };
}
