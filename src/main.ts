/**
 * The Node entry point: configuration, layers, server. `npm start` runs it.
 */
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Config, Effect, Layer } from "effect"
import { HttpRouter } from "effect/http"
import { createServer } from "node:http"
import { AnimalsHttpMemory } from "./Animals/AnimalsHttp.ts"
import { makeAppRoutes } from "./Http/App.ts"

const ServerConfig = Config.all({
  port: Config.Port("PORT").pipe(Config.withDefault(3000)),
  host: Config.String("HOST").pipe(Config.withDefault("127.0.0.1"))
})

const HttpServerLive = Layer.unwrap(Effect.map(ServerConfig, ({ host, port }) =>
  HttpRouter.serve(makeAppRoutes(AnimalsHttpMemory)).pipe(
    Layer.provide(NodeHttpServer.layer(createServer, { port, host })),
    Layer.tap(() => Effect.logInfo(`Zoo API docs: http://${host === "0.0.0.0" ? "localhost" : host}:${port}/docs`))
  )))

Layer.launch(HttpServerLive).pipe(NodeRuntime.runMain)
