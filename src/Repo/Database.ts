/**
 * The database: PostgreSQL when `DATABASE_URL` is set, otherwise an embedded
 * PGlite under `DATA_DIR`. Both are `@effect/sql-pg` clients, so every
 * repository runs the same SQL on either. Migrations run before anything
 * else sees the client.
 */
import { PgClient } from "@effect/sql-pg"
import { Config, Context, Duration, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { DatabaseUnavailable } from "../Errors.ts"
import { migrate } from "./Migrations.ts"
import * as Pglite from "./Pglite.ts"

export const DatabaseConfig = Config.all({
  url: Config.option(Config.Redacted("DATABASE_URL")),
  dataDir: Config.String("DATA_DIR").pipe(Config.withDefault("./.data")),
  nodeEnv: Config.String("NODE_ENV").pipe(Config.withDefault("development")),
  poolSize: Config.Int("DATABASE_POOL_SIZE").pipe(Config.withDefault(10)),
  idleTimeout: Config.Duration("DATABASE_IDLE_TIMEOUT").pipe(Config.withDefault(Duration.seconds(30))),
  connectTimeout: Config.Duration("DATABASE_CONNECT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(5))),
  statementTimeout: Config.Duration("DATABASE_STATEMENT_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10)))
})
export type DatabaseConfig = Config.Success<typeof DatabaseConfig>

/** Production without PostgreSQL: PGlite is one process on one disk, not a production database. */
export class EmbeddedDatabaseRefused extends Schema.TaggedError<EmbeddedDatabaseRefused>()("EmbeddedDatabaseRefused", {
  message: Schema.String
}) {
  static readonly instance = new EmbeddedDatabaseRefused({
    message: "DATABASE_URL is required when NODE_ENV=production: the embedded PGlite database is for development and tests"
  })
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

/** The client the configuration asks for, migrated. */
export const layer = Layer.unwrap(Effect.gen(function*() {
  const config = yield* DatabaseConfig
  if (Option.isSome(config.url)) {
    return postgres({ ...config, url: config.url.value })
  }
  if (config.nodeEnv === "production") return yield* EmbeddedDatabaseRefused.instance
  return Pglite.layer({ dataDir: config.dataDir })
})).pipe(migrated)

/** Whether the database answers now: what `/readyz` reports. */
export class Readiness extends Context.Service<Readiness, {
  readonly check: Effect.Effect<void, DatabaseUnavailable>
}>()("zoo-api/Repo/Readiness") {
  static readonly layer = Layer.effect(Readiness, Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    return Readiness.of({
      check: sql`SELECT 1`.pipe(
        Effect.timeout(Duration.seconds(2)),
        Effect.asVoid,
        Effect.catch(() => Effect.fail(DatabaseUnavailable.instance)),
        Effect.withSpan("Readiness.check")
      )
    })
  }))

  /** Nothing to lose: always ready. */
  static readonly layerMemory = Layer.succeed(Readiness, Readiness.of({ check: Effect.void }))
}
