import { PivotError } from "../util/errors.ts";
import type { ArtifactIdentity } from "./artifact_identity.ts";
import { IDENTITY_GRAMMAR, isValidKey, isValidName, isValidVariant } from "./names.ts";

/** Why a string is not an identity, or `null` when it is one. */
export function identityProblem(text: string): string | null {
  if (text.length === 0) return "empty";
  const colon = text.indexOf(":");
  const producer = colon === -1 ? text : text.slice(0, colon);
  const key = colon === -1 ? null : text.slice(colon + 1);
  if (key !== null && !isValidKey(key)) {
    return `key '${key}' must start with a letter or '_' and contain only letters, digits, '_' or '-'`;
  }
  const slash = producer.indexOf("/");
  const pipeline = slash === -1 ? null : producer.slice(0, slash);
  const stagePart = slash === -1 ? producer : producer.slice(slash + 1);
  if (pipeline !== null && !isValidName(pipeline)) {
    return `pipeline '${pipeline}' must start with a letter and contain only letters, digits, '_' or '-'`;
  }
  const at = stagePart.indexOf("@");
  const stage = at === -1 ? stagePart : stagePart.slice(0, at);
  const variant = at === -1 ? null : stagePart.slice(at + 1);
  if (!isValidName(stage)) {
    return `stage '${stage}' must start with a letter and contain only letters, digits, '_' or '-'`;
  }
  if (variant !== null && !isValidVariant(variant)) {
    return `variant '${variant}' may contain only letters, digits, '_', '.' or '-'`;
  }
  return null;
}

/** True when `text` follows the identity grammar. */
export function isIdentity(text: string): boolean {
  return identityProblem(text) === null;
}

/**
 * Parses `[<pipeline>/]<stage>[@<variant>][:<key>]` into an identity.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIdentity } from "./parse_identity.ts";
 *
 * assert.deepEqual(parseIdentity("train:model"), { producer: "train", key: "model" });
 * assert.deepEqual(parseIdentity("train"), { producer: "train", key: null });
 * ```
 *
 * @throws {PivotError} when `text` does not follow the grammar; the message shows it
 */
export function parseIdentity(text: string): ArtifactIdentity {
  const problem = identityProblem(text);
  if (problem !== null) {
    throw new PivotError(`invalid identity '${text}': ${problem}`, {
      hint: `an identity is ${IDENTITY_GRAMMAR}, e.g. 'train' or 'train:model'`,
    });
  }
  const colon = text.indexOf(":");
  return colon === -1
    ? { producer: text, key: null }
    : { producer: text.slice(0, colon), key: text.slice(colon + 1) };
}
