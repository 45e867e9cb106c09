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

/**
 * The `Makefile` equivalent of {@linkcode fanInPipeline}: the same commands
 * writing the same files (`data/bench/s<i>.txt`, `data/bench/all.txt`).
 */
export function fanInMakefile(n: number): string {
  const outs = Array.from({ length: n }, (_, i) => `data/bench/s${i}.txt`);
  const lines = [
    "all: data/bench/all.txt",
    "",
    `data/bench/all.txt: ${outs.join(" ")}`,
    "\tcat $^ > $@",
    "",
  ];
  for (let i = 0; i < n; i++) {
    lines.push(`data/bench/s${i}.txt: inputs/${i}.txt`, "\t@mkdir -p data/bench", "\tcp $< $@", "");
  }
  return lines.join("\n");
}
