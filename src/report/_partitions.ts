import * as path from "node:path";

/** Bytes of text a partition buffers before writing them out. */
const FLUSH_CHARS = 32 * 1024;

/**
 * Lines spread over `count` partitions: temp files in `dir` (one per
 * partition, written through small buffers), or memory when there is only
 * one partition. Read each back whole with {@linkcode Partitions.read}.
 */
export class Partitions {
  readonly count: number;
  readonly #files: string[] = [];
  readonly #handles: Deno.FsFile[] = [];
  readonly #buffers: string[] = [];
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
      this.#buffers.push("");
    }
  }

  /** Appends `line` (without its line break) to partition `index`. */
  add(index: number, line: string): void {
    if (this.count === 1) {
      this.#memory[0]!.push(line);
      return;
    }
    const buffered = this.#buffers[index] + line + "\n";
    if (buffered.length < FLUSH_CHARS) {
      this.#buffers[index] = buffered;
      return;
    }
    this.#buffers[index] = "";
    this.#write(index, buffered);
  }

  /** Writes out what is buffered and closes the files. */
  finish(): void {
    this.#handles.forEach((_, index) => {
      if (this.#buffers[index] !== "") this.#write(index, this.#buffers[index]!);
      this.#buffers[index] = "";
    });
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

  #write(index: number, text: string): void {
    const data = this.#encoder.encode(text);
    const handle = this.#handles[index]!;
    let written = 0;
    while (written < data.length) written += handle.writeSync(data.subarray(written));
  }
}
