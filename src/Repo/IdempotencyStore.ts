/**
 * Where idempotency keys and the outcomes they replay are kept: the table
 * `idempotency_keys` (migration `0006_idempotency`) in PostgreSQL or PGlite,
 * so every replica sees every key, or a map in memory. The design, and why a
 * crash can never separate a write from its record, is in
 * `docs/idempotency.md`.
 */
import { Context, Data, Duration, Effect, Exit, Layer, Schedule } from "effect"
import { SqlClient } from "effect/sql"
import { idempotencyTtl } from "../Config.ts"
import type { DatabaseUnavailable } from "../Errors.ts"
import { IdempotencyKeyInFlight, IdempotencyKeyReused } from "../Idempotency.ts"
import { mapSqlError } from "./SqlRepository.ts"

/** A request's claim on a key: whose key, which key, and what request it stands for. */
export interface Claim {
  /** The credential's identity (a digest or a token subject, never a secret). */
  readonly owner: string
  readonly key: string
  /** Method, path and body digest: a retry must match it. */
  readonly fingerprint: string
}

/** A stored response: what a replay answers. `headers` holds `content-type` when there is a body. */
export interface Outcome {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** What `run` did: ran the write now, or found the outcome of an earlier run. */
export type Run<A> = { readonly _tag: "Ran"; readonly value: A } | { readonly _tag: "Replayed"; readonly outcome: Outcome }

export interface IdempotencyStoreShape {
  /**
   * Runs `execute` at most once per claimed key and keeps its outcome with
   * its writes: in the same transaction on SQL. A failure of `execute` that
   * `recover` turns into a value is kept too (a 409 is an outcome); any other
   * failure keeps nothing and writes nothing, so a retry runs anew.
   */
  readonly run: <A, E, R>(
    claim: Claim,
    execute: Effect.Effect<A, E, R>,
    recover: (error: E) => Effect.Effect<A, E>,
    outcomeOf: (value: A) => Outcome
  ) => Effect.Effect<Run<A>, E | IdempotencyKeyReused | IdempotencyKeyInFlight | DatabaseUnavailable, R>
}

/** A failure of the write, kept apart from the store's own while the transaction unwinds. */
class Aborted<E> extends Data.TaggedClass("Aborted")<{ readonly error: E }> {}

/** A refusal to keep, out of the transaction that met it. */
class Refused<A> extends Data.TaggedClass("Refused")<{ readonly value: A }> {}

const ran = <A>(value: A): Run<A> => ({ _tag: "Ran", value })
const replayed = <A>(outcome: Outcome): Run<A> => ({ _tag: "Replayed", outcome })

/** Sweeps run this often (at most every TTL, at least every 5 minutes), off the request path. */
const sweepInterval = (ttl: Duration.Duration) => Duration.max(Duration.min(ttl, Duration.minutes(5)), Duration.seconds(1))

interface StoredRow {
  readonly fingerprint: string
  readonly state: "in-flight" | "complete"
  readonly status: number | null
  readonly headers: string | Record<string, string> | null
  readonly body: string | null
}

export class IdempotencyStore extends Context.Service<IdempotencyStore, IdempotencyStoreShape>()("zoo-api/Repo/IdempotencyStore") {
  /**
   * PostgreSQL or PGlite through `SqlClient`. One transaction per keyed
   * request: a transaction-level advisory lock on the key (busy: 409, the
   * first request still runs) and the key's row claimed in one statement
   * (`ON CONFLICT`: an earlier outcome is replayed), the write, the outcome
   * written to the row, commit. A refused write (404, 409, 412, 422) is
   * rolled back and its refusal kept in a second, short transaction.
   */
  static readonly layer = Layer.effect(IdempotencyStore, Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const ttl = yield* Effect.orDie(idempotencyTtl)
    const ttlMillis = Math.max(1, Math.round(Duration.toMillis(ttl)))
    const statement = mapSqlError()

    yield* Effect.forkScoped(Effect.repeat(
      // Expired rows in batches, so a sweep never holds many row locks; a failed sweep is retried next time.
      sql`DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY (
            SELECT ctid FROM idempotency_keys WHERE expires_at <= clock_timestamp() LIMIT 1000))`.pipe(
        statement,
        Effect.catchCause((cause) => Effect.logWarning("Idempotency sweep failed", cause))
      ),
      Schedule.spaced(sweepInterval(ttl))
    ))

    /**
     * Takes the key for this transaction: its advisory lock (not taken: 409)
     * and its row, `in-flight`, or at once `complete` with `outcome`; an
     * unexpired row of an earlier request is left as it is (`claimed` false).
     */
    const claimKey = (claim: Claim, outcome?: Outcome) =>
      sql<{ readonly locked: boolean; readonly claimed: boolean }>`
        WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtextextended(${`${claim.owner} ${claim.key}`}::text, 0)) AS locked),
        claimed AS (
          INSERT INTO idempotency_keys (owner, key, fingerprint, state, status, headers, body, expires_at)
          SELECT ${claim.owner}::text, ${claim.key}::text, ${claim.fingerprint}::text, ${outcome ? "complete" : "in-flight"}::text,
                 ${outcome?.status ?? null}::smallint, ${outcome ? JSON.stringify(outcome.headers) : null}::jsonb,
                 ${outcome?.body ?? null}::text, clock_timestamp() + ${ttlMillis}::bigint * interval '1 millisecond'
          FROM lock WHERE locked
          ON CONFLICT (owner, key) DO UPDATE
            SET fingerprint = excluded.fingerprint, state = excluded.state, status = excluded.status,
                headers = excluded.headers, body = excluded.body, expires_at = excluded.expires_at
            WHERE idempotency_keys.expires_at <= clock_timestamp()
          RETURNING 1
        )
        SELECT (SELECT locked FROM lock) AS locked, EXISTS (SELECT 1 FROM claimed) AS claimed`.pipe(statement)

    /** The earlier request's row: its outcome if the request matches, else 422. */
    const earlier = (claim: Claim) =>
      Effect.flatMap(
        sql<StoredRow>`
          SELECT fingerprint, state, status, headers, body FROM idempotency_keys
          WHERE owner = ${claim.owner} AND key = ${claim.key} AND expires_at > clock_timestamp()`.pipe(statement),
        ([row]): Effect.Effect<Outcome, IdempotencyKeyReused | IdempotencyKeyInFlight> => {
          // Gone (it just expired) or not finished: either way, the client should come back.
          if (row === undefined || row.state !== "complete" || row.status === null) return Effect.fail(IdempotencyKeyInFlight.instance)
          if (row.fingerprint !== claim.fingerprint) return Effect.fail(IdempotencyKeyReused.instance)
          const headers = typeof row.headers === "string" ? JSON.parse(row.headers) : row.headers ?? {}
          return Effect.succeed({ status: row.status, headers, body: row.body ?? "" })
        }
      )

    const complete = (claim: Claim, outcome: Outcome) =>
      sql`UPDATE idempotency_keys
          SET state = 'complete', status = ${outcome.status}, headers = ${JSON.stringify(outcome.headers)}::jsonb, body = ${outcome.body}
          WHERE owner = ${claim.owner} AND key = ${claim.key}`.pipe(statement)

    /** The claim, then an earlier outcome, or `execute`'s result to go on with. */
    const claimed = <A>(claim: Claim, outcome?: Outcome) =>
      Effect.flatMap(claimKey(claim, outcome), ([row]): Effect.Effect<Run<A> | undefined, IdempotencyKeyInFlight | IdempotencyKeyReused | DatabaseUnavailable> =>
        !row?.locked
          ? Effect.fail(IdempotencyKeyInFlight.instance)
          : row.claimed
          ? Effect.succeed(undefined)
          : Effect.map(earlier(claim), (outcome) => replayed<A>(outcome)))

    return IdempotencyStore.of({
      run: <A, E, R>(claim: Claim, execute: Effect.Effect<A, E, R>, recover: (error: E) => Effect.Effect<A, E>, outcomeOf: (value: A) => Outcome) =>
        sql.withTransaction(Effect.gen(function*() {
          const earlierRun = yield* claimed<A>(claim)
          if (earlierRun !== undefined) return earlierRun
          const value = yield* Effect.catch(Effect.mapError(execute, (error) => new Aborted({ error })), (aborted) =>
            // A refusal (404, 409, 412, 422) wrote nothing, but a refusing constraint has aborted the
            // transaction: roll it back (a failure) and keep the refusal in a transaction of its own.
            Effect.flatMap(Effect.mapError(recover(aborted.error), (error) => new Aborted({ error })), (value) => Effect.fail(new Refused<A>({ value }))))
          yield* complete(claim, outcomeOf(value))
          return ran(value)
        })).pipe(
          // The key was free a moment ago; if another request took it since, its outcome is the key's.
          Effect.catchTag("Refused", ({ value }: Refused<A>) =>
            sql.withTransaction(Effect.map(claimed<A>(claim, outcomeOf(value)), (earlierRun) => earlierRun ?? ran(value)))),
          // BEGIN or COMMIT failed: the database is gone, and the write with it.
          Effect.catchTag("SqlError", (error) => statement(Effect.fail(error))),
          // Any other failure of the write: rolled back, nothing kept; the caller answers it.
          Effect.catchTag("Aborted", (aborted) => Effect.fail(aborted.error))
        )
    })
  }))

  /** In memory: one map, checked and claimed in one synchronous step. */
  static readonly layerMemory = Layer.effect(IdempotencyStore, Effect.gen(function*() {
    const ttl = Duration.toMillis(yield* Effect.orDie(idempotencyTtl))
    /** An entry is made in flight and completed in place; its outcome is made only if it is replayed. */
    interface Entry {
      state: "in-flight" | "complete"
      readonly fingerprint: string
      readonly expiresAt: number
      outcome: () => Outcome
    }
    const inFlight = (): Outcome => {
      throw new Error("IdempotencyStore: an entry in flight has no outcome")
    }
    const entries = new Map<string, Entry>()
    yield* Effect.forkScoped(Effect.repeat(
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const now = clock.currentTimeMillisUnsafe()
          for (const [id, entry] of entries) if (entry.state === "complete" && entry.expiresAt <= now) entries.delete(id)
        })
      ),
      Schedule.spaced(sweepInterval(Duration.millis(ttl)))
    ))
    return IdempotencyStore.of({
      run: <A, E, R>(claim: Claim, execute: Effect.Effect<A, E, R>, recover: (error: E) => Effect.Effect<A, E>, outcomeOf: (value: A) => Outcome) =>
        Effect.clockWith((clock): Effect.Effect<Run<A>, E | IdempotencyKeyInFlight | IdempotencyKeyReused, R> => {
          const now = clock.currentTimeMillisUnsafe()
          const id = `${claim.owner}\u0000${claim.key}`
          const found = entries.get(id)
          if (found !== undefined && (found.state === "in-flight" || found.expiresAt > now)) {
            if (found.state === "in-flight") return Effect.fail(IdempotencyKeyInFlight.instance)
            if (found.fingerprint !== claim.fingerprint) return Effect.fail(IdempotencyKeyReused.instance)
            return Effect.succeed(replayed<A>(found.outcome()))
          }
          const entry: Entry = { state: "in-flight", fingerprint: claim.fingerprint, expiresAt: now + ttl, outcome: inFlight }
          entries.set(id, entry)
          return execute.pipe(
            Effect.catch(recover),
            Effect.onExit((exit) =>
              Effect.sync(() => {
                if (Exit.isFailure(exit)) return entries.delete(id)
                entry.state = "complete"
                entry.outcome = () => outcomeOf(exit.value)
              })
            ),
            Effect.map(ran)
          )
        })
    })
  }))
}
