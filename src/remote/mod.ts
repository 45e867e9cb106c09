/**
 * Remotes: one small interface (size / put / get / list, streamed) with a
 * directory and an S3 backend, parallel transfers that are retried and
 * verified against their hashes, existence checks through the remote index,
 * and run-cache entries on the remote.
 *
 * @module
 */
export * from "./backend.ts";
export * from "./directory_backend.ts";
export * from "./find_on_remote.ts";
export * from "./object_keys.ts";
export * from "./open_backend.ts";
export * from "./redact.ts";
export * from "./remote_run_cache.ts";
export * from "./remote_url.ts";
export * from "./retry.ts";
export * from "./s3_backend.ts";
export * from "./transfer_blobs.ts";
export * from "./transfer_events.ts";
