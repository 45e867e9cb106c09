/**
 * The check of a module's *load-time code* (see `module_facts.ts`): its top
 * level without the bodies of the functions it defines, plus the bodies of
 * the functions that code calls or hands to a call, getters and methods
 * called implicitly, and whole classes. It refuses, with a reason, at the
 * first thing that may read the environment, files or the clock, or that it
 * cannot follow.
 *
 * @module
 */
import { isLocalSpecifier, type Node, TYPE_ONLY_NODE } from "./code_fingerprint.ts";
import {
  asNode,
  byNodeType,
  eachChild,
  isFunction,
  isMemberExpression,
  keyName,
  LEAVES,
  memberName,
  typeTest,
  unwrap,
} from "./syntax_walk.ts";

/** A module-level binding, as load-time calls resolve it. */
export type TopBinding =
  | { readonly kind: "function"; readonly node: Node }
  | { readonly kind: "import"; readonly source: string }
  | { readonly kind: "other" };

/** What the load-time check of one module works with. */
export interface LoadTimeScope {
  /** The module-level bindings, by name. */
  readonly top: ReadonlyMap<string, TopBinding>;
  /** Every name the module declares anywhere. */
  readonly declared: ReadonlySet<string>;
  /** Gets the method names load-time code calls on values (`names.map(…)`). */
  readonly calledMethods: Set<string>;
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

/**
 * The load-time check of a module's top-level `statements`: why that code
 * cannot be vouched for (the first thing found), or `null`. Adds the method
 * names it calls on values to `scope.calledMethods`.
 */
export function checkLoadTime(statements: readonly Node[], scope: LoadTimeScope): string | null {
  try {
    const check = new LoadTimeCheck(statements, scope);
    for (const statement of statements) check.visit(statement, null, "");
    return null;
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return error.reason;
  }
}

/** Thrown inside the check to refuse; caught by {@linkcode checkLoadTime}. */
class Refusal {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

/** Refuses: throws a {@linkcode Refusal} of `reason`. */
function refuse(reason: string): never {
  throw new Refusal(reason);
}

/**
 * What {@linkcode LoadTimeCheck.visit} does with a node of a type: checks
 * it, and tells whether its children are still to be visited.
 */
type Handler = (check: LoadTimeCheck, node: Node, parent: Node | null, field: string) => boolean;

/** Node types with no load-time code of their own (or that the whole-module scan covers). */
const SILENT: Handler = () => false;

/** The handlers of the node types the check looks at; the children of others are visited. */
const HANDLERS: ReadonlyMap<string, Handler> = byNodeType<Handler>([
  // Runs when called: later, by a stage, unless load-time code calls it (see `call`).
  [["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"], SILENT],
  [["ObjectMethod", "ClassMethod", "ClassPrivateMethod"], (check, node) => check.method(node)],
  [["ObjectProperty"], (check, node) => check.property(node)],
  [["Identifier"], (check, node, parent, field) => check.identifier(node, parent, field)],
  [["MemberExpression", "OptionalMemberExpression"], (check, node) => check.member(node)],
  [["AssignmentExpression", "UpdateExpression"], (check, node) => check.assignment(node)],
  [
    ["CallExpression", "OptionalCallExpression", "NewExpression", "TaggedTemplateExpression"],
    (check, node) => check.call(node),
  ],
  [["ImportDeclaration", "ExportAllDeclaration", "MetaProperty", "PrivateName"], SILENT],
  [["TSEnumMember"], (check, node) => check.visitField(node, "initializer")],
  [["Decorator"], () => refuse("uses a decorator")],
  [["LabeledStatement", "BreakStatement", "ContinueStatement"], (c, n) => c.visitField(n, "body")],
  [["ExportNamedDeclaration"], (check, node) => check.visitField(node, "declaration")],
  [["ClassDeclaration", "ClassExpression"], (check, node) => check.classHeader(node)],
]);

/** The names of the classes a module declares at its top level (exported or not). */
function topLevelClassNames(statements: readonly Node[]): Set<string> {
  return new Set(
    statements.flatMap((s) => {
      const node = s.type.startsWith("Export") ? (s.declaration as Node | null) ?? s : s;
      return node.type === "ClassDeclaration" ? [(node.id as { name: string }).name] : [];
    }),
  );
}

/**
 * One load-time check of one module: visits its load-time code, and the
 * functions that code runs, once each.
 */
class LoadTimeCheck {
  readonly #scope: LoadTimeScope;
  readonly #classNames: ReadonlySet<string>;
  readonly #checked = new Set<Node>();
  readonly #isTypeOnly = typeTest(TYPE_ONLY_NODE);
  readonly #isMember = typeTest(/Property|Method/);

