import { type GraphView, renderDot, renderMermaid, renderText, selectStages } from "../dag/mod.ts";
import { graphView, type Project, resolveTarget } from "../project/mod.ts";
import { UsageError } from "../util/errors.ts";

/** Options for {@linkcode dagView}. */
export interface DagViewOptions {
  /** Stages to show with everything upstream; none means all. @default [] */
  targets?: readonly string[];
  /** Show only stages, not artifacts. @default {false} */
  stages?: boolean;
}

/** The graph `pivot dag` renders. */
export async function dagView(project: Project, options: DagViewOptions = {}): Promise<GraphView> {
  const { targets = [], stages = false } = options;
  const names: string[] = [];
  for (const text of targets) {
    const target = await resolveTarget(project, text);
    if (target.kind !== "stage") {
      throw new UsageError(`'${text}' is a tracked file, not a stage: dag shows stages`);
    }
    names.push(...target.stages);
  }
  return graphView(project, selectStages(project.dag, names, { upstream: true }), { stages });
}

/** How `pivot dag` prints the graph. */
export type DagFormat = "text" | "dot" | "mermaid" | "md";

/** `view` as text, Graphviz dot, a Mermaid flowchart, or one in a Markdown code block. */
export function renderDagView(view: GraphView, format: DagFormat): string {
  switch (format) {
    case "dot":
      return renderDot(view);
    case "mermaid":
      return renderMermaid(view);
    case "md":
      return `\`\`\`mermaid\n${renderMermaid(view)}\`\`\`\n`;
    case "text":
      return renderText(view);
  }
}
