/**
 * PostgreSQL for whoever starts the service against a database of its own
 * (`bench.ts`, `soak.ts`, and the tests through `test/support/PostgresSchemas.ts`):
 * one schema per run, so a run starts empty and leaves nothing behind.
 */
import { PgClient } from "@effect/sql-pg"
import { type Duration, Effect, Redacted } from "effect"

/** One connection to `url` as given, for administration. */
export const adminClient = (url: string) =>
  PgClient.layer({ url: Redacted.make(url), maxConnections: 1, connectTimeout: "5 seconds", applicationName: "zoo-api-scripts" })

/** One statement as the database owner, on a connection of its own (bounded: 30 s unless `timeout` says). */
export const adminQuery = <A extends object = Record<string, unknown>>(
  url: string,
  text: string,
  params: ReadonlyArray<unknown> = [],
  timeout: Duration.Input = "30 seconds"
): Promise<ReadonlyArray<A>> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const sql = yield* PgClient.PgClient
      return yield* sql.unsafe<A>(text, params)
    }).pipe(
      Effect.provide(adminClient(url)),
      Effect.timeout(timeout)
    )
  )

/** The service confined to `schema` (its startup `options` set the search_path), optionally through a proxy on 127.0.0.1. */
export const urlForSchema = (url: string, schema: string) => (port?: number) => {
  const result = new URL(url)
  if (port !== undefined) {
    result.hostname = "127.0.0.1"
    result.port = String(port)
  }
  result.searchParams.set("options", `-c search_path=${schema}`)
  return result.toString()
}

/** A new schema named `<label>_<random>`: its URL, and how to drop it. */
export const createSchema = async (url: string, label: string) => {
  const schema = `${label}_${globalThis.crypto.randomUUID().slice(0, 8)}`
  await adminQuery(url, `CREATE SCHEMA "${schema}"`)
  return { schema, url: urlForSchema(url, schema), drop: () => adminQuery(url, `DROP SCHEMA IF EXISTS "${schema}" CASCADE`) }
}
