import { formatIdentity } from "../identity/mod.ts";
import { type Project, stageOutputs } from "../project/mod.ts";
import { relativePosix } from "../util/paths.ts";

/** One dependency reference as `list` shows it. */
export interface ListedDep {
  /** Dependency name in the stage (`data`). */
  readonly name: string;
  /** `identity` (a stage output), `file`, or `missing` (an identity whose pipeline was not found). */
  readonly kind: "identity" | "file" | "missing";
  /** As written in the pipeline file. */
  readonly text: string;
  /** For identities, the output identity as named in this DAG (`prep/clean`). */
  readonly identity?: string;
  /** Project-relative path(s) (directories end in `/`). */
  readonly paths: readonly string[];
}

/** One output as `list` shows it. */
export interface ListedOutput {
  readonly identity: string;
  readonly path: string;
  readonly format: string;
  readonly kind: string;
  readonly cache: boolean;
}

/** One stage as `list` shows it. */
export interface ListedStage {
  readonly name: string;
  readonly pipeline: string;
  readonly kind: "cmd" | "run";
  /** The command, or `<module>#<export>`. */
  readonly action: string;
  readonly file: string;
  readonly stateDir: string;
  readonly deps: readonly ListedDep[];
  readonly outs: readonly ListedOutput[];
  readonly params: Readonly<Record<string, unknown>>;
  readonly desc: string | null;
}

/** Every stage of the project's DAG, in order, with deps and outputs resolved. */
export function listStages(project: Project): ListedStage[] {
  const { dag, store, root } = project;
  return dag.order.map((name) => {
    const stage = dag.stages.get(name)!;
    const { def } = stage;
    const deps: ListedDep[] = def.deps.flatMap((entry) =>
      entry.refs.map((dep): ListedDep => {
        if (dep.kind === "file") {
          return {
            name: entry.name,
            kind: "file",
            text: dep.text,
            paths: [relativePosix(root, dep.path)],
          };
        }
        const producer = dag.producerOf.get(dep);
        if (producer === undefined) {
          return { name: entry.name, kind: "missing", text: dep.text, paths: [] };
        }
        const outs = stageOutputs(store, dag.stages.get(producer)!)
          .filter((out) => dep.key === null || out.key === dep.key);
        return {
          name: entry.name,
          kind: "identity",
          text: dep.text,
          identity: formatIdentity({ producer, key: dep.key }),
          paths: outs.map((out) => store.displayPath(out.path, out.isDir)),
        };
      })
    );
    const outs = stageOutputs(store, stage).map((out, index): ListedOutput => {
      const spec = def.outs[index]!;
      return {
        identity: out.identity,
        path: store.displayPath(out.path, out.isDir),
        format: spec.format,
        kind: spec.kind,
        cache: spec.cache,
      };
    });
    return {
      name,
      pipeline: def.pipeline,
      kind: def.action.kind,
      action: def.action.kind === "cmd" ? def.action.command : def.action.display,
      file: relativePosix(root, def.file),
      stateDir: relativePosix(root, def.stateDir),
      deps,
      outs,
      params: def.params,
      desc: def.desc,
    };
  });
}
