/**
 * The error classes every pivot layer throws. Only `src/cli/` turns them into
 * text and exit codes.
 *
 * @module
 */

/** Options shared by every {@linkcode PivotError}. */
export interface PivotErrorOptions {
  /** What the user can do about it; printed as `hint: …`. */
  hint?: string | undefined;
  /** The error that caused this one. */
  cause?: unknown;
}

/** A failure the user can act on: printed as `error: <message>` and exit status 1. */
export class PivotError extends Error {
  /** What the user can do about it, or `undefined`. */
  readonly hint: string | undefined;

  /** Creates an error with a message and an optional hint. */
  constructor(message: string, options: PivotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PivotError";
    this.hint = options.hint;
  }
}

/** A malformed command line: exit status 2. */
export class UsageError extends PivotError {
  /** Creates a usage error. */
  constructor(message: string, options: PivotErrorOptions = {}) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Where in a pipeline file a problem was found. */
export interface PipelineFileErrorOptions extends PivotErrorOptions {
  /** 1-based line, when the file is YAML and the position is known. */
  line?: number | undefined;
  /** 1-based column, when known. */
  column?: number | undefined;
  /** Dotted path of the offending field (`stages.train.outs.model`). */
  field?: string | undefined;
}

/**
 * A problem in a pipeline file (or a file it reads, such as a vars file).
 * The message starts with `file[:line:col]:` so one line says where to look.
 */
export class PipelineFileError extends PivotError {
  /** Absolute path of the file. */
  readonly file: string;
  /** 1-based line, or `undefined`. */
  readonly line: number | undefined;
  /** 1-based column, or `undefined`. */
  readonly column: number | undefined;
  /** Dotted field path, or `undefined`. */
  readonly field: string | undefined;
  /** The message without the location prefix. */
  readonly detail: string;

  /** Creates an error located in `file`; `displayFile` is what the message shows. */
  constructor(
    file: string,
    detail: string,
    options: PipelineFileErrorOptions & { displayFile?: string } = {},
  ) {
    const where = [options.displayFile ?? file, options.line, options.column]
      .filter((part) => part !== undefined)
      .join(":");
    const prefix = options.field === undefined ? "" : `${options.field}: `;
    super(`${where}: ${prefix}${detail}`, options);
    this.name = "PipelineFileError";
    this.file = file;
    this.line = options.line;
    this.column = options.column;
    this.field = options.field;
    this.detail = detail;
  }
}

/**
 * A failure whose explanation the command has already printed: exit status 1
 * and nothing more on stderr.
 */
export class ReportedFailure extends PivotError {
  /** The exit status (1, or 130 after Ctrl-C). */
  readonly code: number;

  /** Creates the marker; `summary` is kept for callers that catch it. */
  constructor(summary: string, code = 1) {
    super(summary);
    this.name = "ReportedFailure";
    this.code = code;
  }
}

/**
 * The work was stopped on request (a stop signal reached the command): thrown
 * at the next safe point, once what was in flight has finished or been
 * cleaned up. The command line turns it into the signal's exit status. Not a
 * {@linkcode PivotError}, so that no layer takes it for a failure to report
 * and go on after.
 */
export class StoppedError extends Error {
  /** Creates the error. */
  constructor() {
    super("stopped");
    this.name = "StoppedError";
  }
}
