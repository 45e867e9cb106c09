import { isValidKey } from "../identity/mod.ts";
import { defaultExtension, type Format, FORMATS, isFormat } from "../formats/mod.ts";
import { didYouMean } from "../util/did_you_mean.ts";
import type { DefinitionContext, FieldPath } from "./_context.ts";
import { OUTPUT_KEYS } from "./keys.ts";
import { isPlainObject } from "./params.ts";
import { KIND_FORMATS, OUTPUT_KINDS, type OutputKind, type OutputSpec } from "./types.ts";

const EXT_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** True when `outs` is written as one output object (`{format: dir}`) rather than a map of keys. */
function isSingleOutputObject(outs: Record<string, unknown>): boolean {
  return typeof outs["format"] === "string";
}

/**
 * Parses a stage's `outs:` value: a format string (one output), one output
 * object, or a map of key → format string or output object.
 */
export function parseOutputs(
  raw: unknown,
  ctx: DefinitionContext,
  path: FieldPath,
): OutputSpec[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw === "string") return [parseOutput(null, raw, ctx, path)];
  if (!isPlainObject(raw)) {
    ctx.fail(path, "expected a format, an output object or a map of output keys");
  }
  if (isSingleOutputObject(raw)) return [parseOutput(null, raw, ctx, path)];
  return Object.entries(raw).map(([key, value]) => {
    if (!isValidKey(key)) {
      ctx.fail(
        [...path, key],
        `invalid output key '${key}': it must start with a letter or '_' and contain only letters, digits, '_' or '-'`,
        { key: true },
      );
    }
    return parseOutput(key, value, ctx, [...path, key]);
  });
}

function parseFormat(value: unknown, ctx: DefinitionContext, path: FieldPath): Format {
  if (typeof value !== "string") ctx.fail(path, "the format must be a string");
  if (!isFormat(value)) {
    const lower = value.toLowerCase();
    const suggestion = isFormat(lower) ? ` (did you mean '${lower}'?)` : didYouMean(value, FORMATS);
    const hint = /[/.]/.test(value)
      ? "outs declare formats, not paths: pivot places each output itself (see 'pivot list'); write e.g. 'json' and use ${outs.<key>} in the command"
      : `formats: ${FORMATS.join(", ")}; for any other file type use {format: bin, ext: ${value}}`;
    ctx.fail(path, `unknown format '${value}'${suggestion}`, { hint });
  }
  return value;
}

function parseOutput(
  key: string | null,
  raw: unknown,
  ctx: DefinitionContext,
  path: FieldPath,
): OutputSpec {
  if (typeof raw === "string") {
    const format = parseFormat(raw, ctx, path);
    return { key, format, kind: "data", cache: true, ext: defaultExtension(format) };
  }
  if (!isPlainObject(raw)) ctx.fail(path, "expected a format string or an output object");
  ctx.checkKeys(raw, OUTPUT_KEYS, path);
  if (raw["format"] === undefined) {
    ctx.fail(path, "an output object needs a 'format'", { hint: `formats: ${FORMATS.join(", ")}` });
  }
  const format = parseFormat(raw["format"], ctx, [...path, "format"]);
  const kind = parseKind(raw["kind"], ctx, [...path, "kind"]);
  if (kind !== "data" && !KIND_FORMATS[kind].includes(format)) {
    ctx.fail(
      [...path, "format"],
      `a ${kind} cannot have format '${format}': use one of ${KIND_FORMATS[kind].join(", ")}`,
    );
  }
  const cache = raw["cache"] ?? kind !== "metric";
  if (typeof cache !== "boolean") ctx.fail([...path, "cache"], "expected true or false");
  let ext = defaultExtension(format);
  if (raw["ext"] !== undefined) {
    const value = raw["ext"];
    if (format === "dir") ctx.fail([...path, "ext"], "a directory output has no extension");
    if (typeof value !== "string") ctx.fail([...path, "ext"], "expected a string");
    ext = value.startsWith(".") ? value.slice(1) : value;
    if (!EXT_PATTERN.test(ext)) {
      ctx.fail(
        [...path, "ext"],
        `invalid extension '${value}': use letters, digits, '_', '-', '.'`,
      );
    }
  }
  const spec: { -readonly [K in keyof OutputSpec]: OutputSpec[K] } = {
    key,
    format,
    kind,
    cache,
    ext,
  };
  for (const field of ["x", "y", "template"] as const) {
    const value = raw[field];
    if (value === undefined) continue;
    if (kind !== "plot") ctx.fail([...path, field], `'${field}' is only allowed on a plot output`);
    if (typeof value !== "string") ctx.fail([...path, field], "expected a string");
    spec[field] = value;
  }
  return spec;
}

function parseKind(value: unknown, ctx: DefinitionContext, path: FieldPath): OutputKind {
  if (value === undefined) return "data";
  if (typeof value !== "string" || !(OUTPUT_KINDS as readonly string[]).includes(value)) {
    const text = String(value);
    ctx.fail(path, `unknown kind '${text}'${didYouMean(text, OUTPUT_KINDS)}`, {
      hint: `kinds: ${OUTPUT_KINDS.join(", ")}`,
    });
  }
  return value as OutputKind;
}
