/**
 * A real HTTP server on a random loopback port, serving the whole app with
 * the handler layers a test chooses. Requests go through `fetch`, over TCP.
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, References } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { createServer } from "node:http"
import { makeAppRoutes, type Repositories } from "../../src/Http/App.ts"

export const TestServer = <E, R>(repositories: Layer.Layer<Repositories, E, R>) =>
  HttpRouter.serve(makeAppRoutes(repositories), { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    // Access lines would bury the test output; warnings and errors still show.
    Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn"))
  )

export const baseUrl = Effect.map(HttpServer.HttpServer, (server) => {
  const address = server.address
  if (address._tag === "UnixPathAddress") throw new Error("expected a TCP server")
  return `http://127.0.0.1:${address.port}`
})

/** `fetch` against the test server; the body is read eagerly so sockets are freed. */
export const request = (path: string, init?: RequestInit) =>
  Effect.flatMap(baseUrl, (url) =>
    Effect.promise(async () => {
      const response = await fetch(url + path, init)
      const text = await response.text()
      return {
        status: response.status,
        headers: response.headers,
        text,
        json: (): any => JSON.parse(text)
      }
    }))

export const jsonBody = (body: unknown, contentType = "application/json"): RequestInit => ({
  headers: { "content-type": contentType },
  body: JSON.stringify(body)
})
