/**
 * Function-level code fingerprints for `run` stages: the code of the stage
 * function and, transitively, of every top-level function, class and constant
 * of a local module it references. Editing an unrelated function of the same
 * module changes nothing; editing a helper it calls (here or in another local
 * module) changes the fingerprint. Packages count by their specifier (which
 * carries the version). Code is hashed as its syntax tree, without comments
 * and positions, so formatting it (`deno fmt`: spaces, blank lines, quotes,
 * semicolons, trailing commas, redundant parentheses) changes nothing.
 *
 * @module
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { PivotError } from "../util/errors.ts";
import { relativePosix } from "../util/paths.ts";
import { hashBytes, type ParseCache } from "../storage/mod.ts";

/** A parsed syntax node (only the fields this module reads). */
export interface Node {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly [key: string]: unknown;
}

/** A top-level binding of a module. */
type Binding =
  | { readonly kind: "local"; readonly node: Node }
  | { readonly kind: "import"; readonly source: string; readonly imported: string }
  | { readonly kind: "namespace"; readonly source: string };

interface ParsedModule {
  readonly file: string;
  /** The text it was parsed from. */
  readonly text: string;
  /** Its syntax tree (`null` for a JSON module). */
  readonly program: Node | null;
  readonly bindings: ReadonlyMap<string, Binding>;
  /** Exported name → local binding name (or a re-export). */
  readonly exports: ReadonlyMap<string, string | Binding>;
  /** The `export default` expression or declaration, if any. */
  readonly defaultExport: Node | null;
  /** Sources of `export * from "…"`. */
  readonly starExports: readonly string[];
  /** The hash of the whole module's code (for a namespace import), taken on first use. */
  readonly codeHash: () => string;
  /** Hash and referenced names of its nodes, by node: stages often share one function. */
  readonly summaries: WeakMap<Node, NodeSummary>;
  /** Its object literals' properties and methods by name, by node. */
  readonly propertyIndexes: WeakMap<Node, Map<string, Node>>;
}

/** A node's code hash and the names it refers to. */
interface NodeSummary {
  readonly hash: string;
  readonly names: ReadonlySet<string>;
}

/** Parses a module (once per {@linkcode CodeFingerprints}), noting it as read. */
type ParseModule = (file: string) => Promise<ParsedModule>;

/**
 * The parse-cache kind of remembered fingerprints (bump when fingerprints
 * change; 2: syntax trees instead of source text without comments).
 */
const FINGERPRINT_KIND = "fingerprint2";

/** A remembered fingerprint: the manifest and the text hash of every file it was taken from. */
interface RememberedFingerprint {
  readonly files: readonly (readonly [string, string])[];
  readonly manifest: Record<string, string>;
}

/**
 * Takes the fingerprints of `run` stages for one session: modules are parsed
 * and file texts hashed once, however many stages share them. A session (a
 * command, or one watch iteration) owns one, so nothing outlives a change of
 * the files.
 */
export class CodeFingerprints {
  /** Parsed modules by absolute path. */
  readonly #parsed = new Map<string, Promise<ParsedModule>>();
  /** The files fingerprints were taken from (parsed or checked against a cache). */
  readonly #readFiles = new Set<string>();
  /** The hash of each file's text as read (`null`: unreadable). */
  readonly #textHashes = new Map<string, string | null>();
  /** The manifests taken, by module, export path and root: every stage asks more than once. */
  readonly #manifests = new Map<string, Promise<Record<string, string>>>();

