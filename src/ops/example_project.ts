import * as path from "node:path";
import { atomicWrite } from "../util/atomic_write.ts";
import { PivotError } from "../util/errors.ts";
import { lstatOrNull } from "../util/fs.ts";

/** The files of the example `pivot init --example` writes, by project-relative path. */
export const EXAMPLE_FILES: Readonly<Record<string, string>> = {
  "pivot.yaml": `# An example pipeline: 'pivot repro' runs it, a second 'pivot repro' does nothing.
pipeline: example
stages:
  clean:
    # A shell stage: \${deps.raw} and \${outs} are filled in (and quoted) when it runs.
    cmd: grep -v '^#' \${deps.raw} > \${outs}
    deps:
      raw: inputs/scores.csv   # a tracked input (inputs/scores.csv.pvt)
    outs: csv                  # -> identity "clean", data/example/clean.csv
  summarize:
    # A TypeScript stage: the function gets its inputs loaded and returns its outputs.
    run: ./stages.ts#summarize
    deps:
      rows: clean              # the output of stage "clean"
    outs:
      summary: json                            # -> summarize:summary
      metrics: {format: json, kind: metric}    # -> summarize:metrics (not cached; commit it to git)
    params:
      threshold: 50
`,
  "stages.ts": `/** One row of the cleaned scores table (csv values are strings). */
interface Row {
  name: string;
  score: string;
}

/** Summarizes the scores: who passed the threshold, and a few metrics. */
export function summarize(
  { deps, params }: { deps: { rows: Row[] }; params: { threshold: number } },
) {
  const scores = deps.rows.map((row) => Number(row.score));
  const passed = deps.rows.filter((row) => Number(row.score) >= params.threshold);
  console.log(\`\${passed.length} of \${deps.rows.length} passed\`);
  return {
    summary: { passed: passed.map((row) => row.name), threshold: params.threshold },
    metrics: {
      count: scores.length,
      mean: scores.reduce((a, b) => a + b, 0) / scores.length,
      pass_rate: passed.length / scores.length,
    },
  };
}
`,
  "inputs/scores.csv": `name,score
# comment lines are dropped by the clean stage
ada,91
brook,47
cyd,68
dee,55
`,
};

/** The tracked input of the example. */
export const EXAMPLE_TRACKED = "inputs/scores.csv";

/**
 * Checks that the example's files can be written into `dir`.
 *
 * @throws {PivotError} when one of them exists already
 */
export async function checkExampleTarget(dir: string): Promise<void> {
  for (const rel of Object.keys(EXAMPLE_FILES)) {
    if ((await lstatOrNull(path.join(dir, rel))) !== null) {
      throw new PivotError(`cannot write the example: ${rel} exists`, {
        hint: "run 'pivot init --example' in an empty directory",
      });
    }
  }
}

/**
 * Writes the example pipeline's files into `dir`.
 *
 * @throws {PivotError} when one of them exists already (nothing is written then)
 */
export async function writeExampleFiles(dir: string): Promise<string[]> {
  await checkExampleTarget(dir);
  for (const [rel, text] of Object.entries(EXAMPLE_FILES)) {
    atomicWrite(path.join(dir, rel), text);
  }
  return Object.keys(EXAMPLE_FILES);
}
