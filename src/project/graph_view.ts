import type { GraphNode, GraphView } from "../dag/mod.ts";
import { relativePosix } from "../util/paths.ts";
import { type Project, stageOutputs } from "./open_project.ts";

/**
 * The graph of the stages `names` (in DAG order): with `stages`, stages and
 * their producer → consumer edges; otherwise stages and artifacts (files and
 * outputs, shown as `train:model → data/ml/train/model.json`).
 */
export function graphView(
  project: Project,
  names: readonly string[],
  options: { stages: boolean },
): GraphView {
  const { dag, store } = project;
  const selected = new Set(names);
  const nodes: GraphNode[] = [];
  const edges: [string, string][] = [];
  const edgeKeys = new Set<string>();
  const addEdge = (from: string, to: string) => {
    const key = JSON.stringify([from, to]);
    if (edgeKeys.has(key)) return;
    edgeKeys.add(key);
    edges.push([from, to]);
  };
  if (options.stages) {
    for (const name of names) nodes.push({ id: name, label: name, kind: "stage" });
    for (const edge of dag.edges) {
      if (selected.has(edge.producer) && selected.has(edge.consumer)) {
        addEdge(edge.producer, edge.consumer);
      }
    }
    return { nodes, edges };
  }
  const artifactIds = new Set<string>();
  const addArtifact = (id: string, label: string) => {
    if (artifactIds.has(id)) return;
    artifactIds.add(id);
    nodes.push({ id, label, kind: "artifact" });
  };
  for (const name of names) {
    const stage = dag.stages.get(name)!;
    const stageId = `stage:${name}`;
    for (const entry of stage.def.deps) {
      for (const dep of entry.refs) {
        if (dep.kind === "file") {
          const rel = relativePosix(project.root, dep.path);
          addArtifact(`file:${rel}`, rel);
          addEdge(`file:${rel}`, stageId);
          continue;
        }
        const producer = dag.producerOf.get(dep);
        if (producer === undefined) {
          addArtifact(`missing:${dep.text}`, `${dep.text} (not found)`);
          addEdge(`missing:${dep.text}`, stageId);
          continue;
        }
        for (const out of stageOutputs(store, dag.stages.get(producer)!)) {
          if (dep.key !== null && out.key !== dep.key) continue;
          const id = `out:${out.identity}`;
          addArtifact(id, `${out.identity} → ${store.displayPath(out.path, out.isDir)}`);
          addEdge(id, stageId);
        }
      }
    }
    nodes.push({ id: stageId, label: name, kind: "stage" });
    for (const out of stageOutputs(store, stage)) {
      const id = `out:${out.identity}`;
      addArtifact(id, `${out.identity} → ${store.displayPath(out.path, out.isDir)}`);
      addEdge(stageId, id);
    }
  }
  return { nodes, edges };
}
