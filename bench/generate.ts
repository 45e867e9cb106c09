/**
 * Generates benchmark pipelines: `n` independent stages feeding one fan-in stage.
 *
 * @module
 */

/** A `pivot.yaml` with `n` `cmd` stages `s0…s{n-1}`, each reading one input file, and a fan-in `all`. */
export function fanInPipeline(n: number): string {
  const lines = ["pipeline: bench", "stages:"];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  s${i}:`,
      `    cmd: cp \${deps.src} \${outs}`,
      `    deps: {src: inputs/${i}.txt}`,
      "    outs: txt",
    );
  }
  lines.push("  all:", "    cmd: cat ${deps.parts} > ${outs}", "    deps:", "      parts:");
  for (let i = 0; i < n; i++) lines.push(`        - s${i}`);
  lines.push("    outs: txt", "");
  return lines.join("\n");
}
