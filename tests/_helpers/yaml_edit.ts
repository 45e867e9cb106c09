/**
 * Hostile lock and `.pvt` files for tests: YAML parsed, edited, written back.
 * A module of its own, apart from `storage.ts`, so that the test files using
 * those fixtures without it do not load the `yaml` package (~50 ms each).
 *
 * @module
 */
import { parse } from "yaml";

/** Lock or .pvt data as parsed from YAML, for editing into hostile files. */
// deno-lint-ignore no-explicit-any
export type YamlData = Record<string, any>;

/** `text` parsed as YAML, changed by `edit`, written as JSON (which is YAML). */
export function editYaml(text: string, edit: (data: YamlData) => void): string {
  const data = parse(text) as YamlData;
  edit(data);
  return JSON.stringify(data);
}
