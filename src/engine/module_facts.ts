/**
 * What loading a module can depend on besides the text of the files it
 * imports: the facts a no-op stamp of a `pipeline.ts` project needs. A
 * module's definition is the same while its files are unless it imports
 * something that is not a local file, imports dynamically, or reads the
 * environment, files or the clock while it loads. This module tells which,
 * conservatively, from the syntax tree: its *load-time code* is its top level
 * without the bodies of the functions it defines (stage code runs later, and
 * is fingerprinted on its own), plus the bodies of the functions that code
 * calls or hands to a call, getters and methods called implicitly
 * (`toString`), and whole classes. Anything it cannot follow refuses.
 *
 * @module
 */
import type { ParseCache } from "../storage/mod.ts";
import { type CodeFingerprints, type Node, patternNames } from "./code_fingerprint.ts";
import { checkLoadTime, type TopBinding } from "./load_time_check.ts";
import {
  asNode,
  byNodeType,
  eachChild,
  isFunction,
  keyName,
  LEAVES,
  typeTest,
} from "./syntax_walk.ts";

/** A static import or re-export that runs when the module loads. */
export interface ModuleImport {
  readonly specifier: string;
  /** The `type` of its import attributes (`json`), if any. */
  readonly type: string | null;
}

/** What loading one module may depend on besides its own text (see the module doc). */
export interface ModuleFacts {
  /** Its static runtime imports and re-exports (not `import type`). */
  readonly imports: readonly ModuleImport[];
  /** Why its load-time code cannot be vouched for, or `null`. */
  readonly refusal: string | null;
  /** Names of the methods and function-valued properties its code defines. */
  readonly methods: readonly string[];
  /** Method names its load-time code calls on values (`names.map(…)`): builtins, unless defined. */
  readonly calledMethods: readonly string[];
}

/** The parse-cache kind of facts (bump when {@linkcode ModuleFacts} or its rules change). */
const FACTS_KIND = "load-facts1";

/**
 * The facts of module `file` (TypeScript or JavaScript), remembered in
 * `cache` by its text, else taken from its syntax tree as `fingerprints`
 * parsed it (once per session).
 *
 * @throws {PivotError} when the module cannot be read or parsed
 */
export async function moduleFacts(
  fingerprints: CodeFingerprints,
  file: string,
  cache: ParseCache | null,
): Promise<ModuleFacts> {
  const kind = `${FACTS_KIND}${file.slice(file.lastIndexOf("."))}`;
  const remembered = cache?.get(kind, await Deno.readTextFile(file));
  if (isFacts(remembered)) return remembered;
  const tree = await fingerprints.syntaxTree(file);
  const facts = tree === null
    ? { imports: [], refusal: "not a code module", methods: [], calledMethods: [] }
    : factsOf(tree.program);
  // Keyed by the text that was parsed (the file may have changed since it was read above).
  if (tree !== null) cache?.put(kind, tree.text, facts);
  return facts;
}

/** `value` as remembered facts, or `null` (a cache is never trusted). */
function isFacts(value: unknown): value is ModuleFacts {
  if (typeof value !== "object" || value === null) return false;
  const facts = value as Partial<ModuleFacts>;
  const strings = (list: unknown) =>
    Array.isArray(list) && list.every((item) => typeof item === "string");
  return Array.isArray(facts.imports) &&
    facts.imports.every((item) =>
      typeof item?.specifier === "string" && (item.type === null || typeof item.type === "string")
    ) &&
    (facts.refusal === null || typeof facts.refusal === "string") && strings(facts.methods) &&
    strings(facts.calledMethods);
}

/** The facts of a module's syntax tree (see {@linkcode ModuleFacts}). */
export function factsOf(program: Node): ModuleFacts {
  const body = program.body as Node[];
  const imports: ModuleImport[] = [];
  const top = new Map<string, TopBinding>();
  for (const statement of body) collectTopLevel(statement, imports, top);
  const whole = scanWholeModule(program);
  const calledMethods = new Set<string>();
  const refusal = whole.refusal ??
    checkLoadTime(body, { top, declared: whole.declared, calledMethods });
  return {
    imports,
    refusal,
    methods: [...whole.methods],
    calledMethods: [...calledMethods],
  };
}