  /**
   * The fingerprint manifest of the `run` function at `exportPath` in
   * `module`: `fn:`, `class:` or `const:<file>#<name>` → hash of each
   * function, class or constant involved, `mod:<file>` for namespace
   * imports, `pkg:<specifier>` for packages.
   *
   * With a `cache`, a manifest taken before is reused while every file it
   * was taken from has the same text, so an unchanged project never loads
   * the parser. Within the session, a manifest is taken once (files are
   * read once per session, so taking it again would find the same).
   *
   * @throws {PivotError} when the module cannot be read or parsed, or the export is not found
   */
  runFingerprint(
    module: string,
    exportPath: readonly string[],
    projectRoot: string,
    cache: ParseCache | null = null,
  ): Promise<Record<string, string>> {
    const key = JSON.stringify([module, exportPath, projectRoot]);
    let manifest = this.#manifests.get(key);
    if (manifest === undefined) {
      manifest = this.#takeManifest(key, module, exportPath, projectRoot, cache);
      this.#manifests.set(key, manifest);
      // A failure is not remembered: the next call tries again.
      manifest.catch(() => this.#manifests.delete(key));
    }
    return manifest;
  }

  /** {@linkcode CodeFingerprints.runFingerprint}'s manifest for `key`, remembered in `cache`. */
  async #takeManifest(
    key: string,
    module: string,
    exportPath: readonly string[],
    projectRoot: string,
    cache: ParseCache | null,
  ): Promise<Record<string, string>> {
    const remembered = asRemembered(cache?.get(FINGERPRINT_KIND, key));
    if (
      remembered !== null && remembered.files.every(([file, hash]) => this.#textHash(file) === hash)
    ) {
      for (const [file] of remembered.files) this.#readFiles.add(file);
      return remembered.manifest;
    }
    const read = new Set<string>();
    const parse: ParseModule = (file) => {
      read.add(file);
      return this.#parse(file);
    };
    const manifest = await takeFingerprint(module, exportPath, projectRoot, parse);
    const files = [...read].map((file) => [file, this.#textHashes.get(file)!] as const);
    cache?.put(FINGERPRINT_KIND, key, { files, manifest } satisfies RememberedFingerprint);
    return manifest;
  }

  /**
   * The syntax tree of module `file` and the text it was parsed from, parsed
   * once per session (shared with the fingerprints); `null` for a JSON module.
   *
   * @throws {PivotError} when the module cannot be read or parsed
   */
  async syntaxTree(file: string): Promise<{ text: string; program: Node } | null> {
    const { text, program } = await this.#parse(file);
    return program === null ? null : { text, program };
  }

  /** The files read to fingerprint stage code so far. */
  files(): string[] {
    return [...this.#readFiles];
  }

  /** The hash of `file`'s text, read once; `null` when it cannot be read. */
  #textHash(file: string): string | null {
    let hash = this.#textHashes.get(file);
    if (hash === undefined) {
      try {
        hash = hashBytes(Deno.readTextFileSync(file));
      } catch {
        hash = null;
      }
      this.#textHashes.set(file, hash);
    }
    return hash;
  }

  /**
   * The parsed module at `file`, parsed once even when many stages ask at
   * the same time (the promise is shared).
   */
  #parse(file: string): Promise<ParsedModule> {
    this.#readFiles.add(file);
    return this.#parseOnce(file);
  }

  /**
   * Starts parsing module `file` now, for a fingerprint taken later (it is
   * among {@linkcode CodeFingerprints.files} only once one uses it).
   */
  prefetch(file: string): void {
    this.#parseOnce(file);
  }

  /** Resolves once no parse is under way (a prefetched one may be unused). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.#parsed.values());
  }

  #parseOnce(file: string): Promise<ParsedModule> {
    let module = this.#parsed.get(file);
    if (module === undefined) {
      module = parseModuleFile(file, (hash) => this.#textHashes.set(file, hash));
      this.#parsed.set(file, module);
      // A failure is not remembered: the next call reads the file again.
      module.catch(() => this.#parsed.delete(file));
    }
    return module;
  }
}

/** `value` as a remembered fingerprint, or `null` when it is not one (a cache is never trusted). */
function asRemembered(value: unknown): RememberedFingerprint | null {
  if (typeof value !== "object" || value === null) return null;
  const { files, manifest } = value as Record<string, unknown>;
  const isPair = (pair: unknown) =>
    Array.isArray(pair) && pair.length === 2 && pair.every((item) => typeof item === "string");
  if (!Array.isArray(files) || files.length === 0 || !files.every(isPair)) return null;
  if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) return null;
  if (!Object.values(manifest).every((hash) => typeof hash === "string")) return null;
  return value as RememberedFingerprint;
}

/** {@linkcode CodeFingerprints.runFingerprint} without a cache, parsing through `parse`. */
async function takeFingerprint(
  module: string,
  exportPath: readonly string[],
  projectRoot: string,
  parse: ParseModule,
): Promise<Record<string, string>> {
  const manifest: Record<string, string> = {};
  const visited = new Set<string>();
  const parsedModule = await parse(module);
  const target = await findExport(parsedModule, exportPath, parse);
  const label = `${relativePosix(projectRoot, module)}#${exportPath.join(".")}`;
  const collect = async (mod: ParsedModule, node: Node, key: string): Promise<void> => {
    if (visited.has(key)) return;
    visited.add(key);
    const { hash, names } = nodeSummary(mod, node);
    manifest[key] = hash;
    for (const name of names) {
      const binding = mod.bindings.get(name);
      if (binding !== undefined) await follow(mod, name, binding);
    }
  };
  const follow = async (mod: ParsedModule, name: string, binding: Binding): Promise<void> => {
    const rel = relativePosix(projectRoot, mod.file);
    if (binding.kind === "local") {
      return await collect(mod, binding.node, `${bindingKind(binding.node)}:${rel}#${name}`);
    }
    if (!isLocalSpecifier(binding.source)) {
      const key = `pkg:${binding.source}`;
      manifest[key] = hashBytes(binding.source);
      return;
    }
    const file = resolveSpecifier(mod.file, binding.source);
    const other = await parse(file);
    if (binding.kind === "namespace") {
      manifest[`mod:${relativePosix(projectRoot, file)}`] = other.codeHash();
      return;
    }
    const resolved = await resolveExportDeep(other, binding.imported, parse);
    if (resolved === null) {
      manifest[`mod:${relativePosix(projectRoot, file)}`] = other.codeHash();
      return;
    }
    await follow(resolved.module, resolved.name, resolved.binding);
  };
  if (target.kind === "binding") await follow(target.module, target.name, target.binding);
  else await collect(parsedModule, target.node, `fn:${label}`);
  return manifest;
}

/** The hash and referenced names of `node` of `mod`, taken once per node. */
function nodeSummary(mod: ParsedModule, node: Node): NodeSummary {
  let summary = mod.summaries.get(node);
  if (summary === undefined) {
    summary = { hash: hashBytes(codeText(node)), names: referencedNames(node) };
    mod.summaries.set(node, summary);
  }
  return summary;
}

/** `fn` for functions (declared or assigned), `class` for classes, else `const`. */
function bindingKind(node: Node): "fn" | "class" | "const" {
  if (node.type === "FunctionDeclaration") return "fn";
  if (node.type === "ClassDeclaration") return "class";
  if (node.type === "VariableDeclaration") {
    const inits = (node.declarations as Node[]).map((d) => (d.init as Node | null)?.type);
    if (inits.length === 1 && /Function|ArrowFunction/.test(inits[0] ?? "")) return "fn";
    if (inits.length === 1 && inits[0] === "ClassExpression") return "class";
  }
  return "const";
}

/** The absolute path a local import specifier of `from` names. */
export function resolveSpecifier(from: string, specifier: string): string {
  return specifier.startsWith("file:")
    ? fileURLToPath(specifier)
    : path.resolve(path.dirname(from), specifier);
}

/**
 * The binding `name` is exported as, following `export *` re-exports into
 * other local modules.
 */
async function resolveExportDeep(
  mod: ParsedModule,
  name: string,
  parse: ParseModule,
  seen: Set<string> = new Set(),
): Promise<{ module: ParsedModule; name: string; binding: Binding } | null> {
  if (seen.has(mod.file)) return null;
  seen.add(mod.file);
  const direct = resolveExport(mod, name);
  if (direct !== null) return { module: mod, ...direct };
  if (name === "default") return null;
  for (const source of mod.starExports) {
    if (!isLocalSpecifier(source)) continue;
    const found = await resolveExportDeep(
      await parse(resolveSpecifier(mod.file, source)),
      name,
      parse,
      seen,
    );
    if (found !== null) return found;
  }
  return null;
}

/** True for a specifier naming a local file: relative, absolute or a `file:` URL. */
export function isLocalSpecifier(specifier: string): boolean {
  return specifier.startsWith("./") || specifier.startsWith("../") ||
    specifier.startsWith("/") || specifier.startsWith("file:");
}

/**
 * Reads and parses `file`, telling `onText` the hash of the text it read. A
 * JSON module (`import data from "./x.json" with { type: "json" }`) is its
 * content: it has no bindings, and its code hash is the hash of its text.
 */
async function parseModuleFile(
  file: string,
  onText: (hash: string) => void,
): Promise<ParsedModule> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new PivotError(
      `cannot read ${file} to fingerprint stage code: ${(error as Error).message}`,
    );
  }
  const textHash = hashBytes(text);
  onText(textHash);
  const parsedModule = (
    top: TopLevel,
    program: Node | null,
    codeHash: () => string,
  ): ParsedModule => ({
    file,
    text,
    program,
    ...top,
    codeHash,
    summaries: new WeakMap(),
    propertyIndexes: new WeakMap(),
  });
  if (file.endsWith(".json")) {
    const none = { bindings: new Map(), exports: new Map(), defaultExport: null, starExports: [] };
    return parsedModule(none, null, () => textHash);
  }
  const program = await parseProgram(file, text);
  let codeHash: string | undefined;
  return parsedModule(
    topLevel(program.body),
    program,
    () => (codeHash ??= hashBytes(codeText(program))),
  );
}

