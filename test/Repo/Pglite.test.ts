import { assert, describe, it, layer } from "@effect/vitest"
import { Context, Effect, Exit, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { SqlError } from "effect/sql/SqlError"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, beforeAll } from "vitest"
import * as Pglite from "../../src/Repo/Pglite.ts"

// One initialised data directory per run: every on-disk test copies it
// instead of paying initdb (~3 s) again.
const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-pglite-test-"))
const templateDir = Path.join(root, "template")
const freshDir = (name: string) => Path.join(root, name)

beforeAll(() => Effect.runPromise(Pglite.makeTemplate(templateDir)), 60_000)
afterAll(() => Fs.rmSync(root, { recursive: true, force: true }))

/** Runs `f` with a client built from `options`, closing the layer afterwards. */
const withLayer = <A, E>(
  options: Pglite.PgliteOptions,
  f: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>
): Effect.Effect<A, E | Pglite.DataDirLocked | SqlError> =>
  Effect.scoped(Effect.gen(function*() {
    const context = yield* Layer.build(Pglite.layer(options))
    return yield* f(Context.get(context, SqlClient.SqlClient))
  }))

layer(Pglite.layer({ dataDir: undefined }), { excludeTestServices: true, timeout: "30 seconds" })("in memory", (it) => {
  it.effect("runs a simple select", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ readonly one: number; readonly text: string }>`SELECT 1 AS one, ${"zoo"}::text AS text`
      assert.deepStrictEqual(rows, [{ one: 1, text: "zoo" }])
    }))

  it.effect("round-trips a table", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE keepers (id int PRIMARY KEY, name text NOT NULL, tags jsonb)`
      yield* sql`INSERT INTO keepers ${sql.insert([{ id: 1, name: "Ada", tags: null }, { id: 2, name: "Bo", tags: null }])}`
      yield* sql`UPDATE keepers SET tags = '["night"]'::jsonb WHERE id = ${2}`
      const rows = yield* sql`SELECT id, name, tags FROM keepers ORDER BY id`
      assert.deepStrictEqual(rows, [{ id: 1, name: "Ada", tags: null }, { id: 2, name: "Bo", tags: ["night"] }])
    }))

  it.effect("reports a unique violation as SqlError with its constraint", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE enclosures (id int PRIMARY KEY, name text CONSTRAINT enclosures_name_key UNIQUE)`
      yield* sql`INSERT INTO enclosures ${sql.insert({ id: 1, name: "Savanna" })}`
      const error = yield* Effect.flip(sql`INSERT INTO enclosures ${sql.insert({ id: 2, name: "Savanna" })}`)
      assert.instanceOf(error, SqlError)
      assert.strictEqual(error.reason._tag, "UniqueViolation")
      if (error.reason._tag === "UniqueViolation") assert.strictEqual(error.reason.constraint, "enclosures_name_key")
      // The connection is fine afterwards.
      assert.deepStrictEqual(yield* sql`SELECT count(*)::int AS n FROM enclosures`, [{ n: 1 }])
    }))

  it.effect("rolls back a failed transaction", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE feedings (id int PRIMARY KEY)`
      const exit = yield* Effect.exit(sql.withTransaction(Effect.gen(function*() {
        yield* sql`INSERT INTO feedings VALUES (1)`
        yield* sql`INSERT INTO feedings VALUES (2)`
        return yield* Effect.fail("boom" as const)
      })))
      assert.deepStrictEqual(exit, Exit.fail("boom" as const))
      assert.deepStrictEqual(yield* sql`SELECT count(*)::int AS n FROM feedings`, [{ n: 0 }])
    }))

  it.effect("does not wedge after a statement error inside a transaction", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE visits (id int PRIMARY KEY)`
      const error = yield* Effect.flip(sql.withTransaction(Effect.gen(function*() {
        yield* sql`INSERT INTO visits VALUES (1)`
        yield* sql`SELECT no_such_column FROM visits`
      })))
      assert.instanceOf(error, SqlError)
      assert.deepStrictEqual(yield* sql`SELECT count(*)::int AS n FROM visits`, [{ n: 0 }])
      yield* sql`INSERT INTO visits VALUES (2)`
      assert.deepStrictEqual(yield* sql`SELECT id FROM visits`, [{ id: 2 }])
    }))

  it.effect("serialises whole sessions: 100 concurrent writers and transactions", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE animals (id int PRIMARY KEY, kind text NOT NULL)`
      const results = yield* Effect.forEach(Array.from({ length: 100 }, (_, i) => i), (i) => {
        switch (i % 4) {
          case 0: // committed transaction writing two rows and reading its own writes
            return sql.withTransaction(Effect.gen(function*() {
              yield* sql`INSERT INTO animals VALUES (${i}, 'tx')`
              yield* Effect.yieldNow
              yield* sql`INSERT INTO animals VALUES (${1000 + i}, 'tx')`
              const own = yield* sql<{ readonly n: number }>`
                SELECT count(*)::int AS n FROM animals WHERE id IN (${i}, ${1000 + i})`
              return own[0]!.n === 2
            }))
          case 1: // rolled back transaction: nothing may survive
            return sql.withTransaction(Effect.gen(function*() {
              yield* sql`INSERT INTO animals VALUES (${i}, 'rolled back')`
              yield* Effect.yieldNow
              return yield* Effect.fail("rollback" as const)
            })).pipe(Effect.catch(() => Effect.succeed(true)))
          default: // plain insert then read back
            return Effect.gen(function*() {
              yield* sql`INSERT INTO animals VALUES (${i}, 'plain')`
              const rows = yield* sql<{ readonly kind: string }>`SELECT kind FROM animals WHERE id = ${i}`
              return rows[0]?.kind === "plain"
            })
        }
      }, { concurrency: "unbounded" })
      assert.isTrue(results.every((ok) => ok))
      const rows = yield* sql<{ readonly id: number; readonly kind: string }>`SELECT id, kind FROM animals ORDER BY id`
      const expected = Array.from({ length: 100 }, (_, i) => i)
        .flatMap((i) =>
          i % 4 === 0 ? [{ id: i, kind: "tx" }, { id: 1000 + i, kind: "tx" }] : i % 4 === 1 ? [] : [{ id: i, kind: "plain" }]
        )
        .sort((a, b) => a.id - b.id)
      assert.deepStrictEqual(rows, expected)
    }))
})

describe("on disk", () => {
  it.live("persists data across layers", () =>
    Effect.gen(function*() {
      const dataDir = freshDir("persist")
      yield* withLayer({ dataDir, templateDir }, (sql) =>
        Effect.andThen(
          sql`CREATE TABLE species (name text PRIMARY KEY)`,
          sql`INSERT INTO species VALUES ('okapi'), ('quokka')`
        ))
      assert.isFalse(Fs.existsSync(Path.join(dataDir, ".zoo-api.lock")), "lock released on close")
      const rows = yield* withLayer({ dataDir }, (sql) => sql`SELECT name FROM species ORDER BY name`)
      assert.deepStrictEqual(rows, [{ name: "okapi" }, { name: "quokka" }])
    }))

  it.live("refuses a data directory that is already open", () =>
    Effect.gen(function*() {
      const dataDir = freshDir("locked")
      yield* withLayer({ dataDir, templateDir }, () =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(withLayer({ dataDir, templateDir }, () => Effect.void))
          assert.instanceOf(error, Pglite.DataDirLocked)
          assert.strictEqual(error.pid, process.pid)
          assert.include(error.message, `data directory ${dataDir} is in use by process ${process.pid}`)
        }))
    }))

  it.live("takes over a stale lock", () =>
    Effect.gen(function*() {
      const dataDir = freshDir("stale")
      Fs.mkdirSync(dataDir)
      // PIDs are below 2^22 on Linux: this process cannot exist.
      Fs.writeFileSync(Path.join(dataDir, ".zoo-api.lock"), "2147483646\n")
      const rows = yield* withLayer({ dataDir, templateDir }, (sql) => sql`SELECT 1 AS one`)
      assert.deepStrictEqual(rows, [{ one: 1 }])
      assert.isFalse(Fs.existsSync(Path.join(dataDir, ".zoo-api.lock")))
      // Our own PID left behind by an earlier run (PID 1 in a restarted
      // container) is stale too, since no layer of this process holds it.
      Fs.writeFileSync(Path.join(dataDir, ".zoo-api.lock"), `${process.pid}\n`)
      assert.deepStrictEqual(yield* withLayer({ dataDir }, (sql) => sql`SELECT 1 AS one`), [{ one: 1 }])
    }))

  it.live("runs PostgreSQL with small memory settings (8 MB of shared buffers, 1 MB per sort)", () =>
    Effect.gen(function*() {
      const rows = yield* withLayer(
        { dataDir: freshDir("settings"), templateDir },
        (sql) =>
          sql<{ readonly name: string; readonly setting: string; readonly unit: string }>`
            SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem') ORDER BY name`
      )
      assert.deepStrictEqual(rows, [
        { name: "shared_buffers", setting: "1024", unit: "8kB" },
        { name: "work_mem", setting: "1024", unit: "kB" }
      ])
    }))

  it.live("makes a fresh data directory from the cached template, made once", () =>
    Effect.gen(function*() {
      const cached = yield* Pglite.cachedTemplate()
      assert.isDefined(cached)
      assert.isTrue(Fs.existsSync(Path.join(cached, "PG_VERSION")))
      assert.strictEqual(yield* Pglite.cachedTemplate(), cached, "the same directory the second time")
      const dataDir = freshDir("from-cache")
      const rows = yield* withLayer({ dataDir, cachedTemplate: true }, (sql) => sql`SELECT current_database() AS db`)
      assert.deepStrictEqual(rows, [{ db: "postgres" }])
      assert.isTrue(Fs.existsSync(Path.join(dataDir, "PG_VERSION")))
    }), 120_000)

  it.live("loads the template in memory mode", () =>
    Effect.gen(function*() {
      const rows = yield* withLayer(
        { dataDir: undefined, templateDir },
        (sql) => sql`SELECT current_database() AS db`
      )
      assert.deepStrictEqual(rows, [{ db: "postgres" }])
    }))
})
