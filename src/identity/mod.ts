/**
 * Artifact identities (`train`, `train:model`, `prep/clean`, `train@small:model`)
 * and the name grammars they are built from.
 *
 * @module
 */
export * from "./artifact_identity.ts";
export * from "./names.ts";
export * from "./parse_identity.ts";
