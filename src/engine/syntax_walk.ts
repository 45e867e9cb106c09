/**
 * Small helpers for walking a Babel syntax tree: the children of a node
 * that are evaluated, and what a few kinds of node name or wrap.
 *
 * @module
 */
import type { Node } from "./code_fingerprint.ts";

/** Fields of a node that are types or positions, never evaluated. */
const SKIPPED_FIELDS: ReadonlySet<string> = new Set([
  "loc",
  "extra",
  "leadingComments",
  "trailingComments",
  "innerComments",
  "typeAnnotation",
  "returnType",
  "typeParameters",
  "typeArguments",
  "superTypeParameters",
  "implements",
]);

/** Node types with no children a walk looks at. */
export const LEAVES: ReadonlySet<string> = new Set([
  "StringLiteral",
  "NumericLiteral",
  "BooleanLiteral",
  "NullLiteral",
  "BigIntLiteral",
  "RegExpLiteral",
  "TemplateElement",
  "ThisExpression",
  "Super",
]);

/** Wrappers that do not change the value they hold: parentheses and type assertions. */
const WRAPPERS =
  /^(TSAsExpression|TSSatisfiesExpression|TSNonNullExpression|ParenthesizedExpression|TSTypeAssertion)$/;

/** A test of node types, remembered by type (walks visit every node of big modules). */
export function typeTest(pattern: RegExp): (type: string) => boolean {
  const known = new Map<string, boolean>();
  return (type) => {
    let result = known.get(type);
    if (result === undefined) {
      result = pattern.test(type);
      known.set(type, result);
    }
    return result;
  };
}

/** A map from each node type of `rows` to the value of its row (a table of handlers). */
export function byNodeType<T>(rows: readonly (readonly [readonly string[], T])[]): Map<string, T> {
  return new Map(rows.flatMap(([types, value]) => types.map((type) => [type, value] as const)));
}

/** `value` as a syntax node, or `null` when it is not one (a list, a literal value). */
export function asNode(value: unknown): Node | null {
  return typeof value === "object" && value !== null && typeof (value as Node).type === "string"
    ? value as Node
    : null;
}

/** Calls `visit` with each field of `node` that may hold nodes, but types and positions. */
export function eachChild(node: Node, visit: (child: unknown, key: string) => void): void {
  for (const key in node) {
    const child = node[key];
    if (child !== null && typeof child === "object" && !SKIPPED_FIELDS.has(key)) visit(child, key);
  }
}

/** True for a function expression or an arrow function. */
export function isFunction(node: Node | null | undefined): boolean {
  return node?.type === "ArrowFunctionExpression" || node?.type === "FunctionExpression";
}

/** True for a member expression (`a.b`, `a?.b`, `a[b]`). */
export function isMemberExpression(node: Node): boolean {
  return node.type === "MemberExpression" || node.type === "OptionalMemberExpression";
}

/** The name of a property or method key, when it is not computed. */
export function keyName(node: Node): string | null {
  if (node.computed) return null;
  const key = node.key as Node;
  if (key.type === "Identifier" || key.type === "PrivateName") {
    return (key.name ?? (key.id as Node | undefined)?.name) as string;
  }
  return key.type === "StringLiteral" ? key.value as string : null;
}

/** The name of the member a member expression reads, when it is known (`a.b`, `a["b"]`). */
export function memberName(member: Node): string | null {
  const property = member.property as Node;
  if (!member.computed) return property.type === "Identifier" ? property.name as string : null;
  return property.type === "StringLiteral" ? property.value as string : null;
}

/** `node` without parentheses and type assertions around it. */
export function unwrap(node: Node): Node {
  let current = node;
  while (WRAPPERS.test(current.type)) current = current.expression as Node;
  return current;
}
