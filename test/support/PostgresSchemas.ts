/**
 * Throwaway PostgreSQL schemas for services started as child processes: the
 * service gets a `DATABASE_URL` whose `options` set its `search_path`, so its
 * migrations and tables land in a schema of its own (`@effect/sql-pg` sends a
 * URL's `options` parameter in the startup packet, as libpq does).
 */
import { PgClient } from "@effect/sql-pg"
import { Effect } from "effect"
import { adminClient, adminQuery as adminQueryAt, urlForSchema } from "../../scripts/lib/Postgres.ts"
import { testDatabaseUrl } from "./Databases.ts"

/** Runs one statement as the test database's admin, on a connection of its own. */
export const adminQuery = <A extends object = Record<string, unknown>>(text: string, params: ReadonlyArray<unknown> = []) =>
  adminQueryAt<A>(testDatabaseUrl!, text, params)

/** `TEST_DATABASE_URL` confined to `schema`, optionally reached through another port on 127.0.0.1. */
export const schemaUrl = (schema: string, options: { readonly port?: number } = {}): string =>
  urlForSchema(testDatabaseUrl!, schema)(options.port)

/** Creates a fresh, empty schema; {@link dropSchema} removes it with everything in it. */
export const createSchema = async (label: string): Promise<string> => {
  const schema = `test_${label.replace(/\W/g, "_")}_${globalThis.crypto.randomUUID().slice(0, 8)}`
  await adminQuery(`CREATE SCHEMA "${schema}"`)
  return schema
}

export const dropSchema = (schema: string): Promise<unknown> => adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)

/**
 * Runs `lockStatement` (e.g. `LOCK TABLE s.animals IN ACCESS EXCLUSIVE MODE`)
 * in a transaction that stays open, holding the lock, until `release()`
 * (bounded: the transaction ends by itself after `maxHoldMs`).
 */
export const holdLock = async (lockStatement: string, maxHoldMs = 60_000): Promise<{ readonly release: () => Promise<void> }> => {
  let onLocked!: () => void
  let release!: () => void
  const locked = new Promise<void>((resolve) => onLocked = resolve)
  const released = new Promise<void>((resolve) => release = resolve)
  const transaction = Effect.runPromise(
    Effect.gen(function*() {
      const sql = yield* PgClient.PgClient
      yield* sql.withTransaction(Effect.gen(function*() {
        yield* sql.unsafe(lockStatement)
        onLocked()
        yield* Effect.promise(() => released)
      }))
    }).pipe(
      Effect.provide(adminClient(testDatabaseUrl!)),
      Effect.timeoutOption(maxHoldMs)
    )
  )
  await Promise.race([locked, transaction.then(() => Promise.reject(new Error(`could not take the lock: ${lockStatement}`)))])
  return {
    release: async () => {
      release()
      await transaction
    }
  }
}

/**
 * Waits (polling, bounded by `timeoutMs`) until some session waits for a lock on `relation`
 * (e.g. `"s".animals`): the event a test needs, not a guessed delay.
 */
export const waitForLockWaiter = async (relation: string, timeoutMs = 60_000): Promise<void> => {
  for (const deadline = Date.now() + timeoutMs;;) {
    const rows = await adminQuery<{ waiting: string }>(
      `SELECT count(*) AS waiting FROM pg_locks WHERE NOT granted AND relation = '${relation}'::regclass`
    )
    if (Number(rows[0]!.waiting) > 0) return
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for a session to wait for a lock on ${relation}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