/** Notes the imports, re-exports and module-level bindings of a top-level `statement`. */
function collectTopLevel(
  statement: Node,
  imports: ModuleImport[],
  top: Map<string, TopBinding>,
): void {
  const source = (statement.source as { value: string } | null | undefined)?.value;
  switch (statement.type) {
    case "ImportDeclaration":
      if (statement.importKind === "type") return;
      imports.push({ specifier: source!, type: attributesType(statement) });
      for (const spec of statement.specifiers as Node[]) {
        top.set((spec.local as { name: string }).name, { kind: "import", source: source! });
      }
      return;
    case "ExportAllDeclaration":
    case "ExportNamedDeclaration":
      if (source !== undefined && statement.exportKind !== "type") {
        imports.push({ specifier: source, type: attributesType(statement) });
      }
      if (statement.declaration) collectTopLevel(statement.declaration as Node, imports, top);
      return;
    case "ExportDefaultDeclaration":
      collectTopLevel(statement.declaration as Node, imports, top);
      return;
    case "FunctionDeclaration": {
      const name = (statement.id as { name?: string } | null)?.name;
      if (name !== undefined) top.set(name, { kind: "function", node: statement });
      return;
    }
    case "VariableDeclaration":
      for (const declarator of statement.declarations as Node[]) {
        const init = declarator.init as Node | null;
        const binding: TopBinding = isFunction(init)
          ? { kind: "function", node: init! }
          : { kind: "other" };
        for (const name of patternNames(declarator.id as Node)) top.set(name, binding);
      }
      return;
  }
}

/** The `type` of the import attributes of an import or export `node` (`json`), or `null`. */
function attributesType(node: Node): string | null {
  const attributes = (node.attributes ?? node.assertions) as Node[] | undefined;
  const type = attributes?.find((attribute) => {
    const key = attribute.key as Node;
    return (key.name ?? key.value ?? null) === "type";
  });
  return (type?.value as { value?: string } | undefined)?.value ?? null;
}

/** What {@linkcode scanWholeModule} finds. */
interface WholeModule {
  /** Every name the module declares anywhere. */
  readonly declared: Set<string>;
  /** The names of its methods and function-valued properties. */
  readonly methods: Set<string>;
  /** What no stamp can see anywhere in it, or `null`. */
  refusal: string | null;
}

/** What the scan notes of a node of a type (besides the names functions and classes declare). */
type Rule = (scan: WholeModule, node: Node) => void;

/** The rules of the node types the whole-module scan notes something of. */
const RULES: ReadonlyMap<string, Rule> = byNodeType<Rule>([
  [["ImportExpression", "Import"], refusing("imports a module dynamically (import())")],
  [["JSXElement", "JSXFragment"], refusing("uses JSX (its runtime is imported implicitly)")],
  [
    ["TSImportEqualsDeclaration", "TSExportAssignment"],
    refusing("uses import = require() or export ="),
  ],
  [["VariableDeclarator"], (scan, node) => declare(scan, node.id)],
  [["CatchClause"], (scan, node) => declare(scan, node.param)],
  [
    ["ImportSpecifier", "ImportDefaultSpecifier", "ImportNamespaceSpecifier"],
    (scan, node) => declare(scan, node.local),
  ],
  [["ObjectMethod", "ClassMethod", "ClassPrivateMethod"], (scan, node) => addMethod(scan, node)],
  [["ObjectProperty", "ClassProperty"], (scan, node) => {
    if (isFunction(node.value as Node | null)) addMethod(scan, node);
  }],
]);

/** A rule that refuses for `reason`, unless the scan has refused already. */
function refusing(reason: string): Rule {
  return (scan) => {
    scan.refusal ??= reason;
  };
}

/** Adds the names `pattern` (a binding pattern, if any) declares. */
function declare(scan: WholeModule, pattern: unknown): void {
  const node = asNode(pattern);
  if (node !== null) patternNames(node).forEach((name) => scan.declared.add(name));
}

/** Adds the name of method or property `node`, when it is not computed. */
function addMethod(scan: WholeModule, node: Node): void {
  const name = keyName(node);
  if (name !== null) scan.methods.add(name);
}

/**
 * What the whole module (load-time code or not) holds: every name it
 * declares anywhere, the names of its methods, and a refusal for what no
 * stamp can see anywhere (a dynamic `import()`, JSX, whose runtime is
 * imported implicitly, `import x = require(…)`).
 */
function scanWholeModule(program: Node): WholeModule {
  const scan: WholeModule = { declared: new Set(), methods: new Set(), refusal: null };
  const isFunctionLike = typeTest(/Function|Method/);
  const isNamedScope = typeTest(/^(Class|TSEnum|TSModule)Declaration$|^ClassExpression$/);
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    const node = asNode(value);
    if (node === null || LEAVES.has(node.type)) return;
    RULES.get(node.type)?.(scan, node);
    if (isFunctionLike(node.type)) {
      declare(scan, node.id);
      (node.params as Node[] | undefined)?.forEach((param) => declare(scan, param));
    }
    if (isNamedScope(node.type)) declare(scan, node.id);
    eachChild(node, visit);
  };
  visit(program);
  return scan;
}