/**
 * The syntax tree of module `file` (TypeScript, JSX or JavaScript by its
 * extension), without comments.
 *
 * @throws {PivotError} naming the file when it does not parse
 */
async function parseProgram(file: string, text: string): Promise<Node & { body: Node[] }> {
  // Loaded on first use: only projects with `run` stages pay for the parser.
  const { parse } = await import("@babel/parser");
  try {
    return (parse(text, {
      sourceType: "module",
      // Comments are not code: not attached to nodes, never hashed.
      attachComment: false,
      plugins: file.endsWith(".ts") || file.endsWith(".tsx") || file.endsWith(".mts")
        ? ["typescript", ...(file.endsWith(".tsx") ? ["jsx" as const] : [])]
        : ["jsx"],
    }) as unknown as { program: Node & { body: Node[] } }).program;
  } catch (error) {
    throw new PivotError(`cannot parse ${file}: ${(error as Error).message}`);
  }
}

/** What a module declares, imports and exports at its top level. */
type TopLevel = Pick<ParsedModule, "bindings" | "exports" | "defaultExport" | "starExports">;

/** The top-level bindings, imports and exports of a module's `statements`. */
function topLevel(statements: readonly Node[]): TopLevel {
  const bindings = new Map<string, Binding>();
  const exports = new Map<string, string | Binding>();
  let defaultExport: Node | null = null;
  const starExports: string[] = [];
  const declare = (declaration: Node) => {
    for (const name of declaredNames(declaration)) {
      bindings.set(name, { kind: "local", node: declaration });
    }
    return declaredNames(declaration);
  };
  for (const statement of statements) {
    switch (statement.type) {
      case "ImportDeclaration": {
        if (statement.importKind === "type") break;
        const source = (statement.source as { value: string }).value;
        for (const spec of statement.specifiers as Node[]) {
          const local = (spec.local as { name: string }).name;
          if (spec.importKind === "type") continue;
          if (spec.type === "ImportNamespaceSpecifier") {
            bindings.set(local, { kind: "namespace", source });
          } else if (spec.type === "ImportDefaultSpecifier") {
            bindings.set(local, { kind: "import", source, imported: "default" });
          } else {
            const imported = spec.imported as { name?: string; value?: string };
            bindings.set(local, {
              kind: "import",
              source,
              imported: imported.name ?? imported.value ?? local,
            });
          }
        }
        break;
      }
      case "ExportNamedDeclaration": {
        const declaration = statement.declaration as Node | null;
        if (declaration) { for (const name of declare(declaration)) exports.set(name, name); }
        const source = (statement.source as { value: string } | null)?.value;
        for (const spec of (statement.specifiers as Node[] | undefined) ?? []) {
          const exported = spec.exported as { name?: string; value?: string };
          const exportedName = exported.name ?? exported.value ?? "";
          if (source !== undefined) {
            const local = spec.local as { name: string } | undefined;
            exports.set(
              exportedName,
              spec.type === "ExportNamespaceSpecifier"
                ? { kind: "namespace", source }
                : { kind: "import", source, imported: local?.name ?? exportedName },
            );
          } else {
            exports.set(exportedName, (spec.local as { name: string }).name);
          }
        }
        break;
      }
      case "ExportAllDeclaration": {
        if (statement.exportKind === "type") break;
        const source = (statement.source as { value: string }).value;
        const exported = statement.exported as { name?: string; value?: string } | null;
        if (exported) {
          exports.set(exported.name ?? exported.value ?? "", { kind: "namespace", source });
        } else starExports.push(source);
        break;
      }
      case "ExportDefaultDeclaration": {
        const declaration = statement.declaration as Node;
        const names = declaredNames(declaration);
        if (names.length > 0) {
          declare(declaration);
          exports.set("default", names[0]!);
        }
        defaultExport = declaration;
        break;
      }
      default:
        declare(statement);
    }
  }
  return { bindings, exports, defaultExport, starExports };
}

