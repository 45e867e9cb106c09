/**
 * A project for remote tests: two stages (a file output, a text output, a
 * directory output and a metric), a tracked file, run for real and committed
 * to a real git repository, with a remote of either kind configured.
 *
 * Commands run in the test process (`pivot`), an S3 remote's credentials in
 * its endpoint URL: the AWS SDK reads the process environment itself, which
 * tests never change. `pivotSpawned` runs a real process with the credentials
 * in the environment instead (the SDK's standard chain), for a remote from
 * `testRemote(..., "environment")`.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { type TempDir, tempDir } from "../_helpers/files.ts";
import { runPivotInProcess } from "../_helpers/in_process.ts";
import { type CliResult, runPivot } from "../_helpers/project.ts";
import { S3_ACCESS_KEY, type S3Server } from "../_helpers/s3_server.ts";
import { hashBytes } from "../../src/storage/mod.ts";

/** The pipeline: `prep` (csv), `train` (model, a directory of images, a metric). */
export const PIPELINE = [
  "pipeline: ml",
  "stages:",
  "  prep:",
  `    cmd: tr a-z A-Z < "$PIVOT_DEP_RAW" > "$PIVOT_OUT"`,
  "    deps: {raw: raw.csv}",
  "    outs: csv",
  "  train:",
  "    cmd: |",
  `      cat "$PIVOT_DEP_DATA" "$PIVOT_DEP_DATA" > "$PIVOT_OUT_MODEL"`,
  `      mkdir -p "$PIVOT_OUT_IMAGES" && echo cat > "$PIVOT_OUT_IMAGES/cat.txt" && echo dog > "$PIVOT_OUT_IMAGES/dog.txt"`,
  `      echo '{"acc": 1}' > "$PIVOT_OUT_SCORES"`,
  "    deps: {data: prep}",
  "    outs: {model: txt, images: dir, scores: {format: json, kind: metric}}",
  "",
].join("\n");

const RAW = "a,b\n1,2\n";
const PREP = "A,B\n1,2\n";

/** The content of each blob the project's locks and `.pvt` reference, by name. */
export const CONTENT = {
  prep: PREP,
  model: PREP + PREP,
  cat: "cat\n",
  dog: "dog\n",
  scores: '{"acc": 1}\n',
  ref: "reference data\n",
} as const;

/** The hash of each blob, by name. */
export const HASH: Record<keyof typeof CONTENT, string> = Object.fromEntries(
  Object.entries(CONTENT).map(([name, text]) => [name, hashBytes(text)]),
) as Record<keyof typeof CONTENT, string>;

/** `files/ab/cdef…` of the blob `name`. */
export function blobKey(name: keyof typeof CONTENT): string {
  const hash = HASH[name];
  return `files/${hash.slice(0, 2)}/${hash.slice(2)}`;
}

/** The kinds of remote the tests run against. */
export type RemoteKind = "s3" | "directory";

/** The environment a pivot process gets: AWS credentials through the standard chain. */
export const AWS_ENV = {
  AWS_ACCESS_KEY_ID: S3_ACCESS_KEY,
  AWS_SECRET_ACCESS_KEY: "local-test-secret-key",
  AWS_REGION: "us-east-1",
};

/** `endpoint` (`http://127.0.0.1:<port>`) with the credentials of {@linkcode AWS_ENV} in it. */
export function credentialed(endpoint: string): string {
  return endpoint.replace(
    "http://",
    `http://${AWS_ENV.AWS_ACCESS_KEY_ID}:${AWS_ENV.AWS_SECRET_ACCESS_KEY}@`,
  );
}

/** Runs pivot in this process, asserting success unless `expectCode`. */
export function pivot(
  cwd: string,
  args: readonly string[],
  expectCode: number | null = 0,
  env: Record<string, string> = {},
): Promise<CliResult> {
  return expectingCode(runPivotInProcess(cwd, args, env), args, expectCode);
}

/** {@linkcode pivot} as a real process with the AWS environment. */
export function pivotSpawned(
  cwd: string,
  args: readonly string[],
  expectCode: number | null = 0,
  env: Record<string, string> = {},
): Promise<CliResult> {
  return expectingCode(runPivot(cwd, args, { ...AWS_ENV, ...env }), args, expectCode);
}

async function expectingCode(
  run: Promise<CliResult>,
  args: readonly string[],
  expectCode: number | null,
): Promise<CliResult> {
  const result = await run;
  if (expectCode !== null) {
    assert.equal(
      result.code,
      expectCode,
      `pivot ${args.join(" ")}:\n${result.stdout}${result.stderr}`,
    );
  }
  return result;
}

