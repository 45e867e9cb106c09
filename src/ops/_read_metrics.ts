import { type MetricFormat, parseMetricValues } from "../report/mod.ts";
import type { SelectedOutput } from "./_select_outputs.ts";
import { type ProjectVersion, readVersionOutputs } from "./_versions.ts";

/** A metric output's values in one version. */
export interface MetricValues {
  readonly output: SelectedOutput;
  /** Project-relative path in that version. */
  readonly path: string;
  /** Flattened values, or `null` when the file does not exist there. */
  readonly values: Record<string, unknown> | null;
}

/**
 * Reads and flattens the metric outputs `outputs` as they are in `version`.
 * A metric file missing from the workspace is reported through the version's `warn`.
 *
 * @throws {PivotError} when a file does not parse, or a revision's content cannot be found
 */
export async function readMetrics(
  version: ProjectVersion,
  outputs: readonly SelectedOutput[],
): Promise<MetricValues[]> {
  const contents = await readVersionOutputs(version, outputs);
  return contents.map(({ output, path, content }) => {
    if (content === null) {
      if (version.revision === null) {
        version.warn(
          `${output.identity} (${path}) does not exist yet; run 'pivot repro ${output.stage.name}'`,
        );
      }
      return { output, path, values: null };
    }
    const display = version.revision?.display(path) ?? path;
    const values = parseMetricValues(new TextDecoder().decode(content), {
      format: output.spec.format as MetricFormat,
      display,
    });
    return { output, path, values };
  });
}
