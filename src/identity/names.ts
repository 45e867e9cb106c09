/**
 * The grammars of the names pivot uses: pipelines, stages, variants, output
 * keys.
 *
 * @module
 */

/** A pipeline or (base) stage name: a letter, then letters, digits, `_` or `-`. */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** The variant part of a stage name (after `@`). */
export const VARIANT_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** An output key (after `:`). */
export const KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The identity grammar, as shown in error messages. */
export const IDENTITY_GRAMMAR = "[<pipeline>/]<stage>[@<variant>][:<key>]";

/** True when `name` is a valid pipeline or base stage name. */
export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** True when `variant` is a valid variant (the part after `@`). */
export function isValidVariant(variant: string): boolean {
  return VARIANT_PATTERN.test(variant);
}

/** True when `key` is a valid output key. */
export function isValidKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/** True when `name` is a valid unprefixed stage name: `<stage>[@<variant>]`. */
export function isValidStageName(name: string): boolean {
  const at = name.indexOf("@");
  if (at === -1) return isValidName(name);
  return isValidName(name.slice(0, at)) && isValidVariant(name.slice(at + 1));
}

/** The base of a stage name: the part before the first `@`. */
export function baseStageName(name: string): string {
  const at = name.indexOf("@");
  return at === -1 ? name : name.slice(0, at);
}
