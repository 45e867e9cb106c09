/**
 * The WorkspaceStore: the only identity → path resolver.
 *
 * @module
 */
export * from "./workspace_store.ts";