/** Names a top-level statement declares (functions, classes, variables, enums). */
function declaredNames(node: Node): string[] {
  switch (node.type) {
    case "FunctionDeclaration":
    case "ClassDeclaration":
    case "TSEnumDeclaration":
    case "TSModuleDeclaration": {
      const id = node.id as { name?: string } | null;
      return id?.name === undefined ? [] : [id.name];
    }
    case "VariableDeclaration":
      return (node.declarations as Node[]).flatMap((d) => patternNames(d.id as Node));
    default:
      return [];
  }
}

/** The names a binding pattern (`x`, `{ a, b: [c] }`, `...rest`) declares. */
export function patternNames(pattern: Node): string[] {
  switch (pattern.type) {
    case "Identifier":
      return [pattern.name as string];
    case "ObjectPattern":
      return (pattern.properties as Node[]).flatMap((p) =>
        patternNames((p.type === "RestElement" ? p.argument : p.value) as Node)
      );
    case "ArrayPattern":
      return (pattern.elements as (Node | null)[]).flatMap((e) =>
        e === null ? [] : patternNames(e)
      );
    case "AssignmentPattern":
      return patternNames(pattern.left as Node);
    case "RestElement":
      return patternNames(pattern.argument as Node);
    default:
      return [];
  }
}

type Target =
  | {
    readonly kind: "binding";
    readonly module: ParsedModule;
    readonly name: string;
    readonly binding: Binding;
  }
  | { readonly kind: "node"; readonly node: Node };

