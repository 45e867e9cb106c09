/**
 * Hand-built stage records for DAG tests, so graphs need no pipeline files.
 *
 * @module
 */
import type { DepEntry, IdentityDep, NamedStage } from "../../src/pipeline/mod.ts";

/** Options for {@linkcode namedStage}. */
export interface NamedStageOptions {
  /** Home pipeline. @default {"ml"} */
  pipeline?: string;
  /** Own (unprefixed) name. @default the DAG name */
  own?: string;
}

/**
 * A stage called `name` in the DAG whose dependencies are the identity texts
 * in `deps` (`"a"`, `"a:model"`, `"prep/clean"`), each under the dependency
 * name `d<index>`.
 */
export function namedStage(
  name: string,
  deps: readonly string[] = [],
  options: NamedStageOptions = {},
): NamedStage {
  const { pipeline = "ml", own = name } = options;
  const entries: DepEntry[] = deps.map((text, index) => ({
    name: `d${index}`,
    list: false,
    refs: [identityDep(text, pipeline)],
  }));
  return {
    name,
    def: {
      name: own,
      baseName: own,
      variant: null,
      pipeline,
      file: `/p/${pipeline}/pivot.yaml`,
      dir: `/p/${pipeline}`,
      root: `/p/${pipeline}`,
      stateDir: `/p/${pipeline}/.pivot`,
      action: { kind: "cmd", command: "true" },
      deps: entries,
      outs: [{ key: null, format: "txt", kind: "data", cache: true, ext: "txt" }],
      params: {},
      mutex: [],
      desc: null,
      matrix: null,
    },
  };
}

/** Parses `[pipeline/]stage[:key]` into an identity dependency of a stage in `home`. */
export function identityDep(text: string, home: string): IdentityDep {
  const [producer = "", key = null] = text.split(":");
  const slash = producer.indexOf("/");
  return {
    kind: "identity",
    text,
    pipeline: slash === -1 ? home : producer.slice(0, slash),
    stage: slash === -1 ? producer : producer.slice(slash + 1),
    key,
  };
}
