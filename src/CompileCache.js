/**
 * Preloaded by `npm start` (`node --import ./src/CompileCache.js src/main.ts`):
 * turns on Node's compile cache before the service's modules load, so every
 * start after the first reads their type-stripped, compiled code from disk
 * instead of stripping and compiling ~550 modules again (a fifth of a start's
 * CPU). It cannot be turned on from `main.ts`, whose imports load before its
 * first line runs; and this file is JavaScript because the first TypeScript
 * file Node loads starts its type stripper (~100 ms and ~15 MiB), which a
 * warm cache otherwise never needs.
 *
 * The cache lives where Node puts it: `NODE_COMPILE_CACHE` if set, else
 * `node-compile-cache` in the OS's temporary directory. An entry whose source
 * changed is not used; one that cannot be written is skipped.
 * `NODE_DISABLE_COMPILE_CACHE=1` turns it off.
 */
import * as Module from "node:module"

Module.enableCompileCache()