  constructor(statements: readonly Node[], scope: LoadTimeScope) {
    this.#scope = scope;
    this.#classNames = topLevelClassNames(statements);
  }

  /** Checks `value` (a node, a list of them, or neither), field `field` of `parent`. */
  visit(value: unknown, parent: Node | null, field: string): void {
    if (Array.isArray(value)) {
      for (const item of value) this.visit(item, parent, field);
      return;
    }
    const node = asNode(value);
    if (node === null) return;
    if (LEAVES.has(node.type) || this.#isTypeOnly(node.type) || node.declare === true) return;
    const handler = HANDLERS.get(node.type);
    if (handler !== undefined && !handler(this, node, parent, field)) return;
    eachChild(node, (child, key) => this.visit(child, node, key));
  }

  /** Checks field `field` of `node` only. */
  visitField(node: Node, field: string): false {
    this.visit(node[field], node, field);
    return false;
  }

  /** A method: checked when the language may call it implicitly, or as part of a class. */
  method(node: Node): false {
    if (node.computed) this.visit(node.key, node, "key");
    const implicit = node.kind === "get" || node.kind === "set" || node.computed ||
      IMPLICIT_METHODS.has(keyName(node) ?? "") || node.type !== "ObjectMethod";
    // Classes run whole: their constructors, static blocks and fields at least.
    if (implicit) this.#runs(node);
    return false;
  }

  /** An object property: its value, a function when the language may call it implicitly. */
  property(node: Node): false {
    if (node.computed) this.visit(node.key, node, "key");
    if (IMPLICIT_METHODS.has(keyName(node) ?? "") && isFunction(node.value as Node)) {
      this.#runs(node.value as Node);
    } else this.visit(node.value, node, "value");
    return false;
  }

  /** A name read: a global or import that may read outside the program refuses. */
  identifier(node: Node, parent: Node | null, field: string): false {
    if (this.#isPropertyName(parent, field)) return false;
    const name = node.name as string;
    if (IMPURE_NAMES.has(name)) refuse(`reads '${name}' while loading`);
    if (!this.#scope.declared.has(name) && !PURE_GLOBALS.has(name)) {
      refuse(`uses the global '${name}' while loading`);
    }
    const binding = this.#scope.top.get(name);
    if (
      binding?.kind === "import" && !PURE_NODE_MODULES.has(binding.source) &&
      !isLocalSpecifier(binding.source)
    ) refuse(`uses '${name}', imported from ${binding.source}, while loading`);
    return false;
  }

  /** True when an identifier in field `field` of `parent` names a property, not a value. */
  #isPropertyName(parent: Node | null, field: string): boolean {
    return parent !== null && !parent.computed &&
      ((isMemberExpression(parent) && field === "property") ||
        (this.#isMember(parent.type) && field === "key"));
  }

  /** A member read: an impure (or computed) member of a pure global refuses. */
  member(node: Node): true {
    const object = unwrap(node.object as Node);
    const name = memberName(node);
    if (this.#isGlobal(object, PURE_GLOBALS) && (name === null || IMPURE_MEMBERS.has(name))) {
      refuse(`uses ${object.name}.${name ?? "[…]"} while loading`);
    }
    return true;
  }

  /** An assignment or update: changing a global refuses. */
  assignment(node: Node): true {
    let target = (node.left ?? node.argument) as Node;
    while (target.type === "MemberExpression") target = target.object as Node;
    if (target.type === "Identifier" && !this.#scope.declared.has(target.name as string)) {
      refuse(`changes the global '${target.name}' while loading`);
    }
    return true;
  }

  /** A class: one that extends anything but a class of the module refuses. */
  classHeader(node: Node): true {
    const base = node.superClass as Node | null;
    if (base && !(base.type === "Identifier" && this.#classNames.has(base.name as string))) {
      refuse("extends a class it cannot follow");
    }
    return true;
  }

  /** A call (`f()`, `new C()`, a tagged template): what it calls, and what it hands over. */
  call(node: Node): false {
    const tagged = node.type === "TaggedTemplateExpression";
    const target = unwrap((tagged ? node.tag : node.callee) as Node);
    if (isFunction(target)) this.#runs(target);
    else if (target.type === "ClassExpression") this.visit(target, null, "");
    else if (target.type === "Identifier") this.#callName(target);
    else if (isMemberExpression(target)) this.#callMember(target);
    else refuse("calls a function it cannot follow while loading");
    const args = (tagged ? (node.quasi as Node).expressions : node.arguments) as Node[];
    for (const arg of args) this.#handed(arg.type === "SpreadElement" ? arg.argument as Node : arg);
    return false;
  }

  /** A call of a name: a function of the module, a class of it, a pure global or `node:` import. */
  #callName(target: Node): void {
    const name = target.name as string;
    const binding = this.#scope.top.get(name);
    if (binding?.kind === "function") this.#runs(binding.node);
    else if (binding?.kind === "import") {
      if (!PURE_NODE_MODULES.has(binding.source)) {
        refuse(`calls '${name}', imported from ${binding.source}, while loading`);
      }
    } else if (
      !this.#classNames.has(name) &&
      !(binding === undefined && this.#isGlobal(target, PURE_GLOBALS))
    ) {
      refuse(`calls '${name}' while loading`);
    }
    this.visit(target, null, "");
  }

  /** A call of a method: of a pure global, of a pure `node:` module, or a builtin method. */
  #callMember(target: Node): void {
    const name = memberName(target);
    if (name === null) refuse("calls a computed member while loading");
    if (!this.#isPureMember(unwrap(target.object as Node), name!)) {
      if (!BUILTIN_METHODS.has(name!)) refuse(`calls '.${name}()' while loading`);
      this.#scope.calledMethods.add(name!);
    }
    this.visit(target, null, "");
  }

  /** True for a pure member of a pure global (`JSON.stringify`) or of a pure `node:` module. */
  #isPureMember(object: Node, name: string): boolean {
    if (this.#isGlobal(object, PURE_GLOBALS) && !IMPURE_MEMBERS.has(name)) return true;
    const binding = object.type === "Identifier"
      ? this.#scope.top.get(object.name as string)
      : undefined;
    return binding?.kind === "import" && PURE_NODE_MODULES.has(binding.source);
  }

  /** A value handed to a call, which may call it. */
  #handed(arg: Node): void {
    if (isFunction(arg)) return this.#runs(arg);
    if (arg.type === "Identifier") {
      const binding = this.#scope.top.get(arg.name as string);
      if (binding?.kind === "function") return this.#runs(binding.node);
      if (binding?.kind === "import" && !PURE_NODE_MODULES.has(binding.source)) {
        refuse(`hands '${arg.name}', imported from ${binding.source}, to a call while loading`);
      }
    }
    if (isMemberExpression(arg)) {
      // A method handed over is called like one: `names.map(helpers.stage)`.
      const name = memberName(arg);
      if (name === null) refuse("hands a computed member to a call while loading");
      this.#scope.calledMethods.add(name!);
    }
    this.visit(arg, null, "");
  }

  /** Checks a function's body (and parameter defaults) as load-time code, once. */
  #runs(fn: Node): void {
    if (this.#checked.has(fn)) return;
    this.#checked.add(fn);
    eachChild(fn, (child, key) => {
      if (key !== "id") this.visit(child, fn, key);
    });
  }

  /** True for a global (a name the module does not declare) among `names`. */
  #isGlobal(node: Node, names: ReadonlySet<string>): boolean {
    return node.type === "Identifier" && !this.#scope.declared.has(node.name as string) &&
      names.has(node.name as string);
  }
}
