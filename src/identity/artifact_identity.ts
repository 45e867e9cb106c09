/**
 * An artifact's identity: the stage that produces it and, optionally, which of
 * its outputs. `key: null` means the stage's only output, or all of them.
 */
export interface ArtifactIdentity {
  /** The producing stage as written: `[<pipeline>/]<stage>[@<variant>]`. */
  readonly producer: string;
  /** The output key, or `null` for the single output / all outputs. */
  readonly key: string | null;
}

/** The parts of a producer string. */
export interface ProducerParts {
  /** The pipeline prefix, or `null` when the stage is named without one. */
  readonly pipeline: string | null;
  /** The stage name including its variant (`train@small`). */
  readonly stage: string;
}

/** Formats an identity back to its text form: `train`, `train:model`. */
export function formatIdentity(identity: ArtifactIdentity): string {
  return identity.key === null ? identity.producer : `${identity.producer}:${identity.key}`;
}

/** Splits a producer into pipeline prefix and stage name (`prep/clean` → `prep`, `clean`). */
export function splitProducer(producer: string): ProducerParts {
  const slash = producer.indexOf("/");
  if (slash === -1) return { pipeline: null, stage: producer };
  return { pipeline: producer.slice(0, slash), stage: producer.slice(slash + 1) };
}
