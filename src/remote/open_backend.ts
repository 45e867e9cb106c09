import { PivotError } from "../util/errors.ts";
import type { RemoteBackend } from "./backend.ts";
import { DirectoryBackend } from "./directory_backend.ts";
import { parseRemoteUrl } from "./remote_url.ts";
import { S3Backend, type S3Settings } from "./s3_backend.ts";

/** A remote's URL and settings, as configured. */
export interface RemoteSpec extends S3Settings {
  /** `s3://bucket/prefix`, a directory path or a `file://` URL. */
  readonly url: string;
}

/**
 * Opens the backend of `spec`; a relative directory path is resolved against
 * `baseDir` (the project root). The AWS SDK is loaded only for an S3 remote.
 *
 * @throws {PivotError} on a bad URL, S3 settings on a directory remote, or a missing directory
 */
export async function openBackend(spec: RemoteSpec, baseDir: string): Promise<RemoteBackend> {
  const location = parseRemoteUrl(spec.url, baseDir);
  if (location.kind === "s3") return await S3Backend.open(location.bucket, location.prefix, spec);
  const s3Only = (["endpoint", "region", "profile", "pathStyle"] as const).filter((key) =>
    spec[key] !== undefined
  );
  if (s3Only.length > 0) {
    throw new PivotError(
      `the directory remote ${location.path} has S3 settings: ${
        s3Only.map((key) => key === "pathStyle" ? "path_style" : key).join(", ")
      }`,
      { hint: "remove them from the remote's settings; they apply to s3:// remotes only" },
    );
  }
  return await DirectoryBackend.open(location.path);
}
