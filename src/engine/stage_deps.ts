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

/** The options `Deno.inspect` hands an object's custom inspection (those read here). */
interface InspectOptions {
  readonly depth: number;
  readonly currentDepth?: number;
}

/**
 * The `deps` object of a stage function's context: one enumerable property
 * per input name whose value (an array for a list input) is read with
 * `readValueSync` when the property is first read, then kept; an input
 * without a format (a directory, a plain file path) is its path. Spreading
 * or enumerating the object reads every input, and so does printing it
 * (`ctx.log(ctx.deps)` shows the values, as a plain object would). Assigning
 * a property replaces its value. A frozen or sealed object (whose properties
 * can no longer be redefined as plain values) still reads each input once.
 *
 * @throws {UnreadableDep} from a property's first read, when an input cannot be read
 */
export function lazyDeps(
  deps: RunJob["deps"],
  readValueSync: (file: string, format: Format) => unknown,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  /** Makes `name` a plain value from now on, when the object still lets it be redefined. */
  const keep = (name: string, value: unknown) => {
    if (!Object.getOwnPropertyDescriptor(values, name)?.configurable) return;
    Object.defineProperty(values, name, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  };
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
    // The value once read or assigned, for an object frozen or sealed before that.
    let known: { value: unknown } | null = null;
    Object.defineProperty(values, dep.name, {
      get: () => {
        known ??= { value: read() };
        keep(dep.name, known.value);
        return known.value;
      },
      set: (value: unknown) => {
        known = { value };
        keep(dep.name, value);
      },
      enumerable: true,
      configurable: true,
    });
  }
  // Printed (console.log, Deno.inspect) with the values, not as getters, at the depth it is
  // printed at (the options hold the depth printing started from, and this object's).
  Object.defineProperty(values, Symbol.for("Deno.customInspect"), {
    value: (
      inspect: (value: unknown, options: InspectOptions) => string,
      options: InspectOptions,
    ) => inspect({ ...values }, { ...options, depth: options.depth - (options.currentDepth ?? 0) }),
  });
  return values;
}
