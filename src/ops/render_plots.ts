import * as path from "node:path";
import type { Session } from "../session/mod.ts";
import {
  loadPlotLibraries,
  type PagePlot,
  parsePlotRows,
  type PlotDataFormat,
  type PlotImage,
  type PlotSeries,
  plotSpec,
  renderPlotsPage,
} from "../report/mod.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { PivotError } from "../util/errors.ts";
import { existsSync, statOrNull } from "../util/fs.ts";
import { selectOutputs } from "./_select_outputs.ts";
import {
  openVersions,
  type ProjectVersion,
  readVersionOutputs,
  type VersionContent,
  type VersionInfo,
  versionInfo,
} from "./_versions.ts";

/** Where the plots page goes by default, relative to the project root. */
export const DEFAULT_PLOTS_FILE = path.join("pivot_plots", "index.html");

/** Options for {@linkcode renderPlots}. */
export interface RenderPlotsOptions {
  /**
   * The versions to draw, each a git revision or `null` for the workspace;
   * several are overlaid in one chart per plot.
   * @default {[null] (the workspace)}
   */
  versions?: readonly (string | null)[];
  /** Stages or plot identities. @default {every plot output} */
  targets?: readonly string[];
  /** The HTML file to write (absolute). @default {`<root>/pivot_plots/index.html`} */
  output?: string;
}

/** One plot on the page. */
export interface RenderedPlot {
  /** `train:loss`. */
  readonly identity: string;
  /** Project-relative path. */
  readonly path: string;
  /** `vega-lite` or `images` (png/svg outputs). */
  readonly kind: "vega-lite" | "images";
  /** The versions it has data in (labels). */
  readonly versions: readonly string[];
}

/** What {@linkcode renderPlots} wrote. */
export interface PlotsReport {
  /** The HTML file, or `null` when there was nothing to plot. */
  readonly file: string | null;
  readonly versions: readonly VersionInfo[];
  readonly plots: readonly RenderedPlot[];
  /** Plot outputs that exist in none of the versions (identities). */
  readonly missing: readonly string[];
}

const IMAGE_TYPES: Readonly<Record<string, string>> = { png: "image/png", svg: "image/svg+xml" };

/**
 * Draws the project's plot outputs into one self-contained HTML page that
 * works offline: csv/tsv/json/jsonl data with Vega-Lite (libraries and data
 * inlined, one chart per plot, each version a series), png/svg as images.
 * Nothing is written when there is nothing to plot.
 *
 * @throws {PivotError} for bad targets, unreadable data, an unknown template or column, or an unknown revision
 */
export async function renderPlots(
  session: Session,
  options: RenderPlotsOptions = {},
): Promise<PlotsReport> {
  const { versions: revs = [null], targets = [] } = options;
  const { project } = session;
  const output = options.output ?? path.join(project.root, DEFAULT_PLOTS_FILE);
  if ((await statOrNull(output))?.isDirectory) {
    throw new PivotError(`cannot write the plots page to ${output}: it is a directory`, {
      hint: `name a file, such as ${path.join(output, "index.html")}`,
    });
  }
  const outputs = await selectOutputs(project, targets, "plot");
  const versions = await openVersions(session, revs);
  const contents: VersionContent[][] = [];
  for (const version of versions) {
    contents.push(await readVersionOutputs(version, outputs));
  }
  const plots: PagePlot[] = [];
  const rendered: RenderedPlot[] = [];
  const missingPlots: string[] = [];
  outputs.forEach((out, i) => {
    const present = versions.flatMap((version, v) => {
      const entry = contents[v]![i]!;
      return entry.content === null ? [] : [{ version, entry, content: entry.content }];
    });
    if (present.length === 0) {
      missingPlots.push(out.identity);
      session.warn(
        `${out.identity} (${out.display}) does not exist in ${
          versions.map((version) => version.label).join(" or ")
        }; run 'pivot repro ${out.stage.name}'`,
      );
      return;
    }
    const missing = versions.filter((version) => !present.some((p) => p.version === version));
    const absent = missing.length === 0
      ? ""
      : ` · not in ${missing.map((version) => version.label).join(", ")}`;
    const mime = IMAGE_TYPES[out.spec.format];
    if (mime !== undefined) {
      const images: PlotImage[] = present.map(({ version, content }) => ({
        label: version.label,
        mime,
        data: content,
      }));
      plots.push({
        identity: out.identity,
        path: out.display,
        note: `${out.spec.format} image${absent}`,
        chart: { kind: "images", images },
      });
    } else {
      const series: PlotSeries[] = present.map(({ version, entry, content }) => ({
        label: version.label,
        rows: parsePlotRows(new TextDecoder().decode(content), {
          format: out.spec.format as PlotDataFormat,
          display: displayIn(version, entry.path),
        }),
      }));
      const built = plotSpec({ name: out.identity, series }, out.spec);
      plots.push({
        identity: out.identity,
        path: out.display,
        note: `${built.template}: ${built.x} → ${built.y}${absent}`,
        chart: { kind: "vega-lite", spec: built.spec },
      });
    }
    rendered.push({
      identity: out.identity,
      path: out.display,
      kind: mime === undefined ? "vega-lite" : "images",
      versions: present.map(({ version }) => version.label),
    });
  });
  const infos = versions.map(versionInfo);
  if (plots.length === 0) {
    return { file: null, versions: infos, plots: rendered, missing: missingPlots };
  }
  const libraries = plots.some((plot) => plot.chart.kind === "vega-lite")
    ? await loadPlotLibraries()
    : null;
  const html = renderPlotsPage({
    title: "pivot plots",
    subtitle: `${versions.map(describe).join(" compared with ")} · ${plots.length} plot${
      plots.length === 1 ? "" : "s"
    }`,
    plots,
  }, libraries);
  atomicWrite(output, html);
  const ignore = path.join(project.root, "pivot_plots", ".gitignore");
  if (options.output === undefined && !existsSync(ignore)) {
    atomicWrite(
      ignore,
      "# Written by pivot: the plots page is generated, keep it out of git.\n*\n",
    );
  }
  return { file: output, versions: infos, plots: rendered, missing: missingPlots };
}

function describe(version: ProjectVersion): string {
  return version.revision === null
    ? version.label
    : `${version.label} (${version.revision.shortCommit})`;
}

function displayIn(version: ProjectVersion, rel: string): string {
  return version.revision?.display(rel) ?? rel;
}
