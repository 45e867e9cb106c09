/**
 * Renderings of a graph view: plain text, Graphviz dot, Mermaid.
 *
 * @module
 */

/** A node of a rendered graph: a stage, or an artifact (file or output). */
export interface GraphNode {
  /** Unique id (a stage name, or an artifact's identity or path). */
  readonly id: string;
  /** What is shown. */
  readonly label: string;
  /** Stages are boxes; artifacts are notes. */
  readonly kind: "stage" | "artifact";
}

/** A graph ready to render: nodes in order (producers first) and directed edges. */
export interface GraphView {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly (readonly [from: string, to: string])[];
}

/**
 * One line per stage, producers first. In a stage view: `train  ← prepare`;
 * in an artifact view each stage is followed by its inputs (`←`) and outputs (`→`).
 */
export function renderText(view: GraphView): string {
  const labels = new Map(view.nodes.map((node) => [node.id, node]));
  const into = new Map<string, string[]>();
  const outOf = new Map<string, string[]>();
  for (const [from, to] of view.edges) {
    into.set(to, [...(into.get(to) ?? []), from]);
    outOf.set(from, [...(outOf.get(from) ?? []), to]);
  }
  const stages = view.nodes.filter((node) => node.kind === "stage");
  const hasArtifacts = view.nodes.some((node) => node.kind === "artifact");
  if (stages.length === 0) return "(no stages)\n";
  const lines: string[] = [];
  if (!hasArtifacts) {
    const width = Math.max(...stages.map((s) => s.label.length));
    for (const stage of stages) {
      const ups = (into.get(stage.id) ?? []).map((id) => labels.get(id)?.label ?? id);
      lines.push(
        ups.length === 0 ? stage.label : `${stage.label.padEnd(width)}  ← ${ups.join(", ")}`,
      );
    }
  } else {
    for (const stage of stages) {
      lines.push(stage.label);
      for (const id of into.get(stage.id) ?? []) lines.push(`  ← ${labels.get(id)?.label ?? id}`);
      for (const id of outOf.get(stage.id) ?? []) lines.push(`  → ${labels.get(id)?.label ?? id}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function dotQuote(text: string): string {
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** Graphviz `dot` source, left to right. */
export function renderDot(view: GraphView): string {
  const lines = ["digraph pivot {", "  rankdir=LR;", '  node [fontname="Helvetica"];'];
  for (const node of view.nodes) {
    const shape = node.kind === "stage" ? "box, style=rounded" : "note";
    lines.push(`  ${dotQuote(node.id)} [label=${dotQuote(node.label)}, shape=${shape}];`);
  }
  for (const [from, to] of view.edges) lines.push(`  ${dotQuote(from)} -> ${dotQuote(to)};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

function mermaidLabel(text: string): string {
  return `"${text.replaceAll('"', "#quot;")}"`;
}

/** Mermaid `flowchart` source. */
export function renderMermaid(view: GraphView): string {
  const ids = new Map(view.nodes.map((node, index) => [node.id, `n${index}`]));
  const lines = ["flowchart LR"];
  for (const node of view.nodes) {
    const id = ids.get(node.id)!;
    const label = mermaidLabel(node.label);
    lines.push(node.kind === "stage" ? `  ${id}[${label}]` : `  ${id}[/${label}/]`);
  }
  for (const [from, to] of view.edges) lines.push(`  ${ids.get(from)} --> ${ids.get(to)}`);
  return `${lines.join("\n")}\n`;
}
