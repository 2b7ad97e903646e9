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
import { HabitatsHttp } from "../Habitats/HabitatsHttp.ts"
import { HabitatsRepository } from "../Habitats/HabitatsRepository.ts"
import { Readiness } from "../Repo/Database.ts"
import { ZookeepersHttp } from "../Zookeepers/ZookeepersHttp.ts"
import { AnimalCare, ZookeepersRepository } from "../Zookeepers/ZookeepersRepository.ts"
import { SystemHttp } from "./SystemHttp.ts"
import { DocsRoutes } from "./Docs.ts"
import { edgeMiddleware, makeRouteIndex } from "./Problems.ts"

export const openApiPath = "/openapi.json"

/** Built once: the route and `Allow` header of every path we serve. */
const routeOf = makeRouteIndex(Api, [
  ["GET", openApiPath],
  ["GET", "/docs"],
  ["GET", "/docs/scalar.js"],
  ["GET", "/docs/init.js"]
])

/** Every group's handlers; they need the repositories. */
const ApiHandlers = Layer.mergeAll(AnimalsHttp, HabitatsHttp, ZookeepersHttp, SystemHttp)

/** What the handlers need: every repository, and the readiness check. */
export type Repositories = AnimalsRepository | HabitatsRepository | ZookeepersRepository | AnimalCare | Readiness

/** The SQL repositories (they need a `SqlClient`). */
export const SqlRepositories = Layer.mergeAll(
  AnimalsRepository.layer,
  HabitatsRepository.layer,
  ZookeepersRepository.layer,
  AnimalCare.layer,
  Readiness.layer
)

/**
 * In-memory repositories, for tests and for trying the API without a
 * database. Built together, they share one in-memory database, so references
 * between collections hold as in SQL.
 */
export const MemoryRepositories = Layer.mergeAll(
  AnimalsRepository.layerMemory,
  HabitatsRepository.layerMemory,
  ZookeepersRepository.layerMemory,
  AnimalCare.layerMemory,
  Readiness.layerMemory
)

/**
 * The routes, given the repositories: SQL-backed in production
 * ({@link SqlRepositories}), in memory in tests ({@link MemoryRepositories}).
 */
export const makeAppRoutes = <E, R>(repositories: Layer.Layer<Repositories, E, R>) =>
  Layer.mergeAll(
    HttpApiBuilder.layer(Api, { openapiPath: openApiPath }).pipe(
      Layer.provide(ApiHandlers),
      Layer.provide(repositories)
    ),
    DocsRoutes,
    edgeMiddleware(routeOf)
  ).pipe(
    Layer.provide(HttpApiMiddleware.layerProblemDetails({ includeDetails: true }))
  )
