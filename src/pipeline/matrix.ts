import { isValidName, isValidVariant } from "../identity/mod.ts";
import type { DefinitionContext, FieldPath } from "./_context.ts";
import { MATRIX_OVERRIDE_KEYS } from "./keys.ts";
import { isPlainObject, type PlainObject } from "./params.ts";

/** A matrix dimension value as written: a scalar. */
export type MatrixScalar = string | number | boolean;

/** One stage produced by expanding a matrix. */
export interface MatrixVariant {
  /** Full stage name (`train@small_1`). */
  readonly name: string;
  /** Base name (`train`). */
  readonly baseName: string;
  /** Variant (`small_1`). */
  readonly variant: string;
  /** Each dimension's value as text, in dimension order. */
  readonly values: Readonly<Record<string, string>>;
  /** Each dimension's value as written (keeps numbers and booleans). */
  readonly typed: Readonly<Record<string, MatrixScalar>>;
  /** The overrides of the chosen values, in dimension order, with where each was written. */
  readonly overrides: readonly { readonly value: PlainObject; readonly path: FieldPath }[];
}

interface DimensionValue {
  readonly text: string;
  readonly typed: MatrixScalar;
  readonly override: PlainObject | null;
  readonly path: FieldPath;
}

const DIMENSION_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLACEHOLDER = /\{([^}]*)\}/g;

function readDimension(
  name: string,
  raw: unknown,
  ctx: DefinitionContext,
  path: FieldPath,
): DimensionValue[] {
  const values: DimensionValue[] = [];
  if (Array.isArray(raw)) {
    raw.forEach((item, index) => {
      if (!["string", "number", "boolean"].includes(typeof item)) {
        ctx.fail([...path, index], "a matrix value must be a string, number or boolean");
      }
      const typed = item as MatrixScalar;
      values.push({ text: String(typed), typed, override: null, path: [...path, index] });
    });
  } else if (isPlainObject(raw)) {
    for (const [text, override] of Object.entries(raw)) {
      if (override !== null && override !== undefined) {
        if (!isPlainObject(override)) {
          ctx.fail(
            [...path, text],
            "expected a map of overrides (deps, outs, params, mutex) or nothing",
          );
        }
        ctx.checkKeys(override, MATRIX_OVERRIDE_KEYS, [...path, text]);
      }
      values.push({
        text,
        typed: text,
        override: isPlainObject(override) ? override : null,
        path: [...path, text],
      });
    }
  } else {
    ctx.fail(
      path,
      `matrix dimension '${name}' must be a list of values or a map of value → overrides`,
    );
  }
  if (values.length === 0) ctx.fail(path, `matrix dimension '${name}' is empty`);
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value.text)) {
      ctx.fail(value.path, `matrix dimension '${name}' lists '${value.text}' twice`);
    }
    seen.add(value.text);
  }
  return values;
}

/**
 * Expands a stage's `matrix:` into its variants: the cartesian product of the
 * dimensions in order, the first varying slowest. A stage key without `@`
 * names variants `<key>@<v1>_<v2>`; a key like `train@{size}-{seed}` is a
 * template that must use every dimension.
 */
export function expandMatrix(
  stageKey: string,
  rawMatrix: unknown,
  ctx: DefinitionContext,
  path: FieldPath,
): MatrixVariant[] {
  if (!isPlainObject(rawMatrix)) ctx.fail(path, "expected a map of dimension → values");
  const dimensions = Object.entries(rawMatrix).map(([name, raw]) => {
    if (!DIMENSION_PATTERN.test(name)) {
      ctx.fail(
        [...path, name],
        `invalid matrix dimension name '${name}': use letters, digits and '_'`,
        {
          key: true,
        },
      );
    }
    return { name, values: readDimension(name, raw, ctx, [...path, name]) };
  });
  if (dimensions.length === 0) ctx.fail(path, "matrix has no dimensions");

  const at = stageKey.indexOf("@");
  const baseName = at === -1 ? stageKey : stageKey.slice(0, at);
  const template = at === -1 ? null : stageKey.slice(at + 1);
  const stagePath = path.slice(0, -1);
  if (!isValidName(baseName)) {
    ctx.fail(
      stagePath,
      `invalid stage name '${baseName}': it must start with a letter and contain only letters, digits, '_' or '-'`,
      { key: true },
    );
  }
  if (template !== null) {
    const used = new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ""));
    const names = dimensions.map((d) => d.name);
    const missing = names.filter((n) => !used.has(n));
    const unknown = [...used].filter((n) => !names.includes(n));
    if (used.size === 0) {
      ctx.fail(stagePath, `stage name '${stageKey}' has '@' but no '{dimension}' placeholders`, {
        key: true,
        hint: `write '${baseName}@{${names.join("}_{")}}' or drop the '@' for automatic names`,
      });
    }
    if (missing.length > 0) {
      ctx.fail(
        stagePath,
        `stage name template '${stageKey}' does not use matrix dimension(s) ${
          missing.map((m) => `'${m}'`).join(", ")
        }`,
        { key: true },
      );
    }
    if (unknown.length > 0) {
      ctx.fail(
        stagePath,
        `stage name template '${stageKey}' uses unknown dimension(s) ${
          unknown.map((m) => `'${m}'`).join(", ")
        }; dimensions: ${names.join(", ")}`,
        { key: true },
      );
    }
  }

  let combos: DimensionValue[][] = [[]];
  for (const dimension of dimensions) {
    combos = combos.flatMap((combo) => dimension.values.map((value) => [...combo, value]));
  }
  const variants: MatrixVariant[] = [];
  const seen = new Set<string>();
  for (const combo of combos) {
    const values: Record<string, string> = {};
    const typed: Record<string, MatrixScalar> = {};
    dimensions.forEach((dimension, index) => {
      const chosen = combo[index]!;
      values[dimension.name] = chosen.text;
      typed[dimension.name] = chosen.typed;
    });
    const variant = template === null
      ? combo.map((value) => value.text).join("_")
      : template.replace(PLACEHOLDER, (_match, name: string) => values[name] ?? "");
    if (!isValidVariant(variant)) {
      ctx.fail(
        stagePath,
        `matrix variant '${variant}' of stage '${baseName}' may contain only letters, digits, '_', '.' or '-'`,
        { key: true },
      );
    }
    const name = `${baseName}@${variant}`;
    if (seen.has(name)) ctx.fail(stagePath, `matrix produces stage '${name}' twice`, { key: true });
    seen.add(name);
    variants.push({
      name,
      baseName,
      variant,
      values,
      typed,
      overrides: combo.flatMap((value) =>
        value.override === null ? [] : [{ value: value.override, path: value.path }]
      ),
    });
  }
  return variants;
}
