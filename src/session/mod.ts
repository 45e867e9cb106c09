/**
 * The session of a command: the one owner of its state databases, content
 * cache, hash, parse and fingerprint caches and worker pool.
 *
 * @module
 */
export { openSession, type OpenSessionOptions, sessionFor } from "./open_session.ts";
export { Session, type SessionOptions } from "./session.ts";