/** Runs git in `cwd`. */
export async function git(cwd: string, ...args: string[]): Promise<void> {
  const output = await new Deno.Command("git", {
    args: ["-c", "user.email=test@example.com", "-c", "user.name=test", ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
}

/** A remote for a test: where it is, and what it holds. */
export interface TestRemote {
  readonly kind: RemoteKind;
  /** The URL to configure. */
  readonly url: string;
  /** `remote modify` settings to apply after `remote add`. */
  readonly settings: readonly [string, string][];
  /** Object keys it holds (relative to the remote's prefix), sorted. */
  keys(): string[];
  /** Replaces the content of an object. */
  overwrite(key: string, data: Uint8Array): Promise<void>;
  /** Removes an object. */
  remove(key: string): Promise<void>;
  /** The stored size of an object. */
  size(key: string): Promise<number>;
}

/**
 * A remote of `kind`: a prefix of `server`'s bucket, or a directory inside
 * `dir`. An S3 remote's endpoint holds the credentials, unless they are to
 * come from the `environment` (then only {@linkcode pivotSpawned} can use it).
 */
export function testRemote(
  kind: RemoteKind,
  server: S3Server,
  dir: TempDir,
  name: string,
  credentials: "endpoint" | "environment" = "endpoint",
): TestRemote {
  if (kind === "s3") {
    const prefix = `${name}/`;
    const within = () =>
      server.keys().filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length));
    const endpoint = credentials === "endpoint" ? credentialed(server.endpoint) : server.endpoint;
    return {
      kind,
      url: `s3://${server.bucket}/${name}`,
      settings: [["endpoint", endpoint], ["path_style", "true"]],
      keys: within,
      overwrite: (key, data) => server.overwrite(prefix + key, data),
      remove: (key) => server.remove(prefix + key),
      size: (key) => server.size(prefix + key),
    };
  }
  const root = path.join(dir.path, name);
  Deno.mkdirSync(root, { recursive: true });
  const keys = (): string[] => {
    const out: string[] = [];
    const walk = (abs: string, rel: string) => {
      for (const entry of Deno.readDirSync(abs)) {
        const child = rel === "" ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory) walk(path.join(abs, entry.name), child);
        else out.push(child);
      }
    };
    walk(root, "");
    return out.sort();
  };
  return {
    kind,
    url: root,
    settings: [],
    keys,
    overwrite: async (key, data) => {
      const file = path.join(root, key);
      await Deno.chmod(file, 0o644);
      await Deno.writeFile(file, data);
    },
    remove: (key) => Deno.remove(path.join(root, key)),
    size: async (key) => (await Deno.stat(path.join(root, key))).size,
  };
}

/** A project that ran (and tracked `ref.txt`), committed to git, with `remote` as `origin`. */
export async function ranProject(remote: TestRemote): Promise<TempDir> {
  const dir = await tempDir("pivot_remote_");
  const root = dir.path;
  await Deno.mkdir(path.join(root, ".pivot"));
  await Deno.writeTextFile(path.join(root, "pivot.yaml"), PIPELINE);
  await Deno.writeTextFile(path.join(root, "raw.csv"), RAW);
  await Deno.writeTextFile(path.join(root, "ref.txt"), CONTENT.ref);
  await git(root, "init", "-q");
  await pivot(root, ["repro"]);
  await pivot(root, ["track", "ref.txt"]);
  await pivot(root, ["remote", "add", "origin", remote.url]);
  for (const [key, value] of remote.settings) {
    await pivot(root, ["remote", "modify", "origin", key, value]);
  }
  await git(root, "add", "-A");
  await git(root, "commit", "-q", "-m", "ran");
  return dir;
}

/** A `git clone` of `source` next to it (a temp dir that removes itself). */
export async function cloneOf(source: string): Promise<TempDir> {
  const dir = await tempDir("pivot_clone_");
  await git(dir.path, "clone", "-q", source, "work");
  return {
    path: path.join(dir.path, "work"),
    [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose](),
  };
}

/** The run-cache keys among `keys` (`runs/ml/<stage>/<input hash>.json` → `runs/ml/<stage>`). */
export function runCacheStages(keys: readonly string[]): string[] {
  return keys.filter((key) => key.startsWith("runs/")).map((key) => {
    assert.match(key, /^runs\/ml\/(prep|train)\/[0-9a-f]{16}\.json$/);
    return key.slice(0, key.lastIndexOf("/"));
  });
}

/** The blob keys among `keys`. */
export function blobKeys(keys: readonly string[]): string[] {
  return keys.filter((key) => key.startsWith("files/"));
}

/** Sorted blob keys of `names`. */
export function keysOf(...names: (keyof typeof CONTENT)[]): string[] {
  return names.map(blobKey).sort();
}

/** Names of files in the cache's blob directories that are not blobs (temp files). */
export function cacheLeftovers(root: string): string[] {
  const files = path.join(root, ".pivot/cache/files");
  const out: string[] = [];
  try {
    for (const prefix of Deno.readDirSync(files)) {
      for (const entry of Deno.readDirSync(path.join(files, prefix.name))) {
        if (!/^[0-9a-f]{14}$/.test(entry.name)) out.push(`${prefix.name}/${entry.name}`);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out;
}
