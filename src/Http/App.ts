/**
 * The whole HTTP application as one router layer: the API, its OpenAPI
 * document, the docs page and the problem-details safety net. It uses Web
 * standards only (no `node:*`), so `HttpRouter.toWebHandler` runs it on Node,
 * Deno and Bun alike.
 */
import { Layer } from "effect"
import { HttpApiBuilder, HttpApiMiddleware } from "effect/http-api"
import { AnimalsHttp } from "../Animals/AnimalsHttp.ts"
import { AnimalsRepository } from "../Animals/AnimalsRepository.ts"
import { Api } from "../Api.ts"
import { Readiness } from "../Repo/Database.ts"
import { SystemHttp } from "./SystemHttp.ts"
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

/** Every group's handlers; they need the repositories. */
const ApiHandlers = Layer.mergeAll(AnimalsHttp, SystemHttp)

/** The SQL repositories (they need a `SqlClient`). */
export const SqlRepositories = Layer.mergeAll(AnimalsRepository.layer, Readiness.layer)

/** In-memory repositories, for tests and for trying the API without a database. */
export const MemoryRepositories = Layer.mergeAll(AnimalsRepository.layerMemory, Readiness.layerMemory)

/**
 * The routes, given the repositories: SQL-backed in production
 * ({@link SqlRepositories}), in memory in tests ({@link MemoryRepositories}).
 */
export const makeAppRoutes = <E, R>(repositories: Layer.Layer<AnimalsRepository | Readiness, E, R>) =>
  Layer.mergeAll(
    HttpApiBuilder.layer(Api, { openapiPath: openApiPath }).pipe(
      Layer.provide(ApiHandlers),
      Layer.provide(repositories)
    ),
    DocsRoutes,
    problemsMiddleware(allowFor)
  ).pipe(
    Layer.provide(HttpApiMiddleware.layerProblemDetails({ includeDetails: true }))
  )
