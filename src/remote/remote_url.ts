/**
 * Remote URLs: `s3://bucket[/prefix]`, a directory path (absolute, or
 * relative to the project root) or a `file://` URL.
 *
 * @module
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { PivotError } from "../util/errors.ts";
import { redactUrl } from "./redact.ts";

/** Where a remote keeps its objects. */
export type RemoteLocation =
  | {
    readonly kind: "s3";
    readonly bucket: string;
    /** Key prefix: `""` or `a/b/` (always ending in `/`). */
    readonly prefix: string;
  }
  | {
    readonly kind: "directory";
    /** Absolute path of the directory. */
    readonly path: string;
  };

/** S3 bucket names (with the dots, underscores and capitals some S3-compatible servers allow). */
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/;

const ALLOWED = "use s3://bucket/prefix, a directory path or a file:// URL";

/** A URL scheme written without its `//` (`s3:/bucket/x`, `file:data`), which is no directory. */
const SLASHLESS_SCHEME = /^(s3|file|gs|gcs|az|azure|http|https|ssh|hdfs|webdav|oss):(?!\/\/)(.*)$/i;

/**
 * Parses a remote URL; a relative directory path is resolved against
 * `baseDir` (the project root).
 *
 * @throws {PivotError} saying what is wrong and what is allowed (never echoing credentials)
 */
export function parseRemoteUrl(url: string, baseDir: string): RemoteLocation {
  const shown = redactUrl(url);
  const bad = (detail: string): never => {
    throw new PivotError(`invalid remote URL '${shown}': ${detail}`, { hint: ALLOWED });
  };
  const scheme = url.match(/^([A-Za-z][A-Za-z0-9+.-]*):\/\//)?.[1]?.toLowerCase();
  if (scheme === "s3") {
    const match = url.match(/^s3:\/\/([^/]*)(?:\/(.*))?$/i);
    const bucket = match?.[1] ?? "";
    if (bucket.includes("@")) bad("credentials do not belong in the URL");
    if (!BUCKET.test(bucket)) bad(`'${bucket}' is not a bucket name`);
    const segments = (match?.[2] ?? "").split("/").filter((segment) => segment !== "");
    for (const segment of segments) {
      if (segment === "." || segment === "..") bad("the prefix has a '.' or '..' segment");
    }
    return { kind: "s3", bucket, prefix: segments.map((s) => `${s}/`).join("") };
  }
  if (scheme === "file") {
    let file: string;
    try {
      file = fileURLToPath(url);
    } catch {
      return bad("not a local file:// URL");
    }
    return { kind: "directory", path: path.resolve(file) };
  }
  if (scheme !== undefined) bad(`unsupported scheme '${scheme}'`);
  const slashless = url.match(SLASHLESS_SCHEME);
  if (slashless !== null) {
    const written = slashless[1]!;
    const scheme = written.toLowerCase();
    if (scheme !== "s3" && scheme !== "file") bad(`unsupported scheme '${scheme}'`);
    const rest = slashless[2]!;
    // `file:/mnt/x` meant file:///mnt/x; `file:data` a relative directory.
    const meant = scheme === "s3"
      ? `s3://${rest.replace(/^\/+/, "")}`
      : rest.startsWith("/")
      ? `file:///${rest.replace(/^\/+/, "")}`
      : `./${rest}`;
    throw new PivotError(
      `invalid remote URL '${shown}': '${written}:' must be followed by '//'`,
      {
        hint: `did you mean '${
          redactUrl(meant)
        }'? (a directory whose name has a colon: write ./${shown})`,
      },
    );
  }
  if (url.trim() === "") bad("empty");
  if (url.includes("\0")) bad("contains a NUL character");
  return { kind: "directory", path: path.resolve(baseDir, url) };
}

/**
 * Checks an S3 endpoint URL (`http(s)://host[:port][/path]`).
 *
 * @throws {PivotError} otherwise (never echoing credentials)
 */
export function checkEndpoint(endpoint: string): URL {
  let parsed: URL | null = null;
  try {
    parsed = new URL(endpoint);
  } catch {
    // reported below
  }
  if (parsed === null || !["http:", "https:"].includes(parsed.protocol) || parsed.host === "") {
    throw new PivotError(
      `invalid endpoint '${redactUrl(endpoint)}': expected http(s)://host[:port]`,
    );
  }
  return parsed;
}
