/**
 * Entry module of a loader worker when pivot runs from source (a bundled or
 * compiled pivot starts it from its main module).
 *
 * @module
 */
import { serveModuleLoads } from "./module_loader_worker.ts";

serveModuleLoads();