/** The function a stage's export path points at. */
async function findExport(
  mod: ParsedModule,
  exportPath: readonly string[],
  parse: ParseModule,
): Promise<Target> {
  const [first, ...rest] = exportPath;
  const fail = (): never => {
    throw new PivotError(`cannot find '${exportPath.join(".")}' in ${mod.file} to fingerprint it`, {
      // A path into the default export that the source does not spell out: the stages were
      // built in code (a loop, a helper function) rather than written as an object literal.
      ...(first === "default" && rest.length > 0 ? { hint: builtInCodeHint(mod.file) } : {}),
    });
  };
  if (first === undefined) return fail();
  if (rest.length === 0 && first !== "default") {
    const resolved = await resolveExportDeep(mod, first, parse);
    return resolved === null ? fail() : { kind: "binding", ...resolved };
  }
  // A path into the default export: `default.stages.train.run`.
  let node: Node | null = first === "default" ? mod.defaultExport : null;
  for (const key of rest) {
    node = node === null ? null : unwrapToObject(mod, node);
    if (node === null) return fail();
    const property = propertiesByName(mod, node).get(key);
    if (property === undefined) return fail();
    node = property.type === "ObjectMethod" ? property : property.value as Node;
  }
  if (node === null) return fail();
  if (node.type === "Identifier") {
    const name = node.name as string;
    const binding = mod.bindings.get(name);
    return binding === undefined ? fail() : { kind: "binding", module: mod, name, binding };
  }
  return { kind: "node", node };
}

/** What to do when a stage's function cannot be found in the default export's source. */
function builtInCodeHint(file: string): string {
  const module = `./${path.basename(file)}`;
  return `pivot reads a stage's function from the source: write 'run:' in the stages object ` +
    `literal of the default export, or, for stages built in a loop or by a helper function, ` +
    `export the function and name it as a string (run: "${module}#myFunction")`;
}

function resolveExport(
  mod: ParsedModule,
  name: string,
): { name: string; binding: Binding } | null {
  const exported = mod.exports.get(name);
  if (exported === undefined) {
    if (name === "default" && mod.defaultExport !== null) {
      return { name: "default", binding: { kind: "local", node: mod.defaultExport } };
    }
    return null;
  }
  if (typeof exported !== "string") return { name, binding: exported };
  const binding = mod.bindings.get(exported);
  return binding === undefined ? null : { name: exported, binding };
}

/** Follows identifiers, `as`/`satisfies` and parentheses to an object literal. */
function unwrapToObject(mod: ParsedModule, start: Node): Node | null {
  let node: Node | null = start;
  for (let guard = 0; node !== null && guard < 20; guard++) {
    switch (node.type) {
      case "ObjectExpression":
        return node;
      case "TSAsExpression":
      case "TSSatisfiesExpression":
      case "TSNonNullExpression":
      case "ParenthesizedExpression":
        node = node.expression as Node;
        break;
      case "Identifier": {
        const binding = mod.bindings.get(node.name as string);
        if (binding?.kind !== "local" || binding.node.type !== "VariableDeclaration") return null;
        const declarator = (binding.node.declarations as Node[]).find((d) =>
          (d.id as Node).type === "Identifier" && (d.id as Node).name === node!.name
        );
        node = (declarator?.init as Node | undefined) ?? null;
        break;
      }
      default:
        return null;
    }
  }
  return null;
}

