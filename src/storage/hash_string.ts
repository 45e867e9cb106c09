import { PivotError } from "../util/errors.ts";

/** A content hash: xxHash64 as 16 lowercase hex characters. */
export const HASH_PATTERN: RegExp = /^[0-9a-f]{16}$/;

/** True when `value` is a well-formed content hash. */
export function isHash(value: unknown): value is string {
  return typeof value === "string" && HASH_PATTERN.test(value);
}

/**
 * Returns `value` when it is a well-formed content hash; call this before a
 * hash read from a file or a listing becomes a path or a key.
 *
 * @throws {PivotError} naming `where` otherwise
 */
export function checkHash(value: unknown, where: string): string {
  if (isHash(value)) return value;
  throw new PivotError(
    `${where}: invalid hash ${JSON.stringify(value)}: expected 16 lowercase hex characters`,
  );
}
