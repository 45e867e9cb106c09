import type { Dag } from "./build_dag.ts";

/**
 * The stages to act on, in DAG order: `targets` and, with `upstream`,
 * everything they depend on. No targets means every stage.
 */
export function selectStages(
  dag: Dag,
  targets: readonly string[],
  options: { upstream: boolean },
): string[] {
  if (targets.length === 0) return [...dag.order];
  const selected = new Set<string>();
  const add = (name: string): void => {
    if (selected.has(name)) return;
    selected.add(name);
    if (options.upstream) { for (const producer of dag.upstream.get(name) ?? []) add(producer); }
  };
  targets.forEach(add);
  return dag.order.filter((name) => selected.has(name));
}
