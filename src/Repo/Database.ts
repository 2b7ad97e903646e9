/**
 * The database: PostgreSQL when `DATABASE_URL` is set, otherwise an embedded
 * PGlite under `DATA_DIR`. Both are `@effect/sql-pg` clients, so every
 * repository runs the same SQL on either. Migrations run before anything
 * else sees the client.
 */
import { PgClient } from "@effect/sql-pg"
import { Context, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import { SqlClient, type SqlError } from "effect/sql"
import type { AppConfig } from "../Config.ts"
import { DatabaseUnavailable } from "../Errors.ts"
import { migrate } from "./Migrations.ts"
import type * as Pglite from "./Pglite.ts"
import { QueryDeadline, withDeadline } from "./QueryDeadline.ts"

/** The settings the database layer reads (see `src/Config.ts`). */
export type DatabaseConfig = Pick<
  AppConfig,
  "databaseUrl" | "dataDir" | "nodeEnv" | "poolSize" | "idleTimeout" | "connectTimeout" | "statementTimeout"
>

/** Production without PostgreSQL: PGlite is one process on one disk, not a production database. */
export class EmbeddedDatabaseRefused extends Schema.TaggedError<EmbeddedDatabaseRefused>()("EmbeddedDatabaseRefused", {
  message: Schema.String
}) {
  static readonly instance = new EmbeddedDatabaseRefused({
    message: "DATABASE_URL is required when NODE_ENV=production: the embedded PGlite database is for development and tests"
  })
}

/** What the driver's error chain says: the innermost error's `code` and message. */
const innermost = (error: unknown): { readonly code?: string; readonly message?: string } => {
  let current: unknown = error
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null && "cause" in current && current.cause !== undefined; depth++) {
    current = current.cause
  }
  return typeof current === "object" && current !== null ? current : {}
}

/**
 * Why PostgreSQL at `url` could not be used at start, in words a person can
 * act on: the database does not exist (and the `createdb` command that makes
 * it), the connection is refused, the credentials or the TLS setting are
 * wrong. Never the password.
 */
export const describeConnectFailure = (error: SqlError.SqlError, url: Redacted.Redacted<string>): string => {
  const parsed = URL.parse(Redacted.value(url))
  const host = parsed?.hostname || "localhost"
  const port = parsed?.port || "5432"
  const user = decodeURIComponent(parsed?.username || "") || "the default user"
  const database = decodeURIComponent(parsed?.pathname.slice(1) || "") || user
  const at = `PostgreSQL at ${host}:${port}`
  const { code, message = error.message } = innermost(error)
  switch (code) {
    case "3D000":
      return `database "${database}" does not exist on ${at}\n  create it with: createdb -h ${host} -p ${port}` +
        `${parsed?.username ? ` -U ${decodeURIComponent(parsed.username)}` : ""} ${database}`
    case "ECONNREFUSED":
      return `connection refused at ${host}:${port}\n  is PostgreSQL running there? Are the host and port in DATABASE_URL right?`
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `host ${host} not found\n  check the host in DATABASE_URL`
    case "28P01":
      return `authentication failed for user ${user} on ${at}\n  check the user and password in DATABASE_URL`
    case "28000":
      return /no encryption/i.test(message)
        ? `${at} requires TLS (${message})\n  add ?sslmode=require to DATABASE_URL`
        : `authentication failed for user ${user} on ${at} (${message})\n  check the user and password in DATABASE_URL`
    default:
      return /does not support TLS|refused TLS/i.test(message)
        ? `${at} does not accept TLS\n  remove sslmode=require from DATABASE_URL`
        : /timeout|timed out/i.test(message)
        ? `${at} did not answer within DATABASE_CONNECT_TIMEOUT\n  is the host reachable from here?`
        : `cannot use ${at}, database "${database}": ${message}`
  }
}

/** A PostgreSQL pool: size, idle and connect timeouts, and a server-side statement timeout. */
export const postgres = (config: Pick<DatabaseConfig, "poolSize" | "idleTimeout" | "connectTimeout" | "statementTimeout"> & {
  readonly url: PgClient.PgClientConfig["url"]
  readonly searchPath?: string | undefined
}) =>
  PgClient.layer({
    url: config.url,
    maxConnections: config.poolSize,
    idleTimeout: config.idleTimeout,
    connectTimeout: config.connectTimeout,
    applicationName: "zoo-api",
    startupParameters: {
      statement_timeout: String(Duration.toMillis(config.statementTimeout)),
      ...(config.searchPath && { search_path: config.searchPath })
    }
  })

/** Applies pending migrations once the client exists; dependents see a migrated database. */
export const migrated = <E, R>(client: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, E, R>) =>
  Layer.effectDiscard(migrate).pipe(Layer.provideMerge(client))

/**
 * The client the configuration asks for, migrated, and the client-side
 * deadline of every call: a little past the server's statement timeout, so
 * the server's own timeout answers first when it can.
 */
export const layer = (config: DatabaseConfig) =>
  Layer.unwrap(Effect.gen(function*() {
    const deadline = Layer.succeed(QueryDeadline, Duration.sum(config.statementTimeout, Duration.seconds(2)))
    if (Option.isSome(config.databaseUrl)) {
      return Layer.merge(migrated(postgres({ ...config, url: config.databaseUrl.value })), deadline)
    }
    if (config.nodeEnv === "production") return yield* EmbeddedDatabaseRefused.instance
    // Loaded only when used: PGlite's module and WebAssembly are a third of the memory of a PostgreSQL-backed process.
    const embedded: typeof Pglite = yield* Effect.promise(() => import("./Pglite.ts"))
    return Layer.merge(migrated(embedded.layer({ dataDir: config.dataDir, cachedTemplate: true })), deadline)
  }))

/** Whether the database answers now: what `/readyz` reports. */
export class Readiness extends Context.Service<Readiness, {
  readonly check: Effect.Effect<void, DatabaseUnavailable>
}>()("zoo-api/Repo/Readiness") {
  static readonly layer = Layer.effect(Readiness, Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return Readiness.of({
      // A short deadline of its own: a probe must answer fast, whatever the queries may take.
      check: withDeadline(sql`SELECT 1`.pipe(Effect.mapError(() => DatabaseUnavailable.instance))).pipe(
        Effect.asVoid,
        Effect.provideService(QueryDeadline, Duration.seconds(2)),
        Effect.withSpan("Readiness.check")
      )
    })
  }))

  /** Nothing to lose: always ready. */
  static readonly layerMemory = Layer.succeed(Readiness, Readiness.of({ check: Effect.void }))
}
