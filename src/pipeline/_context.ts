import { PipelineFileError, type PipelineFileErrorOptions } from "../util/errors.ts";
import { didYouMean } from "../util/did_you_mean.ts";

/** A path into a pipeline definition: `["stages", "train", "outs", "model"]`. */
export type FieldPath = readonly (string | number)[];

/** A line and column (1-based) in a source file. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** Finds where a field (or, with `key`, its key) is written; `undefined` when unknown. */
export type Locator = (path: FieldPath, key: boolean) => SourcePosition | undefined;

/** Formats a field path as `stages.train.deps.models[1]`. */
export function formatFieldPath(path: FieldPath): string {
  let text = "";
  for (const part of path) {
    text += typeof part === "number" ? `[${part}]` : text === "" ? part : `.${part}`;
  }
  return text;
}

/** Where a definition came from, and how to point at its parts in errors. */
export class DefinitionContext {
  /** Absolute path of the pipeline file. */
  readonly file: string;
  /** The file as shown in messages (project-relative). */
  readonly displayFile: string;
  readonly #locate: Locator | undefined;

  /** Creates a context for `file`; `locate` maps field paths to positions (YAML only). */
  constructor(file: string, displayFile: string, locate?: Locator) {
    this.file = file;
    this.displayFile = displayFile;
    this.#locate = locate;
  }

  /** Builds (does not throw) an error about the field at `path`. */
  error(path: FieldPath, detail: string, options: { key?: boolean; hint?: string } = {}) {
    return new PipelineFileError(this.file, detail, this.errorOptions(path, options));
  }

  /** Where the field at `path` (or, with `key`, its key) is, as a {@linkcode PipelineFileError} takes it. */
  errorOptions(
    path: FieldPath,
    options: { key?: boolean; hint?: string } = {},
  ): PipelineFileErrorOptions & { displayFile: string } {
    const position = this.#locate?.(path, options.key ?? false);
    return {
      displayFile: this.displayFile,
      line: position?.line,
      column: position?.column,
      field: path.length === 0 ? undefined : formatFieldPath(path),
      hint: options.hint,
    };
  }

  /** Throws an error about the field at `path`. */
  fail(path: FieldPath, detail: string, options: { key?: boolean; hint?: string } = {}): never {
    throw this.error(path, detail, options);
  }

  /** Throws when `value` has a key outside `allowed`, suggesting the closest valid key. */
  checkKeys(value: Record<string, unknown>, allowed: readonly string[], path: FieldPath): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.fail([...path, key], `unknown key '${key}'${didYouMean(key, allowed)}`, {
          key: true,
          hint: `allowed keys here: ${allowed.join(", ")}`,
        });
      }
    }
  }
}
