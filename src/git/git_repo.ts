import { PivotError } from "../util/errors.ts";
import { parseCatFileBatch, parseTree, type TreeEntry } from "./_cat_file_batch.ts";

export type { TreeEntry };
import { gitMessage, runGit } from "./_run_git.ts";

/** One file of a commit's tree. */
export interface GitTreeFile {
  /** Path relative to the repository's top level, `/`-separated. */
  readonly path: string;
  /** `100644` or `100755`. */
  readonly mode: string;
}

/**
 * A git repository, read through the `git` executable: revisions resolved by
 * `git rev-parse`, trees listed by `git ls-tree`, and many files read by one
 * `git cat-file --batch` process. Paths are relative to the top level.
 *
 * @example Usage (not run as a doc test: needs a git repository)
 * ```ts ignore
 * const repo = await GitRepo.open("/work/project");
 * const commit = await repo.resolveCommit("HEAD~1");
 * const files = await repo.readFiles(commit, ["pivot.yaml"]);
 * ```
 */
export class GitRepo {
  /** The repository's top-level directory (a real path). */
  readonly topLevel: string;

  private constructor(topLevel: string) {
    this.topLevel = topLevel;
  }

  /**
   * The repository that holds `dir`.
   *
   * @throws {PivotError} when `dir` is not inside a git work tree, or git cannot read it
   */
  static async open(dir: string): Promise<GitRepo> {
    const result = await runGit(dir, ["rev-parse", "--show-toplevel"]);
    const text = new TextDecoder().decode(result.stdout).trim();
    if (result.code === 0 && text !== "") return new GitRepo(await Deno.realPath(text));
    const message = gitMessage(result.stderr);
    if (/not a git repository/i.test(message)) {
      throw new PivotError(`not a git repository: ${dir}`, {
        hint: "comparing with revisions needs the project in git: run 'git init' and commit it",
      });
    }
    throw new PivotError(`cannot read the git repository at ${dir}: ${message}`);
  }

  /**
   * The full commit id `rev` names: anything `git rev-parse` accepts
   * (`HEAD`, `HEAD~1`, `main`, a tag, a short commit id).
   *
   * @throws {PivotError} for an unknown revision, or a repository without commits
   */
  async resolveCommit(rev: string): Promise<string> {
    if (rev === "" || rev.startsWith("-") || /[\0\n\r]/.test(rev)) {
      throw new PivotError(`invalid revision '${rev}'`, {
        hint: "give a commit, branch or tag, or an expression such as HEAD~1",
      });
    }
    const commit = await this.#verify(`${rev}^{commit}`);
    if (commit !== null) return commit;
    if ((await this.#verify("HEAD^{commit}")) === null) {
      throw new PivotError(`no commits yet in the git repository ${this.topLevel}`, {
        hint: "commit the project first (git add -A && git commit), then compare with it",
      });
    }
    throw new PivotError(`unknown revision '${rev}'`, {
      hint:
        "give a commit, branch or tag, or an expression such as HEAD~1 ('git log --oneline' lists commits)",
    });
  }

  async #verify(spec: string): Promise<string | null> {
    const result = await runGit(this.topLevel, ["rev-parse", "--verify", "--quiet", spec]);
    const text = new TextDecoder().decode(result.stdout).trim();
    return result.code === 0 && /^[0-9a-f]{40,64}$/.test(text) ? text : null;
  }

