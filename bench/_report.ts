/**
 * What a benchmark section returns, and how the rows of the summary table
 * are built from series of runs: pivot's median next to the baseline's
 * median, the median of the paired ratios, the target and whether it holds.
 *
 * @module
 */
import { median, ms, pairedRatios, type Sample } from "./_measure.ts";

/** One row of the summary table. */
export interface Row {
  readonly case: string;
  readonly pivot: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  /** `yes`, `no`, or `–` (no target). */
  readonly met: string;
}

/** The raw numbers of one series, for the appendix. */
export interface RawSeries {
  readonly label: string;
  readonly values: readonly number[];
  readonly unit: "ms" | "MB";
}

/** What a section returns: summary rows, its own Markdown (notes, tables) and its raw series. */
export interface SectionResult {
  readonly rows: readonly Row[];
  readonly body: readonly string[];
  readonly raw: readonly RawSeries[];
}

/** A named series of timed runs, filled round by round. */
export class Series {
  readonly label: string;
  readonly samples: Sample[] = [];

  /** A new, empty series called `label` (the appendix names it so). */
  constructor(label: string) {
    this.label = label;
  }

  /** Adds `sample` and returns it. */
  add(sample: Sample): Sample {
    this.samples.push(sample);
    return sample;
  }

  /** Wall times in milliseconds, in run order. */
  get times(): number[] {
    return this.samples.map((s) => s.ms);
  }

  /** The median wall time. */
  get median(): number {
    return median(this.times);
  }

  /** The highest peak memory of all runs in MB, or `null` when not measured. */
  get peakMb(): number | null {
    const peaks = this.samples.flatMap((s) => (s.peakMb === null ? [] : [s.peakMb]));
    return peaks.length === 0 ? null : Math.max(...peaks);
  }

  /** Its raw numbers (and peak memory, when measured) for the appendix. */
  raw(): RawSeries[] {
    const peaks = this.samples.flatMap((s) => (s.peakMb === null ? [] : [s.peakMb]));
    return [
      { label: this.label, values: this.times, unit: "ms" as const },
      ...(peaks.length === 0
        ? []
        : [{ label: `${this.label}, peak memory`, values: peaks, unit: "MB" as const }]),
    ];
  }
}

/** How a time target is stated. */
export type Target =
  /** pivot's median time at most this many milliseconds. */
  | { readonly kind: "at most"; readonly ms: number }
  /** pivot / baseline (median of paired ratios) at most this. */
  | { readonly kind: "ratio at most"; readonly ratio: number }
  /** baseline / pivot (median of paired ratios) at least this. */
  | { readonly kind: "faster by"; readonly ratio: number }
  | { readonly kind: "none" };

/**
 * The row comparing `pivot` with `baseline` (both series filled in the same
 * rounds): medians, the median of the per-round ratios (and, in the ratio
 * cell, the ratio of the medians), the target and whether it holds.
 */
export function compareRow(
  name: string,
  pivot: Series,
  baseline: Series,
  target: Target,
  baselineName: string,
): Row {
  const faster = target.kind === "faster by";
  const ratios = faster
    ? pairedRatios(baseline.times, pivot.times)
    : pairedRatios(pivot.times, baseline.times);
  const paired = ratios.length === 0 ? NaN : median(ratios);
  const ofMedians = faster ? baseline.median / pivot.median : pivot.median / baseline.median;
  const ratio = `${paired.toFixed(2)}×${faster ? " faster" : ""} (of medians ${
    ofMedians.toFixed(2)
  }×; ${ratios.length} ${ratios.length === 1 ? "pair" : "pairs"})`;
  let targetText = "–";
  let met = "–";
  switch (target.kind) {
    case "at most":
      targetText = `≤ ${ms(target.ms)}`;
      met = pivot.median <= target.ms ? "yes" : "no";
      break;
    case "ratio at most":
      targetText = `≤ ${target.ratio}× ${baselineName}`;
      met = paired <= target.ratio ? "yes" : "no";
      break;
    case "faster by":
      targetText = `≥ ${target.ratio}× faster than ${baselineName}`;
      met = paired >= target.ratio ? "yes" : "no";
      break;
    case "none":
      break;
  }
  return {
    case: name,
    pivot: ms(pivot.median),
    baseline: `${baselineName}: ${ms(baseline.median)}`,
    ratio,
    target: targetText,
    met,
  };
}

/** The row checking pivot's peak memory over `series` against `limitMb`, next to a baseline's. */
export function memoryRow(
  name: string,
  pivot: readonly Series[],
  baseline: readonly Series[],
  baselineName: string,
  limitMb = 250,
): Row {
  const peak = (list: readonly Series[]) => {
    const values = list.map((s) => s.peakMb).filter((v): v is number => v !== null);
    return values.length === 0 ? null : Math.max(...values);
  };
  const mine = peak(pivot);
  const theirs = peak(baseline);
  return {
    case: name,
    pivot: mine === null ? "not measured (no /usr/bin/time)" : `${Math.round(mine)} MB`,
    baseline: theirs === null ? "–" : `${baselineName}: ${Math.round(theirs)} MB`,
    ratio: mine === null || theirs === null ? "–" : `${(mine / theirs).toFixed(1)}×`,
    target: `≤ ${limitMb} MB`,
    met: mine === null ? "–" : mine <= limitMb ? "yes" : "no",
  };
}

/** The summary table of `rows`. */
export function summaryTable(rows: readonly Row[]): string[] {
  return [
    "| case | pivot | baseline | ratio | target | met? |",
    "|---|---|---|---|---|---|",
    ...rows.map((r) =>
      `| ${r.case} | ${r.pivot} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.met} |`
    ),
  ];
}

/** The appendix: every series' per-run numbers, folded away. */
export function rawAppendix(sections: readonly { name: string; raw: readonly RawSeries[] }[]) {
  const lines = [
    "## Appendix: every run",
    "",
    "<details><summary>Per-run numbers, in run order (round 1, 2, …)</summary>",
    "",
  ];
  for (const { name, raw } of sections) {
    if (raw.length === 0) continue;
    lines.push(`### ${name}`, "");
    for (const series of raw) {
      const values = series.values.map((v) =>
        series.unit === "ms" ? Math.round(v).toLocaleString("en") : v.toFixed(0)
      );
      lines.push(`- ${series.label} (${series.unit}): ${values.join(", ")}`);
    }
    lines.push("");
  }
  lines.push("</details>", "");
  return lines;
}
