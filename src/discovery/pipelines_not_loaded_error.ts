import { PivotError } from "../util/errors.ts";

/** One pipeline file that failed to load. */
export interface PipelineLoadFailure {
  /** The pipeline file, project-relative. */
  readonly file: string;
  /** Why it failed. */
  readonly error: PivotError;
}

/**
 * Pipeline files that failed to load while merging every pipeline of the
 * project (`--all`): one line per file with its own message. A single failure
 * reads as that file's own error, hint included.
 */
export class PipelinesNotLoadedError extends PivotError {
  /** Every file that failed, in discovery order. */
  readonly failures: readonly PipelineLoadFailure[];

  /** Creates the error from at least one failure. */
  constructor(failures: readonly PipelineLoadFailure[]) {
    const lines = failures.map(failureLine);
    const single = failures.length === 1 ? failures[0]!.error : undefined;
    super(
      single !== undefined
        ? lines[0]!
        : `${failures.length} pipeline files failed to load:\n${
          lines.map((line) => `  ${line}`).join("\n")
        }`,
      {
        hint: single?.hint ??
          `every pipeline file under the project root is part of --all: fix ${
            single === undefined ? "them, or move them" : "it, or move it"
          } out of the project`,
      },
    );
    this.name = "PipelinesNotLoadedError";
    this.failures = failures;
  }
}

/** `<file>: <message>`, unless the message already starts with the file. */
function failureLine({ file, error }: PipelineLoadFailure): string {
  return error.message.startsWith(`${file}:`) ? error.message : `${file}: ${error.message}`;
}