  /**
   * The regular files (no symlinks or submodules) of `commit`'s tree below the
   * directory `under` (`""` for the whole tree), sorted by path.
   *
   * @throws {PivotError} when git cannot list the tree
   */
  async listFiles(commit: string, under = ""): Promise<GitTreeFile[]> {
    const args = ["--literal-pathspecs", "ls-tree", "-r", "-z", "--full-tree", commit];
    if (under !== "") args.push("--", under);
    const result = await runGit(this.topLevel, args);
    if (result.code !== 0) {
      throw new PivotError(
        `cannot list the files of commit ${commit}: ${gitMessage(result.stderr)}`,
      );
    }
    const files: GitTreeFile[] = [];
    for (const record of new TextDecoder().decode(result.stdout).split("\0")) {
      // `<mode> <type> <object>\t<path>`
      const tab = record.indexOf("\t");
      if (tab < 0) continue;
      const [mode, type] = record.slice(0, tab).split(" ");
      if (type === "blob" && (mode === "100644" || mode === "100755")) {
        files.push({ path: record.slice(tab + 1), mode });
      }
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * The content of each of `paths` (relative to the top level) as committed
   * in `commit`, read by one `git cat-file --batch`. Paths that are absent
   * there, or are not files, are left out of the result.
   *
   * @throws {PivotError} when git fails
   */
  async readFiles(commit: string, paths: readonly string[]): Promise<Map<string, Uint8Array>> {
    const files = new Map<string, Uint8Array>();
    // A request is one line: a path with a line break cannot be asked for (nor committed by pivot).
    const wanted = [...new Set(paths)].filter((file) => file !== "" && !/[\n\r]/.test(file));
    if (wanted.length === 0) return files;
    const input = new TextEncoder().encode(wanted.map((file) => `${commit}:${file}\n`).join(""));
    const result = await runGit(this.topLevel, ["cat-file", "--batch"], input);
    if (result.code !== 0) {
      throw new PivotError(`cannot read files of commit ${commit}: ${gitMessage(result.stderr)}`);
    }
    const entries = parseCatFileBatch(result.stdout, wanted.length);
    wanted.forEach((file, i) => {
      const entry = entries[i];
      if (entry?.type === "blob") files.set(file, entry.content);
    });
    return files;
  }

  /**
   * Every commit reachable from any ref (`git rev-list --all`), newest first.
   *
   * @throws {PivotError} when git fails
   */
  async allCommits(): Promise<string[]> {
    const result = await runGit(this.topLevel, ["rev-list", "--all"]);
    if (result.code !== 0) {
      throw new PivotError(`cannot list the commits: ${gitMessage(result.stderr)}`);
    }
    return lines(result.stdout);
  }

  /**
   * The commits the refs under `namespace` (`refs/heads/`, `refs/tags/`) point
   * at, annotated tags peeled; refs to anything but a commit are left out.
   *
   * @throws {PivotError} when git fails
   */
  async refCommits(namespace: string): Promise<string[]> {
    const refs = await runGit(this.topLevel, ["for-each-ref", "--format=%(refname)", namespace]);
    if (refs.code !== 0) {
      throw new PivotError(`cannot list ${namespace}: ${gitMessage(refs.stderr)}`);
    }
    const names = lines(refs.stdout).filter((name) => !/[\n\r]/.test(name));
    if (names.length === 0) return [];
    const input = new TextEncoder().encode(names.map((name) => `${name}^{commit}\n`).join(""));
    const peeled = await runGit(this.topLevel, ["cat-file", "--batch-check"], input);
    if (peeled.code !== 0) {
      throw new PivotError(`cannot read ${namespace}: ${gitMessage(peeled.stderr)}`);
    }
    return [
      ...new Set(
        lines(peeled.stdout).flatMap((line) => /^([0-9a-f]+) commit \d+$/.exec(line)?.[1] ?? []),
      ),
    ];
  }

  /**
   * The entries of the trees `specs` name (tree ids, or `<commit>^{tree}`,
   * `<commit>:<dir>`), read by one `git cat-file --batch`; `null` for a spec
   * that names no tree.
   *
   * @throws {PivotError} when git fails
   */
  async readTrees(specs: readonly string[]): Promise<(TreeEntry[] | null)[]> {
    return (await this.#batch(specs)).map((entry) =>
      entry?.type === "tree" ? parseTree(entry.content, entry.id.length / 2) : null
    );
  }

  /**
   * The contents of the blobs `ids`, read by one `git cat-file --batch`;
   * ids that are not blobs are left out.
   *
   * @throws {PivotError} when git fails
   */
  async readBlobs(ids: readonly string[]): Promise<Map<string, Uint8Array>> {
    const wanted = [...new Set(ids)];
    const blobs = new Map<string, Uint8Array>();
    (await this.#batch(wanted)).forEach((entry, i) => {
      if (entry?.type === "blob") blobs.set(wanted[i]!, entry.content);
    });
    return blobs;
  }

  async #batch(specs: readonly string[]) {
    if (specs.length === 0) return [];
    if (specs.some((spec) => /[\n\r]/.test(spec))) {
      throw new PivotError("a git object name cannot hold a line break");
    }
    const input = new TextEncoder().encode(specs.map((spec) => `${spec}\n`).join(""));
    const result = await runGit(this.topLevel, ["cat-file", "--batch"], input);
    if (result.code !== 0) {
      throw new PivotError(`cannot read git objects: ${gitMessage(result.stderr)}`);
    }
    return parseCatFileBatch(result.stdout, specs.length);
  }
}

/** The non-empty lines of `output`. */
function lines(output: Uint8Array): string[] {
  return new TextDecoder().decode(output).split("\n").filter((line) => line !== "");
}
