/**
 * `npm run build`: the service as one ES module, `dist/main.js` (plus a chunk
 * for the embedded database, loaded only when it is used). Node then loads one
 * file instead of resolving and type-stripping hundreds: the production start
 * (`npm run start:dist`, the Docker image) is measured by `npm run bench`.
 */
import type { BuildOptions } from "rolldown"

export default {
  input: "src/main.ts",
  platform: "node",
  // Read from their own packages at run time: PGlite loads its WebAssembly and
  // data files next to its module, and the docs page serves Scalar's bundle file.
  external: ["@electric-sql/pglite", "@scalar/api-reference"],
  output: { dir: "dist", format: "esm", sourcemap: true }
} satisfies BuildOptions
