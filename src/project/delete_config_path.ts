/**
 * Removing a setting from a config file being edited (by `editConfigFile`
 * of `config_file.ts`). Kept out of `mod.ts`: it
 * needs the `yaml` package, which the modules on the way of a run import
 * only when they parse (see `util/yaml_lib.ts`).
 *
 * @module
 */
import { type Document, isMap } from "../util/yaml_lib.ts";

/** Removes the value at `keys` and any map it leaves empty; true when something was removed. */
export function deleteConfigPath(doc: Document, keys: readonly string[]): boolean {
  if (!doc.hasIn(keys)) return false;
  doc.deleteIn(keys);
  for (let depth = keys.length - 1; depth > 0; depth--) {
    const parent = doc.getIn(keys.slice(0, depth));
    if (isMap(parent) && parent.items.length === 0) doc.deleteIn(keys.slice(0, depth));
  }
  return true;
}
