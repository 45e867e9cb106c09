import type { StageDef } from "../pipeline/types.ts";
import { hashBytes, type LockFingerprint, type ParseCache } from "../storage/mod.ts";
import type { CodeFingerprints } from "./code_fingerprint.ts";

/**
 * The code fingerprint of a stage: for `cmd`, the command as written (after
 * `${var}` and matrix substitution); for `run`, the function and the local
 * code it reaches, taken by `fingerprints` (see
 * {@linkcode CodeFingerprints.runFingerprint}) and remembered in `cache`.
 */
export async function stageFingerprint(
  def: StageDef,
  projectRoot: string,
  fingerprints: CodeFingerprints,
  cache: ParseCache | null = null,
): Promise<LockFingerprint> {
  const manifest = def.action.kind === "cmd"
    ? { cmd: hashBytes(def.action.command) }
    : await fingerprints.runFingerprint(
      def.action.module,
      def.action.exportPath,
      projectRoot,
      cache,
    );
  const sorted = Object.keys(manifest).sort().map((key) => [key, manifest[key]]);
  return { hash: hashBytes(JSON.stringify(sorted)), manifest };
}

/** `helper() in stages/util.ts` for a changed fingerprint key. */
export function describeFingerprintKey(key: string): string {
  const match = /^(fn|class|const|mod|pkg):(.*)$/.exec(key);
  if (match === null) return key === "cmd" ? "the command" : key;
  const [, kind, rest] = match as unknown as [string, string, string];
  if (kind === "pkg") return `package ${rest}`;
  if (kind === "mod") return `module ${rest}`;
  const hash = rest.lastIndexOf("#");
  const [name, file] = [rest.slice(hash + 1), rest.slice(0, hash)];
  if (kind === "class") return `class ${name} in ${file}`;
  if (kind === "const") return `${name} in ${file}`;
  return `${name}() in ${file}`;
}
