/**
 * `stat` with the times as the file system keeps them (nanoseconds on ext4,
 * xfs, btrfs, tmpfs). Deno's `stat` (and `node:fs`'s, even with `bigint`)
 * reports the mtime in milliseconds and the ctime in whole seconds, so a
 * file changed in the last second or two cannot be told from one changed
 * again within the same tick ("racily clean", as git calls it). On Linux
 * this calls `statx(2)` through FFI, which also reports a missing path
 * without an exception (a thrown `NotFound` costs about 20 µs, a `statx`
 * 2 µs); elsewhere, or when FFI is not allowed, it uses Deno's `stat`,
 * whose times then read as coarse (see `storage/racy_window.ts`).
 *
 * @module
 */
import * as path from "node:path";

/** What {@linkcode PreciseStat.stat} returns for a path that does not exist. */
export const PATH_ABSENT = "absent" as const;

/** A path's status, with its times to the nanosecond when the system gives them. */
export interface PreciseInfo {
  readonly kind: "file" | "directory" | "symlink" | "other";
  readonly size: number;
  readonly ino: number;
  readonly nlink: number;
  /** File type and permission bits (`st_mode`). */
  readonly mode: number;
  /** Modification time: whole seconds since the epoch, and nanoseconds. */
  readonly mtimeSec: number;
  readonly mtimeNsec: number;
  /** Status-change time: whole seconds since the epoch, and nanoseconds. */
  readonly ctimeSec: number;
  readonly ctimeNsec: number;
}

/** The `stat` of paths with full-precision times; dispose of it when done. */
export interface PreciseStat extends Disposable {
  /**
   * The status of `file` (following a final symlink unless `follow` is
   * false), {@linkcode PATH_ABSENT} when it does not exist (or a parent is
   * not a directory), or `null` when it cannot be read for another reason.
   */
  stat(file: string, follow?: boolean): PreciseInfo | typeof PATH_ABSENT | null;
  /** True when times come from `statx` (to the nanosecond), false with Deno's `stat`. */
  readonly precise: boolean;
}

/**
 * True when `file` does not exist and the nearest path above it that does is
 * a directory: it is simply missing, found so without an exception. False
 * when it exists, or when something else may be wrong (a file where a
 * directory belongs, no permission): Deno's own calls then name it. `dirs`
 * remembers what the directories above were found to be, for the next
 * call (within one look at many paths, such as the `.pvt` files beside a
 * thousand inputs of one directory).
 */
export function plainlyAbsent(
  stats: PreciseStat,
  file: string,
  follow = true,
  dirs?: Map<string, boolean>,
): boolean {
  return stats.stat(file, follow) === PATH_ABSENT && absentIsPlain(stats, file, dirs);
}

/**
 * True when the nearest path above `file` (found absent) that exists is a
 * directory (see {@linkcode plainlyAbsent}, also for `dirs`).
 */
