/**
 * A pool worker slow to take the coordinator's messages, as one whose
 * thread is busy (starting processes, say): each message is handled `delay`
 * ms (this module's URL's `?delay=`) after it arrives, in the order they
 * came; what the worker reports goes out at once. Entry module for pool
 * tests.
 *
 * @module
 */
import { startWorker } from "../../src/engine/worker_main.ts";

const delay = Number(new URL(import.meta.url).searchParams.get("delay") ?? 0);
const later = setTimeout;
startWorker();
const scope = globalThis as unknown as { onmessage: ((event: MessageEvent) => void) | null };
const handle = scope.onmessage!;
scope.onmessage = (event) => void later(() => handle(event), delay);
