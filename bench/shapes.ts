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

/** Where stage `name`'s output lands in every tool. */
export function outputPath(name: string): string {
  return `data/bench/${name}.txt`;
}

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

/** The one shell command stage `stage` runs in every tool: `cat <inputs> > <output>`. */
export function stageCommand(stage: BenchStage): string {
  return `cat ${stage.glob ?? [...stage.files, ...stage.stages.map(outputPath)].join(" ")} > ${
    outputPath(stage.name)
  }`;
}

/**
 * The shape as a `Makefile` for `make -r`: built-in rules and variables off
 * (also inside, for a `make` run without `-r`), no suffix rules, and one
 * recipe line per target, so Make starts one `sh -c` per stage, as pivot
 * does; `data/bench` is an order-only prerequisite made once.
 */
export function makefile(shape: Shape): string {
  const lines = [
    "MAKEFLAGS += -rR",
    ".SUFFIXES:",
    `.DEFAULT_GOAL := ${outputPath(shape.stages.at(-1)!.name)}`,
    "",
    "data/bench:",
    "\tmkdir -p $@",
    "",
  ];
  for (const stage of shape.stages) {
    const inputs = [...stage.files, ...stage.stages.map(outputPath)];
    lines.push(
      `${outputPath(stage.name)}: ${inputs.join(" ")} | data/bench`,
      `\t${stageCommand(stage)}`,
      "",
    );
  }
  return lines.join("\n");
}

/**
 * The shape's commands in waves: every stage of a wave depends only on
 * stages of earlier waves (a fan-in: the 1,000 stages, then the fan-in).
 * The floors run the waves in order, each two jobs at a time.
 */
export function waves(shape: Shape): string[][] {
  const depth = new Map<string, number>();
  for (const stage of shape.stages) {
    depth.set(stage.name, 1 + Math.max(-1, ...stage.stages.map((s) => depth.get(s)!)));
  }
  const result: string[][] = [];
  for (const stage of shape.stages) {
    (result[depth.get(stage.name)!] ??= []).push(stageCommand(stage));
  }
  return result;
}

/**
 * A shell script running the waves with `xargs -P 2`, one `sh -c` per
 * command, from the files `wave_<i>.txt` (one command a line).
 */
export function xargsScript(waveCount: number): string {
  const lines = ["set -e", "mkdir -p data/bench"];
  for (let i = 0; i < waveCount; i++) {
    lines.push(`xargs -P 2 -d '\\n' -n 1 sh -c < wave_${i}.txt`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * One Deno script doing what the `pipeline.ts` stages do, in order and in one
 * process: read each stage's inputs, write its output.
 */
export function tsFloorScript(shape: Shape): string {
  const lines = [
    'const cat = (paths: string[]) => paths.map((p) => Deno.readTextFileSync(p)).join("");',
    'Deno.mkdirSync("data/bench", { recursive: true });',
  ];
  for (const stage of shape.stages) {
    const inputs = [...stage.files, ...stage.stages.map(outputPath)];
    lines.push(
      `Deno.writeTextFileSync(${JSON.stringify(outputPath(stage.name))}, cat(${
        JSON.stringify(inputs)
      }));`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The lines the last stage's output holds, sorted (globs expand in an order
 * the locale decides), given the text of each input file.
 */
export function expectedLines(shape: Shape, input: (file: string) => string): string[] {
  const text = new Map<string, string>();
  for (const stage of shape.stages) {
    text.set(
      stage.name,
      [...stage.files.map(input), ...stage.stages.map((s) => text.get(s)!)].join(""),
    );
  }
  return sortedLines(text.get(shape.stages.at(-1)!.name)!);
}

/** The lines of `text`, sorted. */
export function sortedLines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "").sort();
}

/** The shape as a `Snakefile`: one wildcard rule whose inputs come from a table. */
export function snakefile(shape: Shape): string {
  const table = shape.stages.map((stage) =>
    `    ${JSON.stringify(stage.name)}: ${
      JSON.stringify([...stage.files, ...stage.stages.map(outputPath)])
    },`
  );
  return [
    "INPUTS = {",
    ...table,
    "}",
    "",
    "rule all:",
    `    input: ${JSON.stringify(outputPath(shape.stages.at(-1)!.name))}`,
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
