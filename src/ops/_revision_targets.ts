import * as path from "node:path";
import type { OutputSpec } from "../pipeline/mod.ts";
import {
  closestStage,
  outputCovering,
  type Project,
  type ProjectRevision,
  type RecordedContent,
  recordedOutputsAt,
  resolveTarget,
  stageFileUnderAll,
  stageOutputs,
  type Target,
} from "../project/mod.ts";
import { PVT_SUFFIX } from "../storage/mod.ts";
import { PivotError, UsageError } from "../util/errors.ts";
import { isInside, relativePosix } from "../util/paths.ts";
import { useAllHint } from "../discovery/mod.ts";

/** A target as it is in the workspace and as a revision recorded it. */
export interface RevisionTarget {
  /** `train:model → data/ml/train/model.json`, or a path (`data.csv`). */
  readonly label: string;
  /** `train:model`, or `null` for a tracked or committed path. */
  readonly identity: string | null;
  /** The output's declaration, or `null` for a path. */
  readonly spec: OutputSpec | null;
  /** Its workspace path (absolute). */
  readonly path: string;
  /** Its workspace path, project-relative (`/` at the end for a directory). */
  readonly display: string;
  /** What the revision recorded (`info: null`: nothing; git only). */
  readonly recorded: RecordedContent;
}

/** Options for {@linkcode resolveRevisionTargets}. */
export interface ResolveRevisionTargetsOptions {
  /**
   * A path tracked in the workspace but neither tracked nor committed at the
   * revision resolves (to nothing recorded) instead of failing. @default {false}
   */
  allowAbsent?: boolean;
}

/**
 * Resolves `texts` for reading them at `revision`: an identity names the
 * outputs of a workspace stage (their content at the revision comes from the
 * stage's lock there); a path names a file tracked at the revision (by its
 * `.pvt` there), or one committed there. Duplicates are dropped.
 *
 * @throws {UsageError} for a target that names none of these, or a stage output's path
 */
export async function resolveRevisionTargets(
  project: Project,
  revision: ProjectRevision,
  texts: readonly string[],
  options: ResolveRevisionTargetsOptions = {},
): Promise<RevisionTarget[]> {
  const targets = new Map<string, RevisionTarget>();
  for (const text of texts) {
    for (const target of await resolveOne(project, revision, text, options.allowAbsent ?? false)) {
      if (!targets.has(target.path)) targets.set(target.path, target);
    }
  }
  return [...targets.values()];
}

async function resolveOne(
  project: Project,
  revision: ProjectRevision,
  text: string,
  allowAbsent: boolean,
): Promise<RevisionTarget[]> {
  let target: Target | null = null;
  let refusal: PivotError | null = null;
  try {
    target = await resolveTarget(project, text);
  } catch (error) {
    if (!(error instanceof PivotError)) throw error;
    refusal = error;
  }
  if (target?.kind === "stage") return await stageTargets(project, revision, target);
  const absolute = path.resolve(project.cwd, text).replace(/\/+$/, "");
  const data = absolute.endsWith(PVT_SUFFIX) ? absolute.slice(0, -PVT_SUFFIX.length) : absolute;
  const unknown = () =>
    refusal ?? new UsageError(`unknown target '${text}': not a stage or tracked file`);
  if (!isInside(project.root, data) || data === project.root) throw unknown();
  const rel = revision.relative(data);
  const pvt = `${rel}${PVT_SUFFIX}`;
  if (revision.has(pvt)) {
    const record = (await revision.readPvtFiles([pvt])).get(pvt)!;
    const isDir = "manifest" in record.info;
    return [{
      label: isDir ? `${rel}/` : rel,
      identity: null,
      spec: null,
      path: data,
      display: isDir ? `${rel}/` : rel,
      recorded: { label: rel, path: rel, info: record.info },
    }];
  }
  if (outputCovering(project.outputsByPath, data) !== undefined) throw unknown();
  if (revision.has(rel) || (allowAbsent && target?.kind === "tracked")) {
    return [{
      label: rel,
      identity: null,
      spec: null,
      path: data,
      display: rel,
      recorded: { label: rel, path: rel, info: null },
    }];
  }
  const suggestion = target?.kind === "tracked" ? undefined : closestStage(project, text);
  const unloaded = target?.kind === "tracked" ? null : await stageFileUnderAll(project, text);
  throw new UsageError(
    `unknown target '${text}' at ${revision.rev}: ${
      target?.kind === "tracked"
        ? `${rel} was neither tracked (no ${pvt} there) nor committed then`
        : `not a stage${
          unloaded === null ? "" : " of the pipelines loaded here"
        }, and no file of that path is tracked or committed there`
    }${suggestion === undefined ? "" : ` (did you mean '${suggestion}'?)`}`,
    {
      hint: unloaded !== null
        ? `'${text}' names a stage of ${relativePosix(project.root, unloaded)}: ${
          useAllHint([relativePosix(project.cwd, unloaded)])
        }`
        : `targets are stage outputs (identities such as 'train:model') or paths; 'git ls-tree -r --name-only ${revision.rev}' lists the committed files`,
    },
  );
}

async function stageTargets(
  project: Project,
  revision: ProjectRevision,
  target: Extract<Target, { kind: "stage" }>,
): Promise<RevisionTarget[]> {
  const outputs = target.stages.flatMap((name) => {
    const stage = project.dag.stages.get(name)!;
    return stageOutputs(project.store, stage)
      .filter((out) => target.key === null || out.key === target.key)
      .map((out) => ({
        out,
        stage,
        spec: stage.def.outs.find((spec) => spec.key === out.key)!,
      }));
  });
  const recorded = await recordedOutputsAt(
    revision,
    outputs.map(({ out, stage }) => ({
      identity: out.identity,
      stage: stage.def,
      key: out.key,
      path: out.path,
    })),
  );
  return outputs.map(({ out, spec }, i) => {
    const display = project.store.displayPath(out.path, out.isDir);
    return {
      label: `${out.identity} → ${display}`,
      identity: out.identity,
      spec,
      path: out.path,
      display,
      recorded: recorded[i]!,
    };
  });
}
