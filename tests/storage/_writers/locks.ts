/**
 * Two valid, different stage locks for the lock-writer atomicity test; the
 * writer and the test import the same values.
 *
 * @module
 */
import {
  hashBytes,
  type ManifestEntry,
  type StageLock,
  treeHash,
  xxhashReady,
} from "../../../src/storage/mod.ts";

await xxhashReady;

function manifest(prefix: string, count: number): ManifestEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const relpath = `${prefix}/part-${String(i).padStart(4, "0")}.bin`;
    return { relpath, hash: hashBytes(relpath), size: 1000 + i, isexec: i % 7 === 0 };
  });
}

function lock(variant: string, files: number): StageLock {
  const outManifest = manifest(`shards-${variant}`, files);
  const depManifest = manifest(`raw-${variant}`, Math.floor(files / 2));
  return {
    stage: `train@${variant}`,
    pipeline: "ml",
    fingerprint: {
      hash: hashBytes(`fingerprint ${variant}`),
      manifest: { cmd: hashBytes(`cmd ${variant}`), "fn:stages.ts#train": hashBytes(variant) },
    },
    params: { lr: variant === "small" ? 0.01 : 0.001, layers: [64, files], name: variant },
    deps: [
      { name: "config", identity: null, path: "config.yaml", hash: hashBytes(`config ${variant}`) },
      {
        name: "raw",
        identity: "prep:clean",
        path: "data/prep/clean",
        hash: treeHash(depManifest),
        manifest: depManifest,
      },
    ],
    outs: [
      // Sorted by path, as a lock file lists them.
      {
        key: "metrics",
        path: "data/ml/train/metrics.json",
        hash: hashBytes(variant),
        cache: false,
      },
      {
        key: "model",
        path: "data/ml/train/model",
        hash: treeHash(outManifest),
        cache: true,
        manifest: outManifest,
      },
    ],
  };
}

/** A lock with a small manifest (a few KiB of YAML). */
export const LOCK_A: StageLock = lock("small", 20);
/** A lock with a large manifest (some 70 KiB of YAML). */
export const LOCK_B: StageLock = lock("large", 400);
