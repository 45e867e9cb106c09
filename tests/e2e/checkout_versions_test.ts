/**
 * `pivot checkout` after switching versions with git: outputs of an older
 * commit come back without `--force` when what they replace is in the cache,
 * and `--relink` re-creates links in the configured checkout mode.
 */
import assert from "node:assert/strict";
import { copiedFixture, makeProject, type TempProject } from "../_helpers/project.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { blobPath } from "../_helpers/storage.ts";
import { hashBytes } from "../../src/storage/mod.ts";

const TRAIN = "data/ml/train.txt";
const IMAGES = "data/ml/images";

/** A pipeline whose file output and directory output both depend on `lr`. */
function pipeline(lr: string): string {
  return [
    "pipeline: ml",
    "stages:",
    "  train:",
    '    cmd: echo "lr=${params.lr}" > ${outs}',
    `    params: {lr: ${lr}}`,
    "    outs: txt",
    "  images:",
    '    cmd: mkdir -p ${outs} && echo "lr=${params.lr}" > ${outs}/a.txt && echo same > ${outs}/b.txt',
    `    params: {lr: ${lr}}`,
    "    outs: dir",
    "",
  ].join("\n");
}

/** Runs git in `cwd` (as user t) and returns its stdout. */
async function git(cwd: string, ...args: string[]): Promise<string> {
  const output = await new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@t", ...args],
    cwd,
    env: { GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.ok(output.success, `git ${args.join(" ")}: ${decoder.decode(output.stderr)}`);
  return decoder.decode(output.stdout).trim();
}

/** Runs pivot in `p` and asserts it exited 0; returns its stdout. */
async function pivot(p: TempProject, ...args: string[]): Promise<string> {
  const result = await runPivotInProcess(p.root, args);
  assert.equal(result.code, 0, `pivot ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The project of {@linkcode twoVersions}, built once per test file and copied for each test. */
const builtVersions: () => Promise<TempProject> = copiedFixture(async () => {
  const p = await makeProject({ "pivot.yaml": pipeline("0.1") }, { init: false });
  await pivot(p, "init");
  await git(p.root, "init", "-q");
  await pivot(p, "repro");
  await git(p.root, "add", "-A");
  await git(p.root, "commit", "-q", "-m", "v1");
  await p.write("pivot.yaml", pipeline("0.2"));
  await pivot(p, "repro");
  await git(p.root, "add", "-A");
  await git(p.root, "commit", "-q", "-m", "v2");
  return p;
});

/**
 * A git repository holding a pivot project that ran at lr 0.1 (commit v1) and
 * at lr 0.2 (commit v2, checked out); the cache holds both versions.
 */
async function twoVersions(): Promise<{ p: TempProject; v1: string; v2: string }> {
  const p = await builtVersions();
  const [v1, v2] = (await git(p.root, "rev-list", "--reverse", "HEAD")).split("\n") as [
    string,
    string,
  ];
  // Outputs are ignored by git (the cache holds them): only locks and pivot.yaml changed.
  assert.equal(
    await git(p.root, "diff", "--name-only", v1, v2),
    [
      ".pivot/stages/ml/images.lock",
      ".pivot/stages/ml/train.lock",
      "pivot.yaml",
    ].join("\n"),
  );
  assert.equal(await p.read(TRAIN), "lr=0.2\n");
  return { p, v1, v2 };
}

/** Asserts that `rel` is a hardlink of the blob of its content. */
function assertHardlinked(p: TempProject, rel: string): void {
  const content = Deno.readTextFileSync(p.path(rel));
  const blob = blobPath(p.path(".pivot/cache"), hashBytes(content));
  assert.equal(Deno.lstatSync(p.path(rel)).ino, Deno.statSync(blob).ino, rel);
}

Deno.test("pivot checkout after 'git checkout v1 -- .' restores v1's outputs without --force", async () => {
  const { p, v1 } = await twoVersions();
  await using _ = p;
  await git(p.root, "checkout", v1, "--", ".");

  const result = await runPivotInProcess(p.root, ["checkout"]);
  assert.equal(result.stderr, "");
  assert.equal(result.code, 0);
  assert.equal(
    result.stdout,
    `restored train → ${TRAIN}\nrestored images → ${IMAGES}/\n2 restored\n`,
  );
  assert.equal(await p.read(TRAIN), "lr=0.1\n");
  assert.equal(await p.read(`${IMAGES}/a.txt`), "lr=0.1\n");
  assert.equal(await p.read(`${IMAGES}/b.txt`), "same\n");
  for (const rel of [TRAIN, `${IMAGES}/a.txt`, `${IMAGES}/b.txt`]) assertHardlinked(p, rel);
  assert.equal(await pivot(p, "checkout"), "2 up to date\n");
  assert.equal(await pivot(p, "status"), "2 up to date\n");
});

Deno.test("pivot checkout after checking out the older commit itself, and back", async () => {
  const { p, v1, v2 } = await twoVersions();
  await using _ = p;
  await git(p.root, "checkout", "-q", v1);
  assert.equal(await pivot(p, "checkout", "train"), `restored train → ${TRAIN}\n1 restored\n`);
  assert.equal(await p.read(TRAIN), "lr=0.1\n");
  await git(p.root, "checkout", "-q", v2);
  assert.equal(await pivot(p, "checkout", "train"), `restored train → ${TRAIN}\n1 restored\n`);
  assert.equal(await p.read(TRAIN), "lr=0.2\n");
});

Deno.test("pivot checkout lists workspace content that is not in the cache and replaces it only with --force", async () => {
  const { p, v1 } = await twoVersions();
  await using _ = p;
  // The user replaced the file output and added a file to the directory output.
  await Deno.remove(p.path(TRAIN));
  await p.write(TRAIN, "hand-edited\n");
  await p.write(`${IMAGES}/extra.txt`, "mine\n");
  await git(p.root, "checkout", v1, "--", ".");

  const refused = await runPivotInProcess(p.root, ["checkout"]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, "");
  assert.equal(
    refused.stderr,
    "error: 2 paths differ from the recorded version and were not overwritten:\n" +
      `  train → ${TRAIN}\n` +
      `  images → ${IMAGES}/ (${IMAGES}/extra.txt is not in the cache)\n` +
      "hint: pass --force to overwrite (the workspace content is lost), --only-missing to leave existing paths alone, or keep the change with 'pivot commit' / 'pivot track --force'\n",
  );
  assert.equal(await p.read(TRAIN), "hand-edited\n");
  assert.equal(await p.read(`${IMAGES}/extra.txt`), "mine\n");
  assert.equal(await p.read(`${IMAGES}/a.txt`), "lr=0.2\n");

  const forced = await runPivotInProcess(p.root, ["checkout", "--force"]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(
    forced.stdout,
    `restored train → ${TRAIN}\nrestored images → ${IMAGES}/\n2 restored\n`,
  );
  assert.equal(await p.read(TRAIN), "lr=0.1\n");
  assert.equal(await p.exists(`${IMAGES}/extra.txt`), false);
  assert.equal(await p.read(`${IMAGES}/a.txt`), "lr=0.1\n");
});

Deno.test("pivot checkout keeps a directory holding a file no manifest records (a symlink) unless --force", async () => {
  const { p, v1 } = await twoVersions();
  await using _ = p;
  // Every hashed file is in the cache, but the symlink would be lost.
  await Deno.symlink("a.txt", p.path(`${IMAGES}/alias.txt`));
  await git(p.root, "checkout", v1, "--", ".");
  const refused = await runPivotInProcess(p.root, ["checkout", "images"]);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr.split("\n").slice(0, 2).join("\n"),
    "error: 1 path differs from the recorded version and was not overwritten:\n" +
      `  images → ${IMAGES}/ (${IMAGES}/alias.txt is not in the cache)`,
  );
  assert.ok((await Deno.lstat(p.path(`${IMAGES}/alias.txt`))).isSymlink);
});

Deno.test("pivot checkout names a few of the files that keep a directory from being replaced", async () => {
  const { p, v1 } = await twoVersions();
  await using _ = p;
  for (const name of ["e1", "e2", "e3", "e4", "e5"]) await p.write(`${IMAGES}/new/${name}`, name);
  await p.write(`${IMAGES}/.git/HEAD`, "ref\n");
  await git(p.root, "checkout", v1, "--", ".");
  const refused = await runPivotInProcess(p.root, ["checkout", "images"]);
  assert.equal(refused.code, 1);
  assert.equal(
    refused.stderr.split("\n").slice(0, 2).join("\n"),
    "error: 1 path differs from the recorded version and was not overwritten:\n" +
      `  images → ${IMAGES}/ (${IMAGES}/.git, ${IMAGES}/new/e1, ${IMAGES}/new/e2 and 3 more are not in the cache)`,
  );
});

Deno.test("pivot checkout --relink re-creates files in the checkout mode: copies, hardlinks, symlinks", async () => {
  const { p } = await twoVersions();
  await using _ = p;
  const files = [TRAIN, `${IMAGES}/a.txt`, `${IMAGES}/b.txt`];
  assert.equal(
    await pivot(p, "checkout", "--relink", "--checkout-mode", "copy"),
    `relinked train → ${TRAIN}\nrelinked images → ${IMAGES}/\n2 relinked\n`,
  );
  for (const rel of files) {
    assert.equal(Deno.lstatSync(p.path(rel)).nlink, 1, rel);
    assert.equal(Deno.lstatSync(p.path(rel)).mode! & 0o777, 0o644, rel);
  }

  // Content matches, so a plain checkout leaves the copies alone.
  assert.equal(await pivot(p, "checkout"), "2 up to date\n");
  assert.equal(
    await pivot(p, "checkout", "--relink"),
    `relinked train → ${TRAIN}\nrelinked images → ${IMAGES}/\n2 relinked\n`,
  );
  for (const rel of files) assertHardlinked(p, rel);
  assert.equal(await pivot(p, "checkout", "--relink"), "2 up to date\n");

  // To symlinks, as a changed cache.checkout_mode asks.
  await p.write(".pivot/config.yaml", "cache:\n  checkout_mode: [symlink, copy]\n");
  assert.equal(
    await pivot(p, "checkout", "--relink", "train"),
    `relinked train → ${TRAIN}\n1 relinked\n`,
  );
  assert.ok(Deno.lstatSync(p.path(TRAIN)).isSymlink);
  assert.equal(
    Deno.realPathSync(p.path(TRAIN)),
    blobPath(p.path(".pivot/cache"), hashBytes("lr=0.2\n")),
  );
});

Deno.test("pivot checkout --relink relinks a tracked file and refuses --only-missing", async () => {
  await using p = await makeProject({ "raw.csv": "a,b\n1,2\n" });
  await pivot(p, "track", "raw.csv");
  await pivot(p, "checkout", "--force", "--checkout-mode", "copy", "raw.csv");
  assert.equal(Deno.lstatSync(p.path("raw.csv")).nlink, 1);

  assert.equal(await pivot(p, "checkout", "--relink"), "relinked raw.csv\n1 relinked\n");
  assertHardlinked(p, "raw.csv");

  const both = await runPivotInProcess(p.root, ["checkout", "--relink", "--only-missing"]);
  assert.equal(both.code, 1);
  assert.equal(
    both.stderr,
    "error: --relink and --only-missing cannot be used together\n" +
      "hint: --only-missing leaves existing files alone; --relink re-creates them\n",
  );
});
