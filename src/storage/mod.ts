/**
 * Storage: xxHash64 hashing, directory manifests, the hash cache in
 * `state.db`, the content-addressed blob cache, checkout modes, lock files
 * and `.pvt` files.
 *
 * @module
 */
export * from "./checkout.ts";
export * from "./content_cache.ts";
export * from "./file_hasher.ts";
export * from "./hash_string.ts";
export * from "./json_parts.ts";
export * from "./lock_file.ts";
export * from "./manifest.ts";
export * from "./pvt_file.ts";
export * from "./run_cache_outputs.ts";
export * from "./parse_cache.ts";
export * from "./safe_path.ts";
export * from "./state_db.ts";
export * from "./state_dir.ts";
export * from "./xxhash.ts";