/** An object literal's properties and methods by name (the first of each), indexed once. */
function propertiesByName(mod: ParsedModule, object: Node): Map<string, Node> {
  let index = mod.propertyIndexes.get(object);
  if (index === undefined) {
    index = new Map();
    for (const p of object.properties as Node[]) {
      if (p.type !== "ObjectProperty" && p.type !== "ObjectMethod") continue;
      const name = propertyName(p);
      if (name !== null && !index.has(name)) index.set(name, p);
    }
    mod.propertyIndexes.set(object, index);
  }
  return index;
}

function propertyName(property: Node): string | null {
  const key = property.key as Node;
  if (property.computed) return key.type === "StringLiteral" ? key.value as string : null;
  if (key.type === "Identifier") return key.name as string;
  if (key.type === "StringLiteral") return key.value as string;
  return null;
}

/** TypeScript nodes that only describe types (never evaluated). */
export const TYPE_ONLY_NODE =
  /^TS(.*Type|.*Keyword|TypeAnnotation|TypeParameter.*|TypeLiteral|Interface.*|TypeAlias.*|DeclareFunction|DeclareMethod|IndexSignature|.*Signature)$/;

/**
 * Identifier names `node` refers to, leaving out property names of member
 * expressions and object keys (type annotations are ignored).
 */
function referencedNames(node: Node): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown, parent: Node | null, field: string): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, parent, field);
      return;
    }
    if (typeof value !== "object" || value === null || typeof (value as Node).type !== "string") {
      return;
    }
    const current = value as Node;
    if (TYPE_ONLY_NODE.test(current.type)) return;
    if (current.type === "Identifier" || current.type === "JSXIdentifier") {
      const isProperty = parent !== null && !parent.computed &&
        (((parent.type === "MemberExpression" || parent.type === "OptionalMemberExpression") &&
          field === "property") ||
          ((parent.type === "ObjectProperty" || parent.type === "ObjectMethod" ||
            parent.type === "ClassMethod" || parent.type === "ClassProperty") && field === "key"));
      if (!isProperty) names.add(current.name as string);
      return;
    }
    for (const [key, child] of Object.entries(current)) {
      if (
        key === "loc" || key === "leadingComments" || key === "trailingComments" ||
        key === "innerComments" || key === "typeAnnotation" || key === "returnType" ||
        key === "typeParameters"
      ) continue;
      visit(child, current, key);
    }
  };
  visit(node, null, "");
  return names;
}

/**
 * Fields of a syntax node that say where and how code was written, not what
 * it does: positions, comments, and `extra` (the raw text of literals —
 * `'a'` or `"a"`, `0x10` or `16` — parentheses and trailing commas).
 */
const FORMATTING_FIELDS: ReadonlySet<string> = new Set([
  "type",
  "start",
  "end",
  "loc",
  "range",
  "extra",
  "leadingComments",
  "trailingComments",
  "innerComments",
]);

/**
 * `node`'s code as text that only its meaning can change: every node's type
 * and significant fields (names, operators, literal values, children) in
 * order, none of {@linkcode FORMATTING_FIELDS}. A property name written as
 * an identifier or a string (`a` or `"a"`) reads the same.
 */
function codeText(node: Node): string {
  const out: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null) {
      out.push(typeof value === "string" ? JSON.stringify(value) : String(value));
      return;
    }
    if (Array.isArray(value)) {
      out.push("[");
      for (const item of value) {
        visit(item);
        out.push(",");
      }
      out.push("]");
      return;
    }
    const current = value as Record<string, unknown>;
    out.push(typeof current.type === "string" ? current.type : "", "{");
    for (const key of Object.keys(current)) {
      const child = current[key];
      if (child === undefined || FORMATTING_FIELDS.has(key)) continue;
      out.push(key, ":");
      const name = key === "key" && current.computed !== true ? propertyKeyName(child) : null;
      if (name === null) visit(child);
      else out.push(JSON.stringify(name));
      out.push(";");
    }
    out.push("}");
  };
  visit(node);
  return out.join("");
}

/** The name a non-computed property key written as `a` or `"a"` gives, else `null`. */
function propertyKeyName(key: unknown): string | null {
  const node = key as Node | null;
  if (node?.type === "Identifier") return node.name as string;
  if (node?.type === "StringLiteral") return node.value as string;
  return null;
}
