/** Where a command writes and from where it runs. */
export interface CliIo {
  /** Writes to standard output. */
  readonly stdout: (text: string) => void;
  /** Writes to standard error. */
  readonly stderr: (text: string) => void;
  /** The directory the command runs in. */
  readonly cwd: string;
}

/** What every command receives: the IO and the global flags. */
export interface CliContext extends CliIo {
  /** `-q`: only errors and requested data. */
  readonly quiet: () => boolean;
  /** `-v`: more detail, stack traces on unexpected errors. */
  readonly verbose: () => boolean;
  /** Prints a warning on stderr unless quiet. */
  readonly warn: (message: string) => void;
}

/** The real process's IO. */
export function processIo(): CliIo {
  const encoder = new TextEncoder();
  return {
    stdout: (text) => writeAll(Deno.stdout, encoder.encode(text)),
    stderr: (text) => writeAll(Deno.stderr, encoder.encode(text)),
    cwd: Deno.cwd(),
  };
}

function writeAll(target: { writeSync(data: Uint8Array): number }, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) offset += target.writeSync(data.subarray(offset));
}
