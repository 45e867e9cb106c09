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
import {
  type CodeFingerprints,
  isLocalSpecifier,
  type Node,
  patternNames,
  TYPE_ONLY_NODE,
} from "./code_fingerprint.ts";

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

/**
 * Globals load-time code may use: values and functions of the language that
 * read nothing outside the program (`Date`, `Math.random`, `Intl`, `Deno`,
 * `process`, `fetch`, timers and the like are not among them).
 */
const PURE_GLOBALS: ReadonlySet<string> = new Set([
  "undefined",
  "NaN",
  "Infinity",
  "Object",
  "Array",
  "String",
  "Number",
  "Boolean",
  "Symbol",
  "BigInt",
  "JSON",
  "Math",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "ReferenceError",
  "AggregateError",
  "RegExp",
  "Promise",
  "parseInt",
  "parseFloat",
  "isNaN",
  "isFinite",
  "encodeURIComponent",
  "decodeURIComponent",
  "encodeURI",
  "decodeURI",
  "URL",
  "URLSearchParams",
  "structuredClone",
  "TextEncoder",
  "TextDecoder",
  "arguments",
]);

/**
 * Names that reach the environment, files, the clock or other code: refused
 * in load-time code even when a local of that name exists somewhere.
 */
const IMPURE_NAMES: ReadonlySet<string> = new Set([
  "Deno",
  "process",
  "globalThis",
  "self",
  "window",
  "global",
  "Date",
  "Temporal",
  "performance",
  "crypto",
  "navigator",
  "location",
  "fetch",
  "Intl",
  "eval",
  "Function",
  "require",
  "Reflect",
  "Proxy",
  "setTimeout",
  "setInterval",
  "queueMicrotask",
  "console",
]);

/** Members of the pure globals that are not pure (or define getters). */
const IMPURE_MEMBERS: ReadonlySet<string> = new Set([
  "random",
  "defineProperty",
  "defineProperties",
  "create",
  "setPrototypeOf",
  "__defineGetter__",
  "__defineSetter__",
]);

/** Methods of arrays, strings, maps and sets that load-time code may call on any value. */
const BUILTIN_METHODS: ReadonlySet<string> = new Set([
  "map",
  "filter",
  "flatMap",
  "flat",
  "reduce",
  "reduceRight",
  "forEach",
  "concat",
  "join",
  "slice",
  "splice",
  "split",
  "entries",
  "keys",
  "values",
  "includes",
  "indexOf",
  "lastIndexOf",
  "find",
  "findIndex",
  "findLast",
  "findLastIndex",
  "some",
  "every",
  "sort",
  "toSorted",
  "reverse",
  "at",
  "push",
  "pop",
  "shift",
  "unshift",
  "fill",
  "repeat",
  "padStart",
  "padEnd",
  "replace",
  "replaceAll",
  "toUpperCase",
  "toLowerCase",
  "trim",
  "trimStart",
  "trimEnd",
  "startsWith",
  "endsWith",
  "charAt",
  "charCodeAt",
  "codePointAt",
  "substring",
  "match",
  "matchAll",
  "test",
  "exec",
  "toString",
  "toFixed",
  "has",
  "get",
  "set",
  "add",
  "delete",
]);

/** Methods the language calls without a call in the code (`${value}`, `await`, spreading). */
const IMPLICIT_METHODS: ReadonlySet<string> = new Set(["toString", "valueOf", "toJSON", "then"]);

/** `node:` modules whose functions read nothing outside the program. */
const PURE_NODE_MODULES: ReadonlySet<string> = new Set([
  "node:path",
  "node:path/posix",
  "node:url",
]);

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

