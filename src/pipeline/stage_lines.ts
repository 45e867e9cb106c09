/**
 * Where stages are declared, for an error about several stages at once (a
 * dependency cycle): the line of each stage's key under `stages` in its
 * pipeline file. Files are read again only when such an error is reported.
 *
 * @module
 */
import { PipelineFileError } from "../util/errors.ts";
import type { StageDef } from "./types.ts";

/** What {@linkcode stageLines} reads of a stage. */
export type StagePlace = Pick<StageDef, "file" | "baseName">;

/** A parsed syntax node (only the fields read here). */
interface SyntaxNode {
  readonly type: string;
  readonly loc?: { readonly start: { readonly line: number } };
  readonly [field: string]: unknown;
}

/**
 * The line (1-based) of each stage's key under `stages` in its pipeline
 * file, or `undefined` where it cannot be found (a `pipeline.ts` that builds
 * its stages in code, a file changed since it was loaded). Each file is read
 * once.
 */
export async function stageLines(
  stages: readonly StagePlace[],
): Promise<(number | undefined)[]> {
  const byFile = new Map<string, Promise<ReadonlyMap<string, number>>>();
  return await Promise.all(stages.map(async ({ file, baseName }) => {
    let lines = byFile.get(file);
    if (lines === undefined) byFile.set(file, lines = stageKeyLines(file));
    return (await lines).get(baseName);
  }));
}

/** The line of each key of the `stages` map in `file` (none when it does not parse). */
async function stageKeyLines(file: string): Promise<ReadonlyMap<string, number>> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Map();
    throw error;
  }
  try {
    return file.endsWith(".ts") ? await moduleStageLines(text) : await yamlStageLines(text, file);
  } catch (error) {
    // Edited since it was loaded, and broken now: the error names the file alone.
    if (error instanceof PipelineFileError || error instanceof SyntaxError) return new Map();
    throw error;
  }
}

async function yamlStageLines(text: string, file: string): Promise<Map<string, number>> {
  const { parseYamlSource } = await import("./yaml_source.ts");
  const { data, locate } = parseYamlSource(text, file, file);
  const stages = (data as { stages?: unknown } | null)?.stages;
  const names = stages !== null && typeof stages === "object" ? Object.keys(stages) : [];
  return new Map(names.flatMap((name) => {
    const line = locate(["stages", name], true)?.line;
    return line === undefined ? [] : [[name, line] as const];
  }));
}

/**
 * The keys of the object literals a `pipeline.ts` writes as `stages: {…}`
 * (or `const stages = {…}`), with their lines; the first of a name wins.
 */
async function moduleStageLines(text: string): Promise<Map<string, number>> {
  // Loaded on first use, as for code fingerprints: only this error pays for the parser.
  const { parse } = await import("@babel/parser");
  const program = parse(text, { sourceType: "module", plugins: ["typescript"] }).program;
  const lines = new Map<string, number>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== "object" || !("type" in value)) return;
    const node = value as SyntaxNode;
    const stages = node.type === "ObjectProperty" && keyName(node) === "stages"
      ? node.value
      : node.type === "VariableDeclarator" && (node.id as SyntaxNode).name === "stages"
      ? node.init
      : undefined;
    const object = objectLiteral(stages);
    for (const property of (object?.properties ?? []) as SyntaxNode[]) {
      const name = keyName(property);
      const line = property.loc?.start.line;
      if (name !== null && line !== undefined && !lines.has(name)) lines.set(name, line);
    }
    for (const [field, child] of Object.entries(node)) {
      if (field !== "loc") visit(child);
    }
  };
  visit(program);
  return lines;
}

/** `value` as an object literal, through `as`, `satisfies` and parentheses; else `null`. */
function objectLiteral(value: unknown): SyntaxNode | null {
  let node = value as SyntaxNode | null | undefined;
  while (
    node?.type === "TSAsExpression" || node?.type === "TSSatisfiesExpression" ||
    node?.type === "ParenthesizedExpression"
  ) node = node.expression as SyntaxNode;
  return node?.type === "ObjectExpression" ? node : null;
}

/** The name a property's key gives (`a`, `"a"`, `["a"]`), else `null`. */
function keyName(property: SyntaxNode): string | null {
  if (property.type !== "ObjectProperty" && property.type !== "ObjectMethod") return null;
  const key = property.key as SyntaxNode;
  if (key.type === "StringLiteral") return key.value as string;
  return key.type === "Identifier" && property.computed !== true ? key.name as string : null;
}
