import * as path from "node:path";

/** Bytes a partition buffers before writing them out. */
const BUFFER_BYTES = 32 * 1024;

/**
 * Lines spread over `count` partitions: temp files in `dir` (one per
 * partition, written through small buffers), or memory when there is only
 * one partition. Read each back whole with {@linkcode Partitions.read}.
 */
export class Partitions {
  readonly count: number;
  readonly #files: string[] = [];
  readonly #handles: Deno.FsFile[] = [];
  readonly #buffers: Uint8Array[] = [];
  readonly #filled: number[] = [];
  readonly #memory: string[][] = [];
  readonly #encoder = new TextEncoder();

  /** Creates `count` partitions named `<name>-<n>` in `dir` (memory for one). */
  constructor(dir: string, name: string, count: number) {
    this.count = count;
    for (let i = 0; i < count; i++) {
      if (count === 1) {
        this.#memory.push([]);
        continue;
      }
      const file = path.join(dir, `${name}-${i}`);
      this.#files.push(file);
      this.#handles.push(Deno.openSync(file, { write: true, createNew: true }));
      this.#buffers.push(new Uint8Array(BUFFER_BYTES));
      this.#filled.push(0);
    }
  }

  /** Appends `line` (without its line break) to partition `index`. */
  add(index: number, line: string): void {
    if (this.count === 1) {
      this.#memory[0]!.push(line);
      return;
    }
    const text = `${line}\n`;
    const buffer = this.#buffers[index]!;
    // Encoded straight into the partition's buffer: no strings pile up.
    for (;;) {
      const start = this.#filled[index]!;
      const { read, written } = this.#encoder.encodeInto(text, buffer.subarray(start));
      if (read === text.length) {
        this.#filled[index] = start + written;
        return;
      }
      // It did not fit: what was encoded past `start` is overwritten after the flush.
      if (start === 0) {
        this.#write(index, this.#encoder.encode(text));
        return;
      }
      this.#flush(index);
    }
  }

  /** Writes out what is buffered and closes the files. */
  finish(): void {
    this.#handles.forEach((_, index) => this.#flush(index));
    this.close();
  }

  /** Closes the files (they are removed with their directory). */
  close(): void {
    for (const handle of this.#handles.splice(0)) {
      try {
        handle.close();
      } catch (error) {
        if (!(error instanceof Deno.errors.BadResource)) throw error;
      }
    }
  }

  /** The lines of partition `index`, in the order they were added. */
  read(index: number): string[] {
    if (this.count === 1) return this.#memory[0]!.splice(0);
    const text = Deno.readTextFileSync(this.#files[index]!);
    Deno.removeSync(this.#files[index]!);
    const lines = text.split("\n");
    lines.pop();
    return lines;
  }

  #flush(index: number): void {
    this.#write(index, this.#buffers[index]!.subarray(0, this.#filled[index]!));
    this.#filled[index] = 0;
  }

  #write(index: number, data: Uint8Array): void {
    const handle = this.#handles[index]!;
    let written = 0;
    while (written < data.length) written += handle.writeSync(data.subarray(written));
  }
}