/** Node types with no children the checks look at. */
const LEAVES: ReadonlySet<string> = new Set([
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

/** A test of node types, remembered by type (the checks visit every node of big modules). */
function typeTest(pattern: RegExp): (type: string) => boolean {
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

/** Calls `visit` with each field of `node` that may hold nodes, but types and positions. */
function eachChild(node: Node, visit: (child: unknown, key: string) => void): void {
  for (const key in node) {
    const child = node[key];
    if (child !== null && typeof child === "object" && !SKIPPED_FIELDS.has(key)) visit(child, key);
  }
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

/** A module-level binding, as load-time calls resolve it. */
type TopBinding =
  | { readonly kind: "function"; readonly node: Node }
  | { readonly kind: "import"; readonly source: string }
  | { readonly kind: "other" };

/** Thrown inside the analysis to refuse; caught by {@linkcode factsOf}. */
class Refusal {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/** The facts of a module's syntax tree (see {@linkcode ModuleFacts}). */
export function factsOf(program: Node): ModuleFacts {
  const body = program.body as Node[];
  const imports: ModuleImport[] = [];
  const top = new Map<string, TopBinding>();
  for (const statement of body) collectTopLevel(statement, imports, top);
  const whole = wholeModule(program);
  const calledMethods = new Set<string>();
  let refusal = whole.refusal;
  if (refusal === null) {
    try {
      checkLoadTime(body, { top, declared: whole.declared, calledMethods });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      refusal = error.reason;
    }
  }
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
  const attributesType = (node: Node): string | null => {
    const attributes = (node.attributes ?? node.assertions) as Node[] | undefined;
    const type = attributes?.find((a) => attributeKey(a) === "type");
    return (type?.value as { value?: string } | undefined)?.value ?? null;
  };
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
        const binding: TopBinding = isFunction(init) ? { kind: "function", node: init! } : {
          kind: "other",
        };
        for (const name of patternNames(declarator.id as Node)) top.set(name, binding);
      }
      return;
    default:
      return;
  }
}

function attributeKey(attribute: Node): string | null {
  const key = attribute.key as Node;
  return (key.name ?? key.value ?? null) as string | null;
}

function isFunction(node: Node | null | undefined): boolean {
  return node?.type === "ArrowFunctionExpression" || node?.type === "FunctionExpression";
}

/**
 * What the whole module (load-time code or not) holds: every name it
 * declares anywhere, the names of its methods, and a refusal for what no
 * stamp can see anywhere (a dynamic `import()`, JSX, whose runtime is
 * imported implicitly, `import x = require(…)`).
 */
function wholeModule(program: Node): {
  declared: Set<string>;
  methods: Set<string>;
  refusal: string | null;
} {
  const declared = new Set<string>();
  const methods = new Set<string>();
  let refusal: string | null = null;
  const isFunctionLike = typeTest(/Function|Method/);
  const isNamedScope = typeTest(/^(Class|TSEnum|TSModule)Declaration$|^ClassExpression$/);
  const declare = (pattern: unknown) => {
    if (pattern !== null && typeof pattern === "object") {
      patternNames(pattern as Node).forEach((name) => declared.add(name));
    }
  };
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== "object" || value === null || typeof (value as Node).type !== "string") {
      return;
    }
    const node = value as Node;
    if (LEAVES.has(node.type)) return;
    switch (node.type) {
      case "ImportExpression":
      case "Import":
        refusal ??= "imports a module dynamically (import())";
        break;
      case "JSXElement":
      case "JSXFragment":
        refusal ??= "uses JSX (its runtime is imported implicitly)";
        break;
      case "TSImportEqualsDeclaration":
      case "TSExportAssignment":
        refusal ??= "uses import = require() or export =";
        break;
      case "VariableDeclarator":
        declare(node.id);
        break;
      case "CatchClause":
        declare(node.param);
        break;
      case "ImportSpecifier":
      case "ImportDefaultSpecifier":
      case "ImportNamespaceSpecifier":
        declare(node.local);
        break;
      case "ObjectMethod":
      case "ClassMethod":
      case "ClassPrivateMethod": {
        const name = keyName(node);
        if (name !== null) methods.add(name);
        break;
      }
      case "ObjectProperty":
      case "ClassProperty": {
        const name = keyName(node);
        if (name !== null && isFunction(node.value as Node | null)) methods.add(name);
        break;
      }
    }
    if (isFunctionLike(node.type)) {
      declare(node.id);
      (node.params as Node[] | undefined)?.forEach(declare);
    }
    if (isNamedScope(node.type)) declare(node.id);
    eachChild(node, visit);
  };
  visit(program);
  return { declared, methods, refusal };
}

/** The name of a property or method key, when it is not computed. */
function keyName(node: Node): string | null {
  if (node.computed) return null;
  const key = node.key as Node;
  if (key.type === "Identifier" || key.type === "PrivateName") {
    return (key.name ?? (key.id as Node | undefined)?.name) as string;
  }
  return key.type === "StringLiteral" ? key.value as string : null;
}

/** What the load-time check of one module works with. */
interface LoadTimeScope {
  readonly top: ReadonlyMap<string, TopBinding>;
  readonly declared: ReadonlySet<string>;
  readonly calledMethods: Set<string>;
}

/**
 * Checks the load-time code of a module's top-level `statements`.
 *
 * @throws {Refusal} at the first thing it cannot vouch for
 */
function checkLoadTime(statements: readonly Node[], scope: LoadTimeScope): void {
  const checked = new Set<Node>();
  const isTypeOnly = typeTest(TYPE_ONLY_NODE);
  const isMember = typeTest(/Property|Method/);
  const refuse = (reason: string): never => {
    throw new Refusal(reason);
  };
  /** Checks a function's body (and parameter defaults) as load-time code. */
  const runs = (fn: Node): void => {
    if (checked.has(fn)) return;
    checked.add(fn);
    eachChild(fn, (child, key) => {
      if (key !== "id") visit(child, fn, key);
    });
  };
  /** A value handed to a call, which may call it. */
  const handed = (arg: Node): void => {
    if (isFunction(arg)) return runs(arg);
    if (arg.type === "Identifier") {
      const binding = scope.top.get(arg.name as string);
      if (binding?.kind === "function") return runs(binding.node);
      if (binding?.kind === "import" && !PURE_NODE_MODULES.has(binding.source)) {
        refuse(`hands '${arg.name}', imported from ${binding.source}, to a call while loading`);
      }
    }
    if (arg.type === "MemberExpression" || arg.type === "OptionalMemberExpression") {
      // A method handed over is called like one: `names.map(helpers.stage)`.
      const name = memberName(arg);
      if (name === null) refuse("hands a computed member to a call while loading");
      scope.calledMethods.add(name!);
    }
    visit(arg, null, "");
  };
  const isGlobal = (node: Node, names: ReadonlySet<string>) =>
    node.type === "Identifier" && !scope.declared.has(node.name as string) &&
    names.has(node.name as string);
  const memberName = (member: Node): string | null => {
    const property = member.property as Node;
    if (!member.computed) return property.type === "Identifier" ? property.name as string : null;
    return property.type === "StringLiteral" ? property.value as string : null;
  };
  const call = (node: Node): void => {
    const callee = (node.type === "TaggedTemplateExpression" ? node.tag : node.callee) as Node;
    const target = unwrap(callee);
    if (isFunction(target)) runs(target);
    else if (target.type === "ClassExpression") visit(target, null, "");
    else if (target.type === "Identifier") {
      const name = target.name as string;
      const binding = scope.top.get(name);
      if (binding?.kind === "function") runs(binding.node);
      else if (binding?.kind === "import") {
        if (!PURE_NODE_MODULES.has(binding.source)) {
          refuse(`calls '${name}', imported from ${binding.source}, while loading`);
        }
      } else if (
        !classNames.has(name) && !(binding === undefined && isGlobal(target, PURE_GLOBALS))
      ) {
        refuse(`calls '${name}' while loading`);
      }
      visit(target, null, "");
    } else if (target.type === "MemberExpression" || target.type === "OptionalMemberExpression") {
      const name = memberName(target);
      const object = unwrap(target.object as Node);
      const binding = object.type === "Identifier"
        ? scope.top.get(object.name as string)
        : undefined;
      if (name === null) refuse("calls a computed member while loading");
      if (isGlobal(object, PURE_GLOBALS) && !IMPURE_MEMBERS.has(name!)) {
        // Object.fromEntries, JSON.stringify, …
      } else if (binding?.kind === "import" && PURE_NODE_MODULES.has(binding.source)) {
        // path.join, …
      } else if (BUILTIN_METHODS.has(name!)) {
        scope.calledMethods.add(name!);
      } else {
        refuse(`calls '.${name}()' while loading`);
      }
      visit(target, null, "");
    } else {
      refuse("calls a function it cannot follow while loading");
    }
    const args =
      (node.type === "TaggedTemplateExpression"
        ? (node.quasi as Node).expressions
        : node.arguments) as Node[];
    for (const arg of args) handed(arg.type === "SpreadElement" ? arg.argument as Node : arg);
  };
  const classNames = new Set(
    statements.flatMap((s) => {
      const node = s.type.startsWith("Export") ? (s.declaration as Node | null) ?? s : s;
      return node.type === "ClassDeclaration" ? [(node.id as { name: string }).name] : [];
    }),
  );
  const visit = (value: unknown, parent: Node | null, field: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, parent, field);
      return;
    }
    if (typeof value !== "object" || value === null || typeof (value as Node).type !== "string") {
      return;
    }
    const node = value as Node;
    if (LEAVES.has(node.type) || isTypeOnly(node.type) || node.declare === true) return;
    switch (node.type) {
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        // Runs when called: later, by a stage, unless load-time code calls it (see `call`).
        return;
      case "ObjectMethod":
      case "ClassMethod":
      case "ClassPrivateMethod": {
        if (node.computed) visit(node.key, node, "key");
        const implicit = node.kind === "get" || node.kind === "set" || node.computed ||
          IMPLICIT_METHODS.has(keyName(node) ?? "") || node.type !== "ObjectMethod";
        // Classes run whole: their constructors, static blocks and fields at least.
        if (implicit) runs(node);
        return;
      }
      case "ObjectProperty":
        if (node.computed) visit(node.key, node, "key");
        if (IMPLICIT_METHODS.has(keyName(node) ?? "") && isFunction(node.value as Node)) {
          runs(node.value as Node);
        } else visit(node.value, node, "value");
        return;
      case "Identifier": {
        const name = node.name as string;
        const isProperty = parent !== null && !parent.computed &&
          (((parent.type === "MemberExpression" || parent.type === "OptionalMemberExpression") &&
            field === "property") ||
            (isMember(parent.type) && field === "key"));
        if (isProperty) return;
        if (IMPURE_NAMES.has(name)) refuse(`reads '${name}' while loading`);
        if (!scope.declared.has(name) && !PURE_GLOBALS.has(name)) {
          refuse(`uses the global '${name}' while loading`);
        }
        const binding = scope.top.get(name);
        if (
          binding?.kind === "import" && !PURE_NODE_MODULES.has(binding.source) &&
          !isLocalSpecifier(binding.source)
        ) refuse(`uses '${name}', imported from ${binding.source}, while loading`);
        return;
      }
      case "MemberExpression":
      case "OptionalMemberExpression": {
        const object = unwrap(node.object as Node);
        const name = memberName(node);
        if (isGlobal(object, PURE_GLOBALS) && (name === null || IMPURE_MEMBERS.has(name))) {
          refuse(`uses ${object.name}.${name ?? "[…]"} while loading`);
        }
        break;
      }
      case "AssignmentExpression":
      case "UpdateExpression": {
        let target = (node.left ?? node.argument) as Node;
        while (target.type === "MemberExpression") target = target.object as Node;
        if (target.type === "Identifier" && !scope.declared.has(target.name as string)) {
          refuse(`changes the global '${target.name}' while loading`);
        }
        break;
      }
      case "CallExpression":
      case "OptionalCallExpression":
      case "NewExpression":
      case "TaggedTemplateExpression":
        return call(node);
      case "ImportDeclaration":
      case "ExportAllDeclaration":
      case "MetaProperty":
      case "PrivateName":
        return;
      case "TSEnumMember":
        return visit(node.initializer, node, "initializer");
      case "Decorator":
        return refuse("uses a decorator");
      case "LabeledStatement":
      case "BreakStatement":
      case "ContinueStatement":
        return visit(node.body, node, "body");
      case "ExportNamedDeclaration":
        return visit(node.declaration, node, "declaration");
      case "ClassDeclaration":
      case "ClassExpression": {
        const base = node.superClass as Node | null;
        if (base && !(base.type === "Identifier" && classNames.has(base.name as string))) {
          refuse("extends a class it cannot follow");
        }
        break;
      }
    }
    eachChild(node, (child, key) => visit(child, node, key));
  };
  for (const statement of statements) visit(statement, null, "");
}

/** `node` without parentheses and type assertions around it. */
function unwrap(node: Node): Node {
  let current = node;
  while (
    /^(TSAsExpression|TSSatisfiesExpression|TSNonNullExpression|ParenthesizedExpression|TSTypeAssertion)$/
      .test(current.type)
  ) current = current.expression as Node;
  return current;
}
