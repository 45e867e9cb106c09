import type { NamedStage, OutputKind, OutputSpec } from "../pipeline/mod.ts";
import { type Project, resolveTarget, stageOutputs } from "../project/mod.ts";
import { UsageError } from "../util/errors.ts";

/** A stage output chosen for a report. */
export interface SelectedOutput {
  /** `train:scores`. */
  readonly identity: string;
  /** The producing stage. */
  readonly stage: NamedStage;
  /** The declaration. */
  readonly spec: OutputSpec;
  /** Absolute workspace path. */
  readonly path: string;
  /** Project-relative path. */
  readonly display: string;
}

/**
 * The outputs of `kind` that `targets` name (a stage: its outputs of that
 * kind; an identity with a key: that output), in DAG order; every output of
 * `kind` when there are no targets.
 *
 * @throws {UsageError} for a target that is not a stage, or names no output of `kind`
 */
export async function selectOutputs(
  project: Project,
  targets: readonly string[],
  kind: Exclude<OutputKind, "data">,
): Promise<SelectedOutput[]> {
  const all = project.dag.order.flatMap((name) => {
    const stage = project.dag.stages.get(name)!;
    return stageOutputs(project.store, stage).map((out, i): SelectedOutput => ({
      identity: out.identity,
      stage,
      spec: stage.def.outs[i]!,
      path: out.path,
      display: project.store.displayPath(out.path, out.isDir),
    }));
  });
  const ofKind = all.filter((out) => out.spec.kind === kind);
  if (targets.length === 0) return ofKind;
  const chosen = new Set<SelectedOutput>();
  for (const text of targets) {
    const target = await resolveTarget(project, text);
    if (target.kind !== "stage") {
      throw new UsageError(`'${text}' is a tracked file, not a ${kind} output`, {
        hint: `name stages or their ${kind} outputs ('pivot list' shows them)`,
      });
    }
    const matches = ofKind.filter((out) =>
      target.stages.includes(out.stage.name) &&
      (target.key === null || out.spec.key === target.key)
    );
    if (matches.length === 0) {
      const named = target.key === null ? `stage '${text}' has no` : `'${text}' is not a`;
      throw new UsageError(`${named} ${kind} output`, {
        hint: ofKind.length === 0
          ? `declare one with 'kind: ${kind}' on an output`
          : `${kind} outputs: ${ofKind.map((out) => out.identity).join(", ")}`,
      });
    }
    matches.forEach((out) => chosen.add(out));
  }
  return ofKind.filter((out) => chosen.has(out));
}
