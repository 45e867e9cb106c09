import type { PlotLibraries } from "./plot_libraries.ts";

/** An image version of a plot (png/svg output). */
export interface PlotImage {
  /** The revision it is from (`HEAD`, `workspace`). */
  readonly label: string;
  /** `image/png` or `image/svg+xml`. */
  readonly mime: string;
  readonly data: Uint8Array;
}

/** One plot of the page. */
export interface PagePlot {
  /** `train:loss`. */
  readonly identity: string;
  /** Its project-relative path. */
  readonly path: string;
  /** A short line under the title (`linear: step → loss`). */
  readonly note: string;
  /** A Vega-Lite specification, or the images to show side by side. */
  readonly chart:
    | { readonly kind: "vega-lite"; readonly spec: Record<string, unknown> }
    | { readonly kind: "images"; readonly images: readonly PlotImage[] };
}

/** The page: a heading, a line about what it compares, the plots. */
export interface PlotsPage {
  readonly title: string;
  readonly subtitle: string;
  readonly plots: readonly PagePlot[];
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 24px 32px; color: #1d2330; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
header p { margin: 0 0 20px; color: #5b6475; }
section.plot { border: 1px solid #dde1e8; border-radius: 6px; padding: 12px 16px 16px; margin: 0 0 20px; }
section.plot h2 { font-size: 16px; margin: 0; font-weight: 600; }
section.plot h2 code { font-size: 15px; }
section.plot p.note { margin: 2px 0 10px; color: #5b6475; font-size: 13px; }
.images { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; }
figure img { max-width: 560px; border: 1px solid #eef0f4; }
figcaption { color: #5b6475; font-size: 13px; }
.failed { color: #a4262c; white-space: pre-wrap; }
`;

/**
 * The page as one self-contained HTML document: the libraries inlined (only
 * when some plot needs them), data in a JSON block, images as `data:` URIs.
 * When every chart has rendered (or failed, with the error shown in its
 * place), `<html data-plots-rendered="N" data-plots-failed="M">` is set.
 */
export function renderPlotsPage(page: PlotsPage, libraries: PlotLibraries | null): string {
  const specs: { id: string; spec: Record<string, unknown> }[] = [];
  const sections = page.plots.map((plot, index) => {
    const id = `plot-${index + 1}`;
    const header = `<h2><code>${escapeHtml(plot.identity)}</code> → ${escapeHtml(plot.path)}</h2>` +
      `<p class="note">${escapeHtml(plot.note)}</p>`;
    if (plot.chart.kind === "vega-lite") {
      specs.push({ id, spec: plot.chart.spec });
      return `<section class="plot" id="${id}">${header}<div class="chart"></div></section>`;
    }
    const figures = plot.chart.images.map((image) =>
      `<figure><img alt="${
        escapeHtml(`${plot.identity} (${image.label})`)
      }" src="data:${image.mime};base64,${toBase64(image.data)}"><figcaption>${
        escapeHtml(image.label)
      }</figcaption></figure>`
    ).join("");
    return `<section class="plot" id="${id}">${header}<div class="images">${figures}</div></section>`;
  });
  if (specs.length > 0 && libraries === null) {
    throw new Error("renderPlotsPage: Vega-Lite plots need the libraries");
  }
  const scripts = specs.length === 0 || libraries === null ? "" : [
    `<script type="application/json" id="pivot-plot-specs">${jsonForHtml(specs)}</script>`,
    inlineScript(libraries.vega),
    inlineScript(libraries.vegaLite),
    inlineScript(libraries.vegaEmbed),
    inlineScript(EMBED_SCRIPT),
  ].join("\n");
  const imagesOnly = specs.length === 0
    ? `<script>document.documentElement.dataset.plotsRendered = "0";` +
      `document.documentElement.dataset.plotsFailed = "0";</script>`
    : "";
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(page.title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    `<header><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.subtitle)}</p></header>`,
    "<main>",
    ...sections,
    "</main>",
    scripts,
    imagesOnly,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** Renders every chart with vega-embed (SVG, no links to online editors) and records the outcome. */
const EMBED_SCRIPT = `
(async () => {
  const specs = JSON.parse(document.getElementById("pivot-plot-specs").textContent);
  const options = { renderer: "svg", mode: "vega-lite", actions: { export: true, source: false, compiled: false, editor: false } };
  const results = await Promise.allSettled(specs.map(({ id, spec }) =>
    vegaEmbed(document.querySelector("#" + id + " .chart"), spec, options)));
  let failed = 0;
  results.forEach((result, i) => {
    if (result.status === "fulfilled") return;
    failed++;
    const box = document.querySelector("#" + specs[i].id + " .chart");
    box.className = "chart failed";
    box.textContent = "could not draw this plot: " + result.reason;
  });
  document.documentElement.dataset.plotsRendered = String(results.length - failed);
  document.documentElement.dataset.plotsFailed = String(failed);
})();
`;

/** A classic script element; `</script` inside (only possible in strings) is escaped. */
function inlineScript(code: string): string {
  const body = code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n").replaceAll(
    "</script",
    "<\\/script",
  );
  return `<script>${body}</script>`;
}

/** JSON that cannot end its `<script>` block early. */
function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c");
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function toBase64(data: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < data.length; i += 0x8000) {
    binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
