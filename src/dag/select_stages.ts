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
  // A work list, not recursion: a long chain of stages must not overflow the stack.
  const pending = [...targets];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (selected.has(name)) continue;
    selected.add(name);
    if (options.upstream) {
      for (const producer of dag.upstream.get(name) ?? []) pending.push(producer);
    }
  }
  return dag.order.filter((name) => selected.has(name));
}
