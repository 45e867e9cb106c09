/** Every output format a stage may declare. */
export const FORMATS = [
  "csv",
  "tsv",
  "json",
  "jsonl",
  "yaml",
  "txt",
  "bin",
  "dir",
  "png",
  "svg",
] as const;

/** An output format. */
export type Format = typeof FORMATS[number];

/** True when `value` names a format. */
export function isFormat(value: string): value is Format {
  return (FORMATS as readonly string[]).includes(value);
}

/** The file extension (without the dot) a format gets by default; `""` for `dir`. */
export function defaultExtension(format: Format): string {
  return format === "dir" ? "" : format;
}
