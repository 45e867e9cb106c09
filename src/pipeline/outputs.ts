import { isValidKey } from "../identity/mod.ts";
import { defaultExtension, type Format, FORMATS, isFormat } from "../formats/format_names.ts";
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
 * An output as parsed, before `${…}` substitution: a declared `path` is still
 * the text as written (relative to the pipeline file), and `pathAt` says where.
 */
export interface ParsedOutput extends OutputSpec {
  /** Where `path:` is written, for errors about the resolved path. */
  readonly pathAt?: FieldPath;
}

/**
 * Parses a stage's `outs:` value: a format string (one output), one output
 * object, or a map of key → format string or output object.
 */
export function parseOutputs(
  raw: unknown,
  ctx: DefinitionContext,
  path: FieldPath,
): ParsedOutput[] {
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
      ? `outs declare formats: write one (e.g. 'json') and pivot places the output, or give its place: {format: ${
        formatOfPath(value)
      }, path: ${value}}`
      : `formats: ${FORMATS.join(", ")}; for any other file type use {format: bin, ext: ${value}}`;
    ctx.fail(path, `unknown format '${value}'${suggestion}`, { hint });
  }
  return value;
}

/** The format a path's extension suggests (`bin` when none fits), for hints. */
function formatOfPath(text: string): Format {
  if (text.endsWith("/")) return "dir";
  const ext = text.slice(text.lastIndexOf(".") + 1).toLowerCase();
  return !text.includes(".") || ext.includes("/") ? "dir" : isFormat(ext) ? ext : "bin";
}

function parseOutput(
  key: string | null,
  raw: unknown,
  ctx: DefinitionContext,
  path: FieldPath,
): ParsedOutput {
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
  const spec: { -readonly [K in keyof ParsedOutput]: ParsedOutput[K] } = {
    key,
    format,
    kind,
    cache,
    ext,
  };
  if (raw["path"] !== undefined) {
    const value = raw["path"];
    if (typeof value !== "string" || value.trim() === "") {
      ctx.fail([...path, "path"], "expected a file or directory path");
    }
    if (raw["ext"] !== undefined) {
      ctx.fail([...path, "ext"], "an output with 'path' takes its extension from the path", {
        hint: "remove 'ext'",
      });
    }
    spec.path = value;
    spec.pathAt = [...path, "path"];
  }
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
