/**
 * The latest events of a watch session, numbered, for `events_since` on the
 * control socket: a ring of a fixed size, so memory stays flat however long
 * the session runs.
 *
 * @module
 */

/** An event with its number (1, 2, …). */
export interface NumberedEvent<T> {
  readonly version: number;
  readonly event: T;
}

/** What {@linkcode EventLog.since} returns. */
export interface EventsSince<T> {
  /** The number of the latest event (0: none yet). */
  readonly version: number;
  /** The events after the version asked for that the log still holds, oldest first. */
  readonly events: readonly NumberedEvent<T>[];
  /** True when events after the version asked for were dropped from the ring already. */
  readonly truncated: boolean;
}

/** Keeps the last `size` events. */
export class EventLog<T> {
  readonly #size: number;
  readonly #ring: NumberedEvent<T>[] = [];
  #version = 0;

  /** A log of at most `size` events. */
  constructor(size: number) {
    this.#size = size;
  }

  /** Adds `event`. */
  push(event: T): void {
    this.#version++;
    this.#ring.push({ version: this.#version, event });
    if (this.#ring.length > this.#size) this.#ring.shift();
  }

  /** The events numbered above `version`. */
  since(version: number): EventsSince<T> {
    const events = this.#ring.filter((entry) => entry.version > version);
    const oldest = this.#ring[0]?.version ?? this.#version + 1;
    return {
      version: this.#version,
      events,
      truncated: oldest > version + 1 && version < this.#version,
    };
  }
}
