import { PivotError } from "../util/errors.ts";
import type { IdentityDep, NamedStage } from "../pipeline/types.ts";

/**
 * A dependency cycle: `cycle: a -> b -> a`, and where each stage on it is
 * declared when `locations` are given (`(a: pivot.yaml:3, b: pivot.yaml:7)`).
 */
export class CycleError extends PivotError {
  /** The stages on the cycle in data-flow order (producer first), each once. */
  readonly stages: readonly NamedStage[];

  /** Creates the error; `locations[i]` says where `stages[i]` is declared. */
  constructor(stages: readonly NamedStage[], locations?: readonly string[]) {
    const names = stages.map((stage) => stage.name);
    const where = locations === undefined
      ? ""
      : ` (${names.map((name, i) => `${name}: ${locations[i]}`).join(", ")})`;
    super(`cycle: ${[...names, names[0]].join(" -> ")}${where}`, {
      hint: "a stage cannot depend, directly or not, on its own output",
    });
    this.name = "CycleError";
    this.stages = stages;
  }
}

/** A producer → consumer edge, from one identity dependency. */
export interface DagEdge {
  /** DAG name of the producing stage. */
  readonly producer: string;
  /** DAG name of the consuming stage. */
  readonly consumer: string;
  /** The dependency's name in the consumer (`data`). */
  readonly depName: string;
  /** The dependency itself. */
  readonly dep: IdentityDep;
}

/** The validated stage graph. */
export interface Dag {
  /** Stages by DAG name, in discovery order. */
  readonly stages: ReadonlyMap<string, NamedStage>;
  /** Every stage, producers before consumers (discovery order breaks ties). */
  readonly order: readonly string[];
  /** Every edge, in consumer order. */
  readonly edges: readonly DagEdge[];
  /** Direct producers of each stage. */
  readonly upstream: ReadonlyMap<string, readonly string[]>;
  /** Direct consumers of each stage. */
  readonly downstream: ReadonlyMap<string, readonly string[]>;
  /** The DAG name of the stage each identity dependency resolved to. */
  readonly producerOf: ReadonlyMap<IdentityDep, string>;
}

/**
 * Builds the graph of `stages` from their identity dependencies and orders it.
 * Dependencies on stages not in `stages` are left out (discovery reports them).
 *
 * @throws {CycleError} on a cycle: `cycle: a -> b -> a`
 */
export function buildDag(stages: readonly NamedStage[]): Dag {
  const byName = new Map(stages.map((stage) => [stage.name, stage]));
  const byQualified = new Map(
    stages.map((stage) => [`${stage.def.pipeline}/${stage.def.name}`, stage.name]),
  );
  const edges: DagEdge[] = [];
  const producerOf = new Map<IdentityDep, string>();
  const upstream = new Map<string, string[]>(stages.map((s) => [s.name, []]));
  const downstream = new Map<string, string[]>(stages.map((s) => [s.name, []]));
  for (const stage of stages) {
    // The producers linked so far (a set: a fan-in has a thousand).
    const linked = new Set<string>();
    for (const entry of stage.def.deps) {
      for (const dep of entry.refs) {
        if (dep.kind !== "identity") continue;
        const producer = byQualified.get(`${dep.pipeline}/${dep.stage}`);
        if (producer === undefined) continue;
        edges.push({ producer, consumer: stage.name, depName: entry.name, dep });
        producerOf.set(dep, producer);
        if (linked.has(producer)) continue;
        linked.add(producer);
        upstream.get(stage.name)!.push(producer);
        downstream.get(producer)!.push(stage.name);
      }
    }
  }
  const order = topologicalOrder(stages.map((s) => s.name), upstream, byName);
  return { stages: byName, order, edges, upstream, downstream, producerOf };
}

/** Depth-first order, producers first; a back edge is a cycle. Iterative, so long chains are fine. */
function topologicalOrder(
  names: readonly string[],
  upstream: ReadonlyMap<string, readonly string[]>,
  byName: ReadonlyMap<string, NamedStage>,
): string[] {
  const state = new Map<string, "visiting" | "done">();
  const order: string[] = [];
  for (const root of names) {
    if (state.has(root)) continue;
    const stack: { name: string; next: number }[] = [{ name: root, next: 0 }];
    state.set(root, "visiting");
    while (stack.length > 0) {
      const frame = stack.at(-1)!;
      const producers = upstream.get(frame.name) ?? [];
      if (frame.next < producers.length) {
        const producer = producers[frame.next++]!;
        const seen = state.get(producer);
        if (seen === "visiting") {
          const path = stack.map((f) => f.name);
          // Data-flow order: the producer, then its consumers back down the stack.
          const cycle = [producer, ...path.slice(path.indexOf(producer) + 1).reverse()];
          throw new CycleError(cycle.map((name) => byName.get(name)!));
        }
        if (seen === undefined) {
          state.set(producer, "visiting");
          stack.push({ name: producer, next: 0 });
        }
        continue;
      }
      stack.pop();
      state.set(frame.name, "done");
      order.push(frame.name);
    }
  }
  return order;
}
