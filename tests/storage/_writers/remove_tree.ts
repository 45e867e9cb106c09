/**
 * Run by checkout_test.ts as an unprivileged user (root ignores directory
 * permissions): builds trees with read-only directories holding a hardlink to
 * a read-only "blob", removes them with `removePath()`, and prints what
 * happened as one JSON line.
 *
 * Arguments: a directory, and `own` (build everything in a subdirectory this
 * user creates) or `shared` (build directly in the given directory, which
 * another user owns but lets everyone write to).
 *
 * @module
 */
import * as path from "node:path";
import { removePath } from "../../../src/storage/checkout.ts";

const [given, layout] = Deno.args as [string, "own" | "shared"];
const dir = layout === "own" ? path.join(given, "own") : given;
if (layout === "own") Deno.mkdirSync(dir);
const exists = (file: string): boolean => {
  try {
    Deno.lstatSync(file);
    return true;
  } catch {
    return false;
  }
};

const blob = path.join(dir, "blob");
Deno.writeTextFileSync(blob, "blob\n");
Deno.chmodSync(blob, 0o444);

// tree/ro (0555) / sub (0555) / {file, link → blob}, plus tree/top.txt
const tree = path.join(dir, "tree");
Deno.mkdirSync(path.join(tree, "ro", "sub"), { recursive: true });
Deno.writeTextFileSync(path.join(tree, "top.txt"), "top\n");
Deno.writeTextFileSync(path.join(tree, "ro", "sub", "file"), "file\n");
Deno.linkSync(blob, path.join(tree, "ro", "sub", "link"));
Deno.chmodSync(path.join(tree, "ro", "sub"), 0o555);
Deno.chmodSync(path.join(tree, "ro"), 0o555);

// A single hardlink inside a read-only directory.
const single = path.join(dir, "single");
Deno.mkdirSync(single);
Deno.linkSync(blob, path.join(single, "link"));
Deno.chmodSync(single, 0o555);

// The permissions really are enforced for this user.
let refused = false;
try {
  Deno.removeSync(path.join(tree, "ro", "sub", "file"));
} catch (error) {
  refused = error instanceof Deno.errors.PermissionDenied;
}

const attempt = async (target: string): Promise<string | null> => {
  try {
    await removePath(target);
    return null;
  } catch (error) {
    return String(error);
  }
};
const treeError = await attempt(tree);
const singleError = await attempt(path.join(single, "link"));

// deno-lint-ignore no-console
console.log(JSON.stringify({
  uid: Deno.uid(),
  refused,
  treeError,
  singleError,
  treeExists: exists(tree),
  singleLinkExists: exists(path.join(single, "link")),
  blobMode: (Deno.statSync(blob).mode ?? 0) & 0o777,
  blobLinks: Deno.statSync(blob).nlink,
}));
