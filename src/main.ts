/**
 * The Node entry point: configuration, layers, server. `npm start` runs it.
 */
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { createServer } from "node:http"
import { makeAppRoutes, SqlRepositories } from "./Http/App.ts"
import * as Database from "./Repo/Database.ts"

const ServerConfig = Config.all({
  port: Config.Port("PORT").pipe(Config.withDefault(3000)),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1"))
})

const HttpServerLive = Layer.unwrap(Effect.map(ServerConfig, ({ host, port }) =>
  HttpRouter.serve(makeAppRoutes(SqlRepositories.pipe(Layer.provide(Database.layer)))).pipe(
    Layer.provide(NodeHttpServer.layer(createServer, { port, host })),
    Layer.tap(() => Effect.logInfo(`Zoo API docs: http://${host === "0.0.0.0" ? "localhost" : host}:${port}/docs`))
  )))

const startupFailure = (error: { readonly _tag: string; readonly message: string; readonly cause?: unknown }) =>
  error._tag === "ServeError" && error.cause instanceof Error
    ? `cannot listen: ${error.cause.message}`
    : error.message || error._tag

Layer.launch(HttpServerLive).pipe(
  // Expected startup failures (bad config, locked data directory, port in use, database down)
  // get one readable line and exit code 1, not a stack trace.
  Effect.catch((error) =>
    Effect.andThen(
      Effect.logError(`Zoo API could not start: ${startupFailure(error)}`),
      Effect.sync(() => {
        process.exitCode = 1
      })
    )
  ),
  NodeRuntime.runMain
)
