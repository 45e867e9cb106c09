/**
 * pivot's own `deno lint` rules (a lint plugin, named in `deno.json`), for
 * the structure rules of `src/` that a reviewer would otherwise have to
 * check by hand:
 *
 * - `pivot/engine-function-length`: no function in `src/engine/` is longer
 *   than {@linkcode ENGINE_FUNCTION_LINES} lines (the coordinator stays in
 *   pieces that each do one job).
 * - `pivot/no-module-state`: no module-level `let` or `var` in `src/`, and a
 *   module-level `Map` or `Set` is typed `ReadonlyMap`/`ReadonlySet` (a
 *   table of constants; a cache belongs to the session that owns it).
 *
 * @module
 */

/** The longest a function in `src/engine/` may be, in lines. */
export const ENGINE_FUNCTION_LINES = 80;

/** Whether `filename` is a module of `src/` (`sub`: of that folder of it). */
function inSrc(filename: string, sub = ""): boolean {
  return filename.replaceAll("\\", "/").includes(`/src/${sub}`);
}

/** The lines `node` spans. */
function linesOf(context: Deno.lint.RuleContext, node: Deno.lint.Node): number {
  const [start, end] = node.range;
  return context.sourceCode.text.slice(start, end).split("\n").length;
}

/** Whether `type` names a read-only collection (`ReadonlyMap<…>`, `ReadonlySet<…>`). */
function isReadonlyCollection(type: Deno.lint.TypeNode | undefined): boolean {
  return type?.type === "TSTypeReference" && type.typeName.type === "Identifier" &&
    (type.typeName.name === "ReadonlyMap" || type.typeName.name === "ReadonlySet");
}

/** Reports module-level mutable state in `declaration` (a statement of the module's body). */
function checkModuleLevel(
  context: Deno.lint.RuleContext,
  declaration: Deno.lint.VariableDeclaration,
): void {
  if (declaration.kind === "let" || declaration.kind === "var") {
    context.report({
      node: declaration,
      message: `module-level '${declaration.kind}': state shared by every session of the process`,
      hint: "keep it in the object that owns it (a session, a run), or make it a constant",
    });
    return;
  }
  for (const declarator of declaration.declarations) {
    const init = declarator.init;
    if (init?.type !== "NewExpression" || init.callee.type !== "Identifier") continue;
    const made = init.callee.name;
    if (!["Map", "Set", "WeakMap", "WeakSet"].includes(made)) continue;
    const id = declarator.id;
    if (id.type === "Identifier" && isReadonlyCollection(id.typeAnnotation?.typeAnnotation)) {
      continue;
    }
    context.report({
      node: declarator,
      message: `module-level ${made} that can be changed: a cache shared by every session`,
      hint: `type a table of constants as Readonly${made.replace("Weak", "")}; ` +
        "keep a cache in the session that owns it",
    });
  }
}

/** The plugin `deno.json` names. */
const plugin: Deno.lint.Plugin = {
  name: "pivot",
  rules: {
    "engine-function-length": {
      create(context) {
        if (!inSrc(context.filename, "engine/")) return {};
        const check = (node: Deno.lint.Node) => {
          const lines = linesOf(context, node);
          if (lines <= ENGINE_FUNCTION_LINES) return;
          context.report({
            node,
            message:
              `a function of ${lines} lines in src/engine/ (at most ${ENGINE_FUNCTION_LINES})`,
            hint: "split it into functions that each do one job",
          });
        };
        return {
          FunctionDeclaration: check,
          FunctionExpression: check,
          ArrowFunctionExpression: check,
        };
      },
    },
    "no-module-state": {
      create(context) {
        if (!inSrc(context.filename)) return {};
        return {
          "Program > VariableDeclaration": (node: Deno.lint.VariableDeclaration) =>
            checkModuleLevel(context, node),
          "Program > ExportNamedDeclaration > VariableDeclaration": (
            node: Deno.lint.VariableDeclaration,
          ) => checkModuleLevel(context, node),
        };
      },
    },
  },
};

export default plugin;
