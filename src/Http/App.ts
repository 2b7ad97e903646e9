/**
 * The whole HTTP application as one router layer: the API, its OpenAPI
 * document, the docs page and the problem-details safety net. It uses Web
 * standards only (no `node:*`), so `HttpRouter.toWebHandler` runs it on Node,
 * Deno and Bun alike.
 */
import { ByteSize, Effect, Layer, Option, Predicate, type Redacted } from "effect"
import type { HttpServerRequest } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { AnimalsHttp } from "../Animals/AnimalsHttp.ts"
import { Api } from "../Api.ts"
import { Credentials, stage as CredentialsStage } from "../Auth/Credentials.ts"
import { HabitatsHttp } from "../Habitats/HabitatsHttp.ts"
import type { Repositories } from "../Repositories.ts"
import { ZookeepersHttp } from "../Zookeepers/ZookeepersHttp.ts"
import { SystemHttp } from "./SystemHttp.ts"
import { v1RetirementHeaders } from "./Deprecation.ts"
import { docsPaths, DocsRoutes } from "./Docs.ts"
import { metricsRoute } from "./Metrics.ts"
import * as BodyLimit from "./BodyLimit.ts"
import * as Cors from "./Cors.ts"
import * as Idempotency from "./Idempotency.ts"
import { edgeMiddleware, makeRouteIndex } from "./Problems.ts"

export { routerConfig } from "./Problems.ts"
import * as RateLimit from "./RateLimit.ts"
import * as Utf8Body from "./Utf8Body.ts"
import * as ValidationProblems from "./ValidationProblems.ts"

export const openApiPath = "/openapi.json"

/** Built once: the route and `Allow` header of every path we serve. */
const routeOf = makeRouteIndex(Api, [
  ["GET", openApiPath],
  ...docsPaths.map((path) => ["GET", path] as const),
  ["GET", "/metrics"]
])

/**
 * The server span of a request is named `METHOD /route/:pattern` (OpenTelemetry's
 * HTTP convention): one name per endpoint, not one per id.
 */
export const requestSpanName = (request: HttpServerRequest.HttpServerRequest) =>
  `${request.method} ${routeOf(request.url.split("?", 1)[0]!)?.route ?? "unmatched"}`

/** Every group's handlers; they need the repositories. */
const ApiHandlers = Layer.mergeAll(AnimalsHttp, HabitatsHttp, ZookeepersHttp, SystemHttp)

/** What the edge enforces besides problems and request ids; off unless set, but for the 1 MiB body limit. */
export interface EdgeOptions<E = never, R = never> {
  /** The largest request body (`BODY_LIMIT`); 1 MiB by default. */
  readonly bodyLimit?: ByteSize.ByteSize | undefined
  /** The origins allowed to call from a browser (`CORS_ORIGINS`); none: no CORS. */
  readonly corsOrigins?: ReadonlyArray<string> | undefined
  /** Requests per window per client (`RATE_LIMIT`): `RateLimit.layerMemory` or `layerRedis`; unset: no limit. */
  readonly rateLimit?: Layer.Layer<RateLimit.RateLimit, E, R> | undefined
  /** The bearer token `GET /metrics` requires (`METRICS_TOKEN`); unset: open. */
  readonly metricsToken?: Redacted.Redacted<string> | undefined
}

/**
 * The edge middleware with its stages, outermost first: CORS (so a 429 or a
 * 413 still reaches a browser script), the memo of the request's verified
 * credentials (which the next stages and `WriteAccess` share), the rate
 * limit (per verified credential, else address), the body limit, the UTF-8
 * check of JSON bodies (after the limit and the credentials: it reads the
 * body); and the `/v1` retirement headers on every `/v1` response, the
 * edge's own 404/405/406 included. `Credentials` come with `WriteAccessLive`;
 * without them, every request counts against its address.
 */
const makeEdge = <E, R>(options: EdgeOptions<E, R>, bodyLimit: ByteSize.ByteSize) =>
  Layer.unwrap(Effect.gen(function*() {
    const rateLimit = yield* Effect.serviceOption(RateLimit.RateLimit)
    const credentials = yield* Effect.serviceOption(Credentials)
    const stages = [
      Cors.stage(options.corsOrigins ?? []),
      Option.isSome(credentials) ? CredentialsStage(credentials.value, { forReads: Option.isSome(rateLimit) }) : undefined,
      Option.isSome(rateLimit) ? RateLimit.stage(rateLimit.value) : undefined,
      yield* BodyLimit.stage(bodyLimit),
      yield* Utf8Body.stage(bodyLimit, { afterCredentials: Option.isSome(credentials) })
    ].filter(Predicate.isNotUndefined)
    return edgeMiddleware(routeOf, stages, yield* v1RetirementHeaders)
  })).pipe(Layer.provide(options.rateLimit ?? Layer.empty))

/**
 * The routes, given the repositories: SQL-backed in production
 * (`SqlRepositories`), in memory in tests (`MemoryRepositories`, both in `src/Repositories.ts`),
 * and the edge's limits and CORS ({@link EdgeOptions}).
 */
export const makeAppRoutes = <E, R, EE = never, ER = never>(
  repositories: Layer.Layer<Repositories, E, R>,
  options: EdgeOptions<EE, ER> = {}
) => {
  const bodyLimit = options.bodyLimit ?? ByteSize.mebibytes(1)
  return Layer.mergeAll(
    HttpApiBuilder.layer(Api, { openapiPath: openApiPath }).pipe(
      Layer.provide(ApiHandlers.pipe(Layer.provide(Idempotency.layer))),
      Layer.provide(repositories)
    ),
    DocsRoutes,
    metricsRoute(options.metricsToken),
    makeEdge(options, bodyLimit)
  ).pipe(
    Layer.provide(ValidationProblems.layer),
    // Every handler reads bodies under the limit: a chunked body stops there.
    Layer.provide(BodyLimit.layer(bodyLimit))
  )
}
