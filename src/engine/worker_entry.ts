/**
 * Entry module of a pool worker when pivot runs from source.
 *
 * @module
 */
import { startWorker } from "./worker_main.ts";

startWorker();
