/**
 * The databases a test file can run against, each isolated to the file:
 * PGlite (in memory, loaded from the run's migrated template) and PostgreSQL
 * (a schema of its own in `TEST_DATABASE_URL`, dropped afterwards).
 */
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, Redacted } from "effect"
import type { SqlClient } from "effect/sql"
import { inject } from "vitest"
import { migrated, postgres } from "../../src/Repo/Database.ts"
import * as Pglite from "../../src/Repo/Pglite.ts"

export const testDatabaseUrl = process.env.TEST_DATABASE_URL
if (testDatabaseUrl === undefined && process.env.CI) {
  throw new Error("TEST_DATABASE_URL is required under CI=true: the PostgreSQL tests may not be skipped")
}
/** Locally, PostgreSQL tests are skipped without TEST_DATABASE_URL; under CI they are required (above). */
export const skipPostgres = testDatabaseUrl === undefined

/** An in-memory PGlite with every migration applied. */
export const pgliteLayer = (): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, unknown> =>
  Pglite.layer({ dataDir: undefined, templateDir: inject("pgliteTemplate") })

const adminClient = () =>
  PgClient.layer({ url: Redacted.make(testDatabaseUrl!), maxConnections: 1, applicationName: "zoo-api-tests" })

/**
 * A PostgreSQL pool confined to a fresh schema (via `search_path`), migrated,
 * and dropped with everything in it when the layer closes.
 */
export const postgresLayer = (
  name: string,
  options: { readonly poolSize?: number } = {}
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, unknown> => {
  const schema = `test_${name.replace(/\W/g, "_")}_${globalThis.crypto.randomUUID().slice(0, 8)}`
  const schemaLifetime = Layer.effectDiscard(Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    yield* sql`CREATE SCHEMA ${sql(schema)}`
    yield* Effect.addFinalizer(() => Effect.ignore(sql`DROP SCHEMA ${sql(schema)} CASCADE`))
  })).pipe(Layer.provide(adminClient()))
  const client = postgres({
    url: Redacted.make(testDatabaseUrl!),
    poolSize: options.poolSize ?? 10,
    idleTimeout: Duration.seconds(30),
    connectTimeout: Duration.seconds(5),
    statementTimeout: Duration.seconds(10),
    searchPath: schema
  })
  return migrated(client).pipe(Layer.provide(schemaLifetime))
}
