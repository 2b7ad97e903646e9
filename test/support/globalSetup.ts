/**
 * Once per test run: a PGlite data directory with every migration applied.
 * Test files load it into an in-memory PGlite (~0.4 s) instead of running
 * initdb and the migrations again (~3 s) each.
 */
import { Effect, Layer } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import type { TestProject } from "vitest/node"
import { migrated } from "../../src/Repo/Database.ts"
import * as Pglite from "../../src/Repo/Pglite.ts"

declare module "vitest" {
  export interface ProvidedContext {
    readonly pgliteTemplate: string
  }
}

export default async function setup(project: TestProject) {
  // Said once per run, as the Chromium and Redis skips are (under CI, test/support/Databases.ts refuses to skip).
  if (process.env.TEST_DATABASE_URL === undefined && !process.env.CI) {
    console.error("PostgreSQL tests skipped: TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)")
  }
  const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-api-test-"))
  const templateDir = Path.join(root, "template")
  // Build (which migrates), then close: PGlite writes everything to the directory.
  await Effect.runPromise(Effect.scoped(Layer.build(migrated(Pglite.layer({ dataDir: templateDir })))))
  project.provide("pgliteTemplate", templateDir)
  return () => Fs.rmSync(root, { recursive: true, force: true })
}
