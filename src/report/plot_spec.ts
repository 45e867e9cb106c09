import { didYouMean } from "../util/did_you_mean.ts";
import { PivotError } from "../util/errors.ts";
import { plotColumns, type PlotRow } from "./plot_data.ts";

/** The plot templates (DVC's names): how `x` and `y` are drawn. */
export const PLOT_TEMPLATES = [
  "linear",
  "simple",
  "scatter",
  "smooth",
  "bar",
  "bar_horizontal",
  "bar_horizontal_sorted",
  "confusion",
  "confusion_normalized",
] as const;

/** A plot template name. */
export type PlotTemplate = typeof PLOT_TEMPLATES[number];

/** One version of a plot's data, drawn as one series (a legend entry). */
export interface PlotSeries {
  /** Legend label: the revision (`HEAD`, `workspace`). */
  readonly label: string;
  readonly rows: readonly PlotRow[];
}

/** A plot's data: one series per version. */
export interface PlotData {
  /** How errors name the plot (`train:loss`). */
  readonly name: string;
  readonly series: readonly PlotSeries[];
}

/** What the plot output declares. */
export interface PlotSpecOptions {
  /** @default {"linear"} */
  template?: string | undefined;
  /** The x column. @default {"step" (the row number when there is no such column); confusion: the first column} */
  x?: string | undefined;
  /** The y column. @default {the last column other than x; confusion: the second column} */
  y?: string | undefined;
}

/** A Vega-Lite specification and the choices it was built from. */
export interface PlotSpec {
  readonly template: PlotTemplate;
  readonly x: string;
  readonly y: string;
  /** The Vega-Lite (v6) specification, data inlined. */
  readonly spec: Record<string, unknown>;
}

const WIDTH = 560;
const HEIGHT = 300;

/**
 * Builds the Vega-Lite specification of a plot from its data (one series
 * per revision; several get a legend, overlaid lines or points, grouped bars,
 * or side-by-side confusion matrices).
 *
 * @throws {PivotError} for an unknown template, or an x/y column the data does not have
 */
export function plotSpec(data: PlotData, options: PlotSpecOptions = {}): PlotSpec {
  const { name: display, series } = data;
  const template = checkTemplate(options.template ?? "linear", display);
  const columns = plotColumns(series.flatMap((entry) => entry.rows));
  const confusion = template === "confusion" || template === "confusion_normalized";
  const x = options.x ?? (confusion ? columns[0] : "step") ?? "step";
  const indexed = !confusion && x === "step" && !columns.includes("step");
  const y = options.y ?? (confusion ? columns[1] : columns.filter((c) => c !== x).at(-1));
  if (!indexed) checkColumn(x, "x", columns, display);
  if (y === undefined) {
    throw new PivotError(`cannot plot ${display}: it has no column to use as y`, {
      hint: "give the plot output a 'y:' naming a column",
    });
  }
  checkColumn(y, "y", columns, display);
  const labels = series.map((entry) => entry.label);
  const revision = uniqueName("revision", columns);
  const values: PlotRow[] = series.flatMap((entry) =>
    entry.rows.map((row, index) => ({
      ...(indexed ? { step: index } : {}),
      ...row,
      [revision]: entry.label,
    }))
  );
  const numeric = (column: string) =>
    values.every((row) =>
      row[column] === null || ["number", "undefined"].includes(typeof row[column])
    );
  const multi = series.length > 1;
  const fx = escapeField(x);
  const fy = escapeField(y);
  const color = multi
    ? { color: { field: revision, type: "nominal", title: "revision", sort: labels } }
    : {};
  const quantitativeY = { field: fy, type: numeric(y) ? "quantitative" : "nominal", title: y };
  let body: Record<string, unknown>;
  switch (template) {
    case "linear":
    case "simple":
      body = {
        width: WIDTH,
        height: HEIGHT,
        mark: { type: "line", point: template === "linear", tooltip: true },
        encoding: {
          x: { field: fx, type: numeric(x) ? "quantitative" : "ordinal", title: x },
          y: quantitativeY,
          ...color,
        },
      };
      break;
    case "scatter":
      body = {
        width: WIDTH,
        height: HEIGHT,
        mark: { type: "point", filled: true, tooltip: true },
        encoding: {
          x: { field: fx, type: numeric(x) ? "quantitative" : "nominal", title: x },
          y: quantitativeY,
          ...color,
          ...(multi
            ? { shape: { field: revision, type: "nominal", title: "revision", sort: labels } }
            : {}),
        },
      };
      break;
    case "smooth":
      if (!numeric(x) || !numeric(y)) {
        throw new PivotError(`cannot plot ${display} as 'smooth': x and y must be numbers`, {
          hint: "use the 'linear' or 'scatter' template for other values",
        });
      }
      body = {
        width: WIDTH,
        height: HEIGHT,
        encoding: {
          x: { field: fx, type: "quantitative", title: x },
          y: { field: fy, type: "quantitative", title: y },
          ...color,
        },
        layer: [
          { mark: { type: "point", opacity: 0.35, tooltip: true } },
          {
            mark: { type: "line" },
            transform: [{ loess: fy, on: fx, groupby: [revision], bandwidth: 0.3 }],
          },
        ],
      };
      break;
    case "bar":
      body = {
        height: HEIGHT,
        mark: { type: "bar", tooltip: true },
        encoding: {
          x: { field: fx, type: "nominal", sort: null, title: x },
          y: quantitativeY,
          ...color,
          ...(multi ? { xOffset: { field: revision, sort: labels } } : {}),
        },
      };
      break;
    case "bar_horizontal":
    case "bar_horizontal_sorted":
      body = {
        width: WIDTH,
        mark: { type: "bar", tooltip: true },
        encoding: {
          y: {
            field: fx,
            type: "nominal",
            sort: template === "bar_horizontal" ? null : "-x",
            title: x,
          },
          x: { ...quantitativeY },
          ...color,
          ...(multi ? { yOffset: { field: revision, sort: labels } } : {}),
        },
      };
      break;
    case "confusion":
    case "confusion_normalized":
      body = confusionSpec(template === "confusion_normalized", x, y, revision, labels);
      break;
  }
  return {
    template,
    x,
    y,
    spec: { data: { values }, ...body },
  };
}

