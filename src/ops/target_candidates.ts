/**
 * What tab completion offers for targets: stage names, output identities
 * and tracked paths, found without running any stage code.
 *
 * @module
 */
import * as path from "node:path";
import { openProject, scanProjectFiles, stageOutputs } from "../project/mod.ts";
import { dataPathFor } from "../storage/mod.ts";
import { type EnvReader, processEnv } from "../util/env_reader.ts";

/** Seconds a `pipeline.ts` may take to load for completion: the shell waits for the answer. */
const COMPLETION_LOAD_TIMEOUT = 3;

/** A completion candidate and its description. */
export interface Candidate {
  readonly value: string;
  readonly description: string;
}

/**
 * Stage names and output identities (`train`, `train:model`) of the pipeline
 * in `cwd`, or of every pipeline with `all`, and the project's tracked paths
 * (relative to `cwd`). Never throws: outside a project, or with a broken
 * pipeline (one whose `pipeline.ts` fails, exits or takes more than 3 s to
 * load included), there is nothing to suggest.
 */
export async function targetCandidates(
  cwd: string,
  all: boolean,
  env: EnvReader = processEnv,
): Promise<Candidate[]> {
  try {
    const project = await openProject({
      cwd,
      all,
      pipelinesOptional: true,
      loadTimeout: COMPLETION_LOAD_TIMEOUT,
      env,
    });
    const candidates: Candidate[] = [];
    const bases = new Set<string>();
    for (const name of project.dag.order) {
      const stage = project.dag.stages.get(name)!;
      const at = name.indexOf("@");
      if (at > 0 && !bases.has(name.slice(0, at))) {
        // A matrix stage's base name selects every variant (`train`, `train:model`).
        const base = name.slice(0, at);
        bases.add(base);
        candidates.push({ value: base, description: "every variant of the matrix stage" });
        for (const out of stageOutputs(project.store, stage)) {
          if (out.key !== null) {
            candidates.push({ value: `${base}:${out.key}`, description: "of every variant" });
          }
        }
      }
      candidates.push({
        value: name,
        description: stage.def.desc ?? `${stage.def.action.kind} stage`,
      });
      const outs = stageOutputs(project.store, stage);
      if (outs.length > 1 || outs.some((out) => out.key !== null)) {
        for (const out of outs) {
          candidates.push({
            value: out.identity,
            description: project.store.displayPath(out.path, out.isDir),
          });
        }
      }
    }
    for (const pvt of scanProjectFiles(project.root).pvtFiles) {
      candidates.push({
        value: path.relative(project.cwd, dataPathFor(pvt)),
        description: "tracked",
      });
    }
    return candidates;
  } catch {
    return [];
  }
}
