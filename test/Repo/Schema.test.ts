/**
 * The rules the schema itself keeps (its triggers), checked with raw SQL on
 * each SQL backend: whatever an INSERT or UPDATE says, the database decides
 * the timestamps and the version an ETag is made of.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { SqlClient } from "effect/sql"
import { pgliteLayer, postgresLayer, skipPostgres } from "../support/Databases.ts"

/** A valid new row of each table, unique by `tag` (names and emails are unique keys). */
const tables: Record<string, (tag: string) => Record<string, string | number>> = {
  animals: (tag) => ({ id: globalThis.crypto.randomUUID(), name: tag, date_of_birth: "2020-01-01", species: "lion" }),
  habitats: (tag) => ({ id: globalThis.crypto.randomUUID(), name: tag, climate: "dry", capacity: 3 }),
  zookeepers: (tag) => ({ id: globalThis.crypto.randomUUID(), name: tag, email: `${tag}@zoo.example`, hired_on: "2020-01-01" })
}

interface Stamps {
  readonly created_at: Date
  readonly updated_at: Date
  readonly version: number
}

/** The one row a statement returned, as numbers to compare. */
const onlyRow = (rows: ReadonlyArray<Stamps>) => {
  assert.lengthOf(rows, 1)
  const [row] = rows as [Stamps]
  return { created: new Date(row.created_at).getTime(), updated: new Date(row.updated_at).getTime(), version: row.version }
}

const schemaRules = (name: string, database: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  layer(database, { excludeTestServices: true, timeout: "60 seconds" })(name, (it) => {
    for (const [table, newRow] of Object.entries(tables)) {
      it.effect(`${table}: a new row's updated_at is its created_at and its version 1, whatever the INSERT says`, () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const claimed = { created_at: "2001-01-01T00:00:00Z", updated_at: "2002-02-02T00:00:00Z", version: 7 }
          for (let i = 0; i < 50; i++) {
            const row = { ...newRow(`insert-${i}`), ...(i === 0 ? claimed : {}) }
            const stamps = onlyRow(
              yield* sql<Stamps>`INSERT INTO ${sql(table)} ${sql.insert(row)} RETURNING created_at, updated_at, version`
            )
            assert.strictEqual(stamps.updated, stamps.created)
            assert.strictEqual(stamps.version, 1)
          }
        }))

      it.effect(`${table}: an UPDATE keeps created_at, moves updated_at and bumps the version`, () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const row = newRow("update")
          const before = onlyRow(
            yield* sql<Stamps>`INSERT INTO ${sql(table)} ${sql.insert(row)} RETURNING created_at, updated_at, version`
          )
          const after = onlyRow(
            yield* sql<Stamps>`
              UPDATE ${sql(table)} SET name = 'after', created_at = '2001-01-01T00:00:00Z', version = 42
              WHERE id = ${row.id} RETURNING created_at, updated_at, version`
          )
          assert.strictEqual(after.created, before.created)
          assert.isAtLeast(after.updated, before.updated)
          assert.strictEqual(after.version, 2)
        }))
    }
  })

describe("schema rules", () => {
  schemaRules("PGlite", pgliteLayer())
  describe.skipIf(skipPostgres)("PostgreSQL (TEST_DATABASE_URL)", () => {
    schemaRules("PostgreSQL", postgresLayer("schema_rules"))
  })
})