function confusionSpec(
  normalized: boolean,
  x: string,
  y: string,
  revision: string,
  labels: readonly string[],
): Record<string, unknown> {
  const value = normalized ? "rate" : "count";
  const matrix = {
    width: 260,
    height: 260,
    encoding: {
      x: { field: escapeField(x), type: "nominal", title: x },
      y: { field: escapeField(y), type: "nominal", title: y },
    },
    layer: [
      {
        mark: { type: "rect", tooltip: true },
        encoding: {
          color: {
            field: value,
            type: "quantitative",
            title: normalized ? "share of row" : "count",
          },
        },
      },
      {
        mark: { type: "text" },
        encoding: {
          text: { field: value, type: "quantitative", ...(normalized ? { format: ".2f" } : {}) },
          // Light text on the darker half of the scale.
          color: {
            condition: { test: `datum.${value} > datum.top / 2`, value: "white" },
            value: "black",
          },
        },
      },
    ],
  };
  const transform = [
    {
      aggregate: [{ op: "count", as: "count" }],
      groupby: [escapeField(x), escapeField(y), revision],
    },
    ...(normalized
      ? [
        {
          joinaggregate: [{ op: "sum", field: "count", as: "total" }],
          groupby: [escapeField(x), revision],
        },
        { calculate: "datum.count / datum.total", as: "rate" },
      ]
      : []),
    { joinaggregate: [{ op: "max", field: value, as: "top" }] },
  ];
  if (labels.length === 1) return { transform, ...matrix };
  return {
    transform,
    facet: { column: { field: revision, type: "nominal", title: null, sort: labels } },
    spec: matrix,
  };
}

function checkTemplate(name: string, display: string): PlotTemplate {
  if ((PLOT_TEMPLATES as readonly string[]).includes(name)) return name as PlotTemplate;
  throw new PivotError(
    `unknown plot template '${name}' for ${display}${didYouMean(name, PLOT_TEMPLATES)}`,
    { hint: `templates: ${PLOT_TEMPLATES.join(", ")}` },
  );
}

function checkColumn(column: string, axis: string, columns: readonly string[], display: string) {
  if (columns.includes(column)) return;
  throw new PivotError(
    `cannot plot ${display}: ${axis} column '${column}' is not in the data${
      didYouMean(column, columns)
    }`,
    {
      hint: columns.length === 0 ? "the data has no rows" : `columns: ${columns.join(", ")}`,
    },
  );
}

/** A field name Vega-Lite reads literally (`.` and `[` would mean nesting). */
function escapeField(name: string): string {
  return name.replace(/[.[\]\\]/g, "\\$&");
}

function uniqueName(base: string, taken: readonly string[]): string {
  let name = base;
  while (taken.includes(name)) name = `${name}_`;
  return name;
}
