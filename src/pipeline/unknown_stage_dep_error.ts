import { PipelineFileError, type PipelineFileErrorOptions } from "../util/errors.ts";

/** The dependency an {@linkcode UnknownStageDepError} names. */
export interface UnknownStageDep {
  /** As written (`train@small:model`). */
  readonly text: string;
  /** The stage it names (`train@small`). */
  readonly stage: string;
  /** The output key, or `null`. */
  readonly key: string | null;
}

/**
 * A dependency written as an identity of the pipeline's own stage
 * (`train@small:model`) that the pipeline does not have. Discovery, which
 * knows the project's other pipelines, may name one that has it
 * ({@linkcode UnknownStageDepError.elsewhere}).
 */
export class UnknownStageDepError extends PipelineFileError {
  /** The dependency. */
  readonly dep: UnknownStageDep;
  readonly #base: string;
  readonly #options: PipelineFileErrorOptions & { displayFile?: string };

  /**
   * Creates the error: `base` says what is missing, `suggestion` (a did-you-mean
   * among the pipeline's own stages, or empty) follows it.
   */
  constructor(
    file: string,
    base: string,
    suggestion: string,
    dep: UnknownStageDep,
    options: PipelineFileErrorOptions & { displayFile?: string } = {},
  ) {
    super(file, `${base}${suggestion}`, options);
    this.name = "UnknownStageDepError";
    this.dep = dep;
    this.#base = base;
    this.#options = options;
  }

  /**
   * The same error saying that the pipelines `owners` have the stage (and the
   * output), with the dependency to write instead; itself when `owners` is empty.
   */
  elsewhere(owners: readonly string[]): PipelineFileError {
    if (owners.length === 0) return this;
    const written = owners.map((owner) =>
      `'${owner}/${this.dep.stage}${this.dep.key === null ? "" : `:${this.dep.key}`}'`
    );
    const which = owners.length === 1
      ? `pipeline '${owners[0]}' has it`
      : `pipelines ${owners.map((owner) => `'${owner}'`).join(", ")} have it`;
    return new PipelineFileError(
      this.file,
      `${this.#base} (${which}: write ${written.join(" or ")})`,
      this.#options,
    );
  }
}
