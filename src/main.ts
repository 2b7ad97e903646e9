/**
 * The Node entry point: configuration, layers, server. `npm start` runs it.
 */
// Module by module, not the package's index: that loads every Node integration, node-redis (~580 modules) among them.
import * as NodeCrypto from "@effect/platform-node/NodeCrypto"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Data, Effect, Exit, Layer, Option, References, Runtime } from "effect"
import { HttpMiddleware, HttpRouter } from "effect/http"
import { usesDevelopmentKey } from "./Auth/AuthSettings.ts"
import * as WriteAccessLive from "./Auth/WriteAccessLive.ts"
import * as Config from "./Config.ts"
import * as EnvFile from "./EnvFile.ts"
import * as Logging from "./Logging.ts"
import * as NodeServer from "./NodeServer.ts"
import { type EdgeOptions, makeAppRoutes, requestSpanName, routerConfig } from "./App.ts"
import { MemoryRepositories, type Repositories, SqlRepositories } from "./Repositories.ts"
import { V1Retirement } from "./Http/Deprecation.ts"
import { DevelopmentKeyNotice } from "./Http/Docs.ts"
import * as RateLimit from "./Http/RateLimit.ts"
import * as Redis from "./Redis.ts"
import * as Database from "./Repo/Database.ts"
import { cursorKey, CursorSecret, cursorSecretFrom } from "./Shared/Listing.ts"
import * as Tracing from "./Tracing.ts"

/** The database could not be opened or reached at start; the message says why and what to do. */
class DatabaseUnusable extends Data.TaggedError("DatabaseUnusable")<{ readonly message: string }> {}

/**
 * The edge's limits and CORS. Rate limits count in Redis when `REDIS_URL` is
 * set, so replicas share them (Redis unreachable at start: the start fails;
 * lost later: requests pass unlimited until it is back), else in memory.
 */
const edgeOptions = (config: Config.AppConfig): EdgeOptions<Redis.RedisError> => ({
  bodyLimit: config.bodyLimit,
  corsOrigins: config.corsOrigins,
  metricsToken: Option.getOrUndefined(config.metricsToken),
  rateLimit: Option.getOrUndefined(Option.map(config.rateLimit, (policy) =>
    Option.match(config.redisUrl, {
      onNone: () => RateLimit.layerMemory(policy),
      onSome: (url) => RateLimit.layerRedis(policy).pipe(Layer.provide(Redis.layer(url)))
    })))
})

/** The server over some repositories; the port opens once everything they need is built. */
const serve = <E, R>(config: Config.AppConfig, repositories: Layer.Layer<Repositories, E, R>) =>
  // The edge middleware writes one JSON access line per request instead of the built-in logger's.
  HttpRouter.serve(makeAppRoutes(repositories, edgeOptions(config)), { disableLogger: true, routerConfig }).pipe(
    // On SIGTERM/SIGINT the server stops accepting, lets in-flight requests finish (at most
    // SHUTDOWN_TIMEOUT, then the connections still open are cut), and only then are the
    // repositories and the database closed.
    // Node's server with the connection limit, deliberate timeouts and problem bodies for what its parser refuses.
    Layer.provide(Layer.unwrap(Effect.map(NodeServer.make(config), (server) =>
      NodeHttpServer.layer(() => server, {
        port: config.port,
        host: config.host,
        gracefulShutdownTimeout: config.shutdownTimeout
      })))),
    // Idempotency keys digest request bodies; list cursors are signed (HMAC).
    Layer.provide([NodeCrypto.layerDigest, NodeCrypto.layerMac])
  )

const HttpServerLive = Layer.unwrap(Effect.map(Effect.andThen(EnvFile.load, Config.load), (config) =>
  (config.storage === "memory"
    ? serve(config, MemoryRepositories)
    // Built first: the port opens only once the database is open and migrated,
    // so no request arrives at a server that cannot answer it yet.
    : serve(config, SqlRepositories).pipe(
      Layer.provide(Database.layer(config)),
      // The driver's "Failed to connect" says nothing a person can act on: name the cause.
      Layer.catchTag("SqlError", (error) =>
        Layer.effectDiscard(Effect.fail(
          new DatabaseUnusable({
            message: Option.match(config.databaseUrl, {
              onNone: () => `the embedded database in ${config.dataDir}: ${error.message}`,
              onSome: (url) => Database.describeConnectFailure(error, url)
            })
          })
        )))
    )).pipe(
    // Built before the database: credentials that cannot work (or none, in production) stop the start first.
    Layer.provide(WriteAccessLive.layerConfig(config).pipe(Layer.provide([NodeFileSystem.layer, NodeCrypto.layerDigest]))),
    Layer.tap(() =>
      Effect.logInfo(`Zoo API docs: http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${config.port}/docs`)
    ),
    Layer.provide(Layer.succeed(References.MinimumLogLevel, config.logLevel)),
    Layer.provide(Layer.succeed(CursorSecret, cursorKey(cursorSecretFrom(config)))),
    Layer.provide(Layer.succeed(DevelopmentKeyNotice, usesDevelopmentKey(config))),
    Layer.provide(Layer.succeed(V1Retirement, { deprecatedAt: config.v1DeprecatedAt, sunsetAt: config.v1SunsetAt })),
    Layer.provide(Layer.succeed(HttpMiddleware.SpanNameGenerator, requestSpanName)),
    Layer.provide(Tracing.layer({
      endpoint: Option.getOrUndefined(config.otelEndpoint)?.href,
      serviceName: config.otelServiceName
    }))
  )))

const startupFailure = (error: { readonly _tag: string; readonly message: string; readonly cause?: unknown }) =>
  error._tag === "ServeError" && error.cause instanceof Error
    ? `cannot listen: ${error.cause.message}`
    : error._tag === "RedisError"
    ? `cannot reach Redis (REDIS_URL): ${error.cause instanceof Error ? error.cause.message : String(error.cause)}`
    : error.message || error._tag

/**
 * A failed start, told the way the reader needs it: in a terminal (not in
 * production), the message as lines of text; otherwise one JSON log line, as
 * every other line, for the log collector.
 */
const reportStartupFailure = (message: string) =>
  process.stdout.isTTY === true && process.env.NODE_ENV !== "production"
    ? Effect.sync(() => process.stderr.write(`Zoo API could not start: ${message}\n`))
    : Effect.logError(`Zoo API could not start: ${message}`)

Layer.launch(HttpServerLive).pipe(
  // Expected startup failures (bad config, locked data directory, port in use, database down)
  // get one readable message and exit code 1, not a stack trace.
  Effect.catch((error) =>
    Effect.andThen(
      reportStartupFailure(startupFailure(error)),
      Effect.sync(() => {
        process.exitCode = 1
      })
    )
  ),
  Effect.provide(Logging.layerJsonStdout),
  NodeRuntime.runMain({
    // A signal is how a service is asked to stop: stopping cleanly is success (exit 0), not 130.
    teardown: (exit, onExit) =>
      Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)
  })
)