export function absentIsPlain(
  stats: PreciseStat,
  file: string,
  dirs?: Map<string, boolean>,
): boolean {
  const walked: string[] = [];
  let plain = false;
  for (let dir = path.dirname(file);; dir = path.dirname(dir)) {
    const known = dirs?.get(dir);
    if (known !== undefined) {
      plain = known;
      break;
    }
    walked.push(dir);
    const info = stats.stat(dir);
    if (info !== PATH_ABSENT) {
      plain = info !== null && info.kind === "directory";
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of walked) dirs?.set(dir, plain);
  return plain;
}

/**
 * A time in milliseconds since the epoch, with its fraction (exact enough to
 * compare equal). A time with a fraction of a millisecond always has one
 * here: a double near today's times in milliseconds keeps steps of 1/4096
 * ms, so a fraction nearer a whole millisecond than 1/2048 is held at
 * 1/2048 from it (what tells a fine time from a coarse one, see
 * `storage/racy_window.ts`).
 */
export function timeMs(sec: number, nsec: number): number {
  const whole = sec * 1000 + Math.floor(nsec / 1e6);
  const fraction = (nsec % 1e6) / 1e6;
  if (fraction === 0) return whole;
  return whole + Math.min(Math.max(fraction, 1 / 2048), 1 - 1 / 2048);
}

/** A time as exact text: seconds and nine digits of nanoseconds. */
export function timeText(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, "0")}`;
}

/**
 * Opens the `statx` of the C library through FFI, or, when that is not
 * available (not Linux, FFI not allowed, no such library), Deno's `stat`.
 */
export function openPreciseStat(): PreciseStat {
  return Deno.build.os === "linux" ? openStatx() ?? DENO_STAT : DENO_STAT;
}

const STATX_SYMBOLS = {
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** `AT_FDCWD`: relative paths resolve against the working directory. */
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
/** `STATX_BASIC_STATS`: every field `stat` fills. */
const STATX_BASIC_STATS = 0x7ff;
const STATX_MTIME = 0x40;
const STATX_CTIME = 0x80;
const ENOENT = 2;
const ENOTDIR = 20;
const S_IFMT = 0o170000;

/** The C libraries tried, glibc first. */
const LIBRARIES = ["libc.so.6", "libc.so"];

function openStatx(): PreciseStat | null {
  let lib: Deno.DynamicLibrary<typeof STATX_SYMBOLS> | null = null;
  for (const name of LIBRARIES) {
    try {
      lib = Deno.dlopen(name, STATX_SYMBOLS);
      break;
    } catch {
      // Not this library (or FFI not allowed): the next, then Deno's stat.
    }
  }
  if (lib === null) return null;
  const { statx, __errno_location } = lib.symbols;
  // `struct statx`, read through typed arrays (element loads, cheaper than DataView calls
  // while the code is still interpreted: a look at a few thousand paths runs once).
  const out = new Uint8Array(256);
  const u16 = new Uint16Array(out.buffer);
  const u32 = new Uint32Array(out.buffer);
  const i32 = new Int32Array(out.buffer);
  const encoder = new TextEncoder();
  let name = new Uint8Array(4096);
  let closed = false;
  return {
    precise: true,
    stat(file, follow = true) {
      // UTF-8 takes at most three bytes per UTF-16 unit, plus the terminating NUL.
      if (file.length * 3 + 1 > name.length) name = new Uint8Array(file.length * 3 + 1);
      const { written } = encoder.encodeInto(file, name);
      name[written] = 0;
      if (statx(AT_FDCWD, name, follow ? 0 : AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, out) !== 0) {
        const errno = new Deno.UnsafePointerView(__errno_location()!).getInt32();
        return errno === ENOENT || errno === ENOTDIR ? PATH_ABSENT : null;
      }
      // Offsets (bytes): mask 0, nlink 16, mode 28, ino 32, size 40, ctime 96, mtime 112; a
      // 64-bit field is read as two halves, low first (little-endian: every platform Deno runs
      // on), without a BigInt; the seconds are signed (exact to 2^53).
      const mask = u32[0]!;
      const mode = u16[14]!;
      const type = mode & S_IFMT;
      const hasMtime = (mask & STATX_MTIME) !== 0;
      const hasCtime = (mask & STATX_CTIME) !== 0;
      return {
        kind: type === 0o100000
          ? "file"
          : type === 0o040000
          ? "directory"
          : type === 0o120000
          ? "symlink"
          : "other",
        size: u32[10]! + u32[11]! * 2 ** 32,
        ino: u32[8]! + u32[9]! * 2 ** 32,
        nlink: u32[4]!,
        mode,
        mtimeSec: hasMtime ? u32[28]! + i32[29]! * 2 ** 32 : 0,
        mtimeNsec: hasMtime ? u32[30]! : 0,
        ctimeSec: hasCtime ? u32[24]! + i32[25]! * 2 ** 32 : 0,
        ctimeNsec: hasCtime ? u32[26]! : 0,
      };
    },
    [Symbol.dispose]() {
      if (closed) return;
      closed = true;
      lib.close();
    },
  };
}

/**
 * Deno's `stat` behind the same interface: the mtime in milliseconds, the
 * ctime in whole seconds (so every time reads as coarse). Nothing to dispose of.
 */
export const DENO_STAT: PreciseStat = {
  precise: false,
  stat(file, follow = true) {
    let info: Deno.FileInfo;
    try {
      info = follow ? Deno.statSync(file) : Deno.lstatSync(file);
    } catch (error) {
      const missing = error instanceof Deno.errors.NotFound ||
        error instanceof Deno.errors.NotADirectory;
      return missing ? PATH_ABSENT : null;
    }
    const mtime = info.mtime?.getTime() ?? 0;
    const ctime = info.ctime?.getTime() ?? 0;
    return {
      kind: info.isFile
        ? "file"
        : info.isDirectory
        ? "directory"
        : info.isSymlink
        ? "symlink"
        : "other",
      size: info.size,
      ino: info.ino ?? 0,
      nlink: info.nlink ?? 0,
      mode: info.mode ?? 0,
      mtimeSec: Math.floor(mtime / 1000),
      mtimeNsec: (mtime - Math.floor(mtime / 1000) * 1000) * 1e6,
      ctimeSec: Math.floor(ctime / 1000),
      ctimeNsec: (ctime - Math.floor(ctime / 1000) * 1000) * 1e6,
    };
  },
  [Symbol.dispose]() {},
};
