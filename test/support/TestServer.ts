/**
 * A real HTTP server on a random loopback port, serving the whole app with
 * the handler layers a test chooses. Requests go through `fetch`, over TCP;
 * writes carry the test API key unless they bring credentials of their own.
 */
import { NodeCrypto, NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, References } from "effect"
import type { Digest } from "effect/crypto"
import { HttpRouter, HttpServer } from "effect/http"
import { createServer } from "node:http"
import type { WriteAccess } from "../../src/Auth/WriteAccess.ts"
import { type EdgeOptions, makeAppRoutes, routerConfig } from "../../src/App.ts"
import { type Repositories } from "../../src/Repositories.ts"
import { TestWriteAccess, withTestKey } from "./Credentials.ts"
import { fetchText } from "./Fetch.ts"

export { testApiKey } from "./Credentials.ts"

/**
 * `edge` opts in to a rate limit, CORS or another body limit; by default, as `npm start` with no settings.
 * `writeAccess` decides who may write; by default, whoever holds the test key.
 */
export const TestServer = <E, R, EE = never, ER = never, AE = never>(
  repositories: Layer.Layer<Repositories, E, R>,
  edge: EdgeOptions<EE, ER> = {},
  writeAccess: Layer.Layer<WriteAccess, AE, Digest.Digest> = TestWriteAccess
) =>
  HttpRouter.serve(makeAppRoutes(repositories, edge).pipe(Layer.provide(writeAccess)), { disableLogger: true, disableListenLog: true, routerConfig }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    // API keys and rate limits digest credentials; list cursors are signed (HMAC).
    Layer.provide([NodeCrypto.layerDigest, NodeCrypto.layerMac]),
    // Access lines would bury the test output; warnings and errors still show.
    Layer.provide(Layer.succeed(References.MinimumLogLevel, "Warn"))
  )

export const baseUrl = Effect.map(HttpServer.HttpServer, (server) => {
  const address = server.address
  if (address._tag === "UnixPathAddress") throw new Error("expected a TCP server")
  return `http://127.0.0.1:${address.port}`
})

/** `fetch` against the test server, as a client holding the test key: writes without credentials of their own carry it. */
export const request = (path: string, init?: RequestInit) => rawRequest(path, withTestKey(init))

/** {@link fetchText} against the test server with exactly the headers given. */
export const rawRequest = (path: string, init?: RequestInit) =>
  Effect.flatMap(baseUrl, (url) => Effect.promise(() => fetchText(url + path, init)))

export const jsonBody = (body: unknown, contentType = "application/json"): RequestInit => ({
  headers: { "content-type": contentType },
  body: JSON.stringify(body)
})
