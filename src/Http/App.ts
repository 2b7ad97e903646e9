/**
 * The whole HTTP application as one router layer: the API, its OpenAPI
 * document, the docs page and the problem-details safety net. It uses Web
 * standards only (no `node:*`), so `HttpRouter.toWebHandler` runs it on Node,
 * Deno and Bun alike.
 */
import { Layer } from "effect"
import { HttpApiBuilder, HttpApiMiddleware } from "effect/http-api"
import { Api } from "../Api.ts"
import { DocsRoutes } from "./Docs.ts"
import { makeAllowIndex, problemsMiddleware } from "./Problems.ts"

export const openApiPath = "/openapi.json"

/** Built once: the `Allow` header of every path we serve. */
const allowFor = makeAllowIndex(Api, [
  ["GET", openApiPath],
  ["GET", "/docs"],
  ["GET", "/docs/scalar.js"],
  ["GET", "/docs/init.js"]
])

/**
 * The routes, given the layers that implement the API's groups
 * (`HttpApiBuilder.group`): SQL-backed in production, in-memory in tests.
 */
export const makeAppRoutes = <A, E, R>(handlers: Layer.Layer<A, E, R>) =>
  Layer.mergeAll(
    HttpApiBuilder.layer(Api, { openapiPath: openApiPath }).pipe(Layer.provide(handlers)),
    DocsRoutes,
    problemsMiddleware(allowFor)
  ).pipe(
    Layer.provide(HttpApiMiddleware.layerProblemDetails({ includeDetails: true }))
  )
