import { Document, isPair, isScalar, Scalar, visit } from "yaml";

/**
 * Deterministic YAML for metadata files: block style, no line folding, and
 * every value of a `hash` key (plus any value of a mapping named in
 * `quotedMaps`) double-quoted, so a hash such as `1234567890123456` never
 * reads back as a number.
 */
export function metadataYaml(data: unknown, quotedMaps: readonly string[] = []): string {
  const doc = new Document(data);
  visit(doc, {
    Pair(_key, pair, ancestors) {
      if (!isPair(pair) || !isScalar(pair.key) || !isScalar(pair.value)) return;
      const parent = ancestors.at(-2);
      const inQuotedMap = isPair(parent) && isScalar(parent.key) &&
        quotedMaps.includes(String(parent.key.value));
      if (pair.key.value === "hash" || inQuotedMap) pair.value.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0, indentSeq: true });
}

/** The first line of a YAML parser error, without a trailing colon. */
export function yamlProblem(error: unknown): string {
  const first = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
  return first.replace(/:\s*$/, "");
}
