/**
 * A `run` stage's `ctx.deps`: each input's value read on first access, not
 * before the function is called, so a function that reads only `ctx.paths`
 * (a fan-in of a thousand inputs, say) reads none of its inputs.
 *
 * @module
 */
import type { Format } from "../formats/mod.ts";
import type { RunJob } from "./stage_job.ts";

/** An input of a `run` stage that could not be read as its format: the stage fails with this message. */
export class UnreadableDep extends Error {
  /** The file that could not be read. */
  readonly file: string;
  /** The format it was read as. */
  readonly format: Format;

  /**
   * `cause` as thrown by the reader: a parse error names the file and the
   * format already (`cannot read <file> as json: …`); another error (the file
   * is gone) is said the same way.
   */
  constructor(file: string, format: Format, cause: unknown) {
    const prefix = `cannot read ${file} as ${format}: `;
    const message = cause instanceof Error ? cause.message : String(cause);
    super(message.startsWith(prefix) ? message : `${prefix}${message}`, { cause });
    this.name = "UnreadableDep";
    this.file = file;
    this.format = format;
  }
}

/**
 * The `deps` object of a stage function's context: one enumerable property
 * per input name whose value (an array for a list input) is read with
 * `readValueSync` when the property is first read, then kept; an input
 * without a format (a directory, a plain file path) is its path. Spreading
 * or enumerating the object reads every input. Assigning a property replaces
 * its value.
 *
 * @throws {UnreadableDep} from a property's first read, when an input cannot be read
 */
export function lazyDeps(
  deps: RunJob["deps"],
  readValueSync: (file: string, format: Format) => unknown,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const keep = (name: string, value: unknown) =>
    Object.defineProperty(values, name, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  for (const dep of deps) {
    const read = () => {
      const items = dep.items.map(({ path, format }) => {
        if (format === null) return path;
        try {
          return readValueSync(path, format);
        } catch (error) {
          throw new UnreadableDep(path, format, error);
        }
      });
      return dep.list ? items : items[0];
    };
    Object.defineProperty(values, dep.name, {
      get: () => {
        const value = read();
        keep(dep.name, value);
        return value;
      },
      set: (value: unknown) => keep(dep.name, value),
      enumerable: true,
      configurable: true,
    });
  }
  return values;
}
