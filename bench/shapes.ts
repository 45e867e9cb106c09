/**
 * Benchmark DAG shapes, each rendered as a `pivot.yaml` of `cmd` stages, a
 * `pipeline.ts` of TypeScript stages, a `Makefile` and a `Snakefile` doing
 * the same work: every stage concatenates its inputs into
 * `data/bench/<stage>.txt`.
 *
 * @module
 */

/** One stage: its name and its inputs (input files, or other stages by name). */
export interface BenchStage {
  readonly name: string;
  readonly files: readonly string[];
  readonly stages: readonly string[];
  /**
   * A shell glob naming the inputs, for stages with thousands of them (one
   * `sh -c` argument may not exceed 128 KiB).
   */
  readonly glob?: string;
}

/** A DAG shape: its stages and the input files it reads. */
export interface Shape {
  readonly name: string;
  readonly stages: readonly BenchStage[];
  /** Input files (`inputs/<i>.txt`) to create. */
  readonly inputs: number;
  /** The input file a "one input changed" run edits. */
  readonly changed: string;
}

/** `n` independent stages, each reading one input, and a stage reading them all. */
export function fanIn(n: number): Shape {
  const stages: BenchStage[] = Array.from({ length: n }, (_, i) => ({
    name: `s${i}`,
    files: [`inputs/${i}.txt`],
    stages: [],
  }));
  stages.push({
    name: "all",
    files: [],
    stages: stages.map((s) => s.name),
    glob: "data/bench/s*.txt",
  });
  return { name: "fan-in", stages, inputs: n, changed: `inputs/${Math.floor(n / 2)}.txt` };
}

/** `n` stages in a line, each reading the previous one's output. */
export function chain(n: number): Shape {
  const stages: BenchStage[] = Array.from({ length: n }, (_, i) => ({
    name: `s${i}`,
    files: i === 0 ? ["inputs/0.txt"] : [],
    stages: i === 0 ? [] : [`s${i - 1}`],
  }));
  return { name: "chain", stages, inputs: 1, changed: "inputs/0.txt" };
}

/** One source, `n` stages reading it, one sink reading them all. */
export function diamond(n: number): Shape {
  const middle: BenchStage[] = Array.from({ length: n }, (_, i) => ({
    name: `m${i}`,
    files: [],
    stages: ["src"],
  }));
  return {
    name: "diamond",
    stages: [
      { name: "src", files: ["inputs/0.txt"], stages: [] },
      ...middle,
      { name: "sink", files: [], stages: middle.map((s) => s.name), glob: "data/bench/m*.txt" },
    ],
    inputs: 1,
    changed: "inputs/0.txt",
  };
}

const out = (stage: string) => `data/bench/${stage}.txt`;

/** The shape as a `pivot.yaml` of `cmd` stages. */
export function pivotYaml(shape: Shape): string {
  const lines = ["pipeline: bench", "stages:"];
  for (const stage of shape.stages) {
    const deps = [...stage.files, ...stage.stages];
    lines.push(
      `  ${stage.name}:`,
      `    cmd: cat ${stage.glob ?? "${deps.in}"} > \${outs}`,
      `    deps: {in: [${deps.join(", ")}]}`,
      "    outs: txt",
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The shape as a `pipeline.ts` of TypeScript stages. */
export function pipelineTs(shape: Shape): string {
  const lines = [
    "const cat = ({ paths }: { paths: { deps: Record<string, string | string[]> } }) =>",
    '  ([] as string[]).concat(paths.deps.in).map((p) => Deno.readTextFileSync(p)).join("");',
    "",
    "export default {",
    '  pipeline: "bench",',
    "  stages: {",
  ];
  for (const stage of shape.stages) {
    const deps = [...stage.files, ...stage.stages].map((d) => JSON.stringify(d));
    lines.push(`    ${stage.name}: { deps: { in: [${deps.join(", ")}] }, outs: "txt", run: cat },`);
  }
  lines.push("  },", "};", "");
  return lines.join("\n");
}

/** The shape as a `Makefile` (the same commands, the same files). */
export function makefile(shape: Shape): string {
  const last = shape.stages.at(-1)!;
  const lines = [`all: ${out(last.name)}`, ""];
  for (const stage of shape.stages) {
    const inputs = [...stage.files, ...stage.stages.map(out)];
    lines.push(
      `${out(stage.name)}: ${inputs.join(" ")}`,
      "\t@mkdir -p data/bench",
      `\tcat ${stage.glob ?? "$^"} > $@`,
      "",
    );
  }
  return lines.join("\n");
}

/** The shape as a `Snakefile`: one wildcard rule whose inputs come from a table. */
export function snakefile(shape: Shape): string {
  const table = shape.stages.map((stage) =>
    `    ${JSON.stringify(stage.name)}: ${
      JSON.stringify([...stage.files, ...stage.stages.map(out)])
    },`
  );
  return [
    "INPUTS = {",
    ...table,
    "}",
    "",
    "rule all:",
    `    input: ${JSON.stringify(out(shape.stages.at(-1)!.name))}`,
    "",
    "GLOBS = {",
    ...shape.stages.filter((stage) => stage.glob !== undefined).map((stage) =>
      `    ${JSON.stringify(stage.name)}: ${JSON.stringify(stage.glob)},`
    ),
    "}",
    "",
    "rule stage:",
    "    input: lambda w: INPUTS[w.name]",
    '    output: "data/bench/{name}.txt"',
    "    params: sources=lambda w, input: GLOBS.get(w.name, ' '.join(input))",
    '    shell: "cat {params.sources} > {output}"',
    "",
  ].join("\n");
}
