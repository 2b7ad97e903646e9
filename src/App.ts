/**
 * The whole HTTP application as one router layer: the API, its OpenAPI
 * document, the docs page and the problem-details safety net. It uses Web
 * standards only (no `node:*`), so `HttpRouter.toWebHandler` runs it on Node,
 * Deno and Bun alike.
 */
import { ByteSize, Effect, identity, Layer, Option, type Redacted } from "effect"
import { HttpRouter, type HttpServerRequest } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { AnimalsHttp } from "./Animals/AnimalsHttp.ts"
import { Api } from "./Api.ts"
import { Credentials, memoizeVerification } from "./Auth/Credentials.ts"
import { HabitatsHttp } from "./Habitats/HabitatsHttp.ts"
import type { Repositories } from "./Repositories.ts"
import { ZookeepersHttp } from "./Zookeepers/ZookeepersHttp.ts"
import { accessLog } from "./Http/AccessLog.ts"
import * as BodyLimit from "./Http/BodyLimit.ts"
import { requireAcceptableJson } from "./Http/ContentNegotiation.ts"
import { cors } from "./Http/Cors.ts"
import { v1RetirementHeaders } from "./Http/Deprecation.ts"
import { docsPaths, DocsRoutes } from "./Http/Docs.ts"
import * as Idempotency from "./Http/Idempotency.ts"
import { HttpDates } from "./Http/HttpDates.ts"
import { HttpMetrics, metricsRoute } from "./Http/Metrics.ts"
import { answerDefects, problemResponses } from "./Http/Problems.ts"
import * as RateLimit from "./Http/RateLimit.ts"
import { requestId } from "./Http/RequestId.ts"
import { answerRouteMisses } from "./Http/RouteMisses.ts"
import { makeRouteIndex, matchRoute } from "./Http/Routes.ts"
import { securityHeaders } from "./Http/SecurityHeaders.ts"
import { SystemHttp } from "./SystemHttp.ts"
import { requireUtf8Json } from "./Http/Utf8Body.ts"
import * as ValidationProblems from "./Http/ValidationProblems.ts"

export { routerConfig } from "./Http/Routes.ts"

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
 * The edge: one middleware per concern, around every request, outermost
 * first. Each is a plain `(app) => app` function, read bottom-up as the
 * request goes in and top-down as the response comes out:
 *
 * 1. the request id (echoed, in every log line, in problem bodies);
 * 2. the request's route, looked up once for everything below;
 * 3. metrics and 4. the access line, of the response as it leaves;
 * 5. the security headers and 6. the `/v1` retirement headers, on every
 *    response, the edge's own refusals included;
 * 7. every error response a problem naming its request;
 * 8. CORS (so a 429 or a 413 still reaches a browser script);
 * 9. the memo of the request's verified credentials, which the rate limit,
 *    the UTF-8 check and `WriteAccess` share (absent without `Credentials`:
 *    then every request counts against its address);
 * 10. the rate limit (per verified credential, else address);
 * 11. the body limit, then 12. the UTF-8 check of JSON bodies (it reads the
 *     body: after the limit, and only once the credentials hold);
 * 13. 406 for a request that does not accept JSON;
 * 14. a 500 for a defect, and 15. 404/405 for what the router does not
 *     serve (a failure of the router, closest to it).
 *
 * A concern that is off (no CORS origins, no rate limit) is absent, not
 * skipped per request.
 */
const makeEdge = <E, R>(options: EdgeOptions<E, R>, bodyLimit: ByteSize.ByteSize) =>
  Layer.unwrap(Effect.gen(function*() {
    const rateLimiter = yield* Effect.serviceOption(RateLimit.RateLimit)
    const credentials = yield* Effect.serviceOption(Credentials)
    const metrics = yield* HttpMetrics
    const withV1RetirementHeaders = yield* v1RetirementHeaders
    const withCors = cors(options.corsOrigins ?? []) ?? identity
    const withCredentials = Option.isSome(credentials)
      ? memoizeVerification(credentials.value, { forReads: Option.isSome(rateLimiter) })
      : identity
    const withRateLimit = Option.isSome(rateLimiter) ? RateLimit.rateLimit(rateLimiter.value) : identity
    const withBodyLimit = BodyLimit.limitBody(bodyLimit)
    const withUtf8Json = requireUtf8Json(bodyLimit, { afterCredentials: Option.isSome(credentials) })
    const withRoute = matchRoute(routeOf)
    return HttpRouter.middleware((app) =>
      requestId(
        withRoute(
          metrics.recordRequests(
            accessLog(
              securityHeaders(
                withV1RetirementHeaders(
                  problemResponses(
                    withCors(
                      withCredentials(
                        withRateLimit(
                          withBodyLimit(
                            withUtf8Json(
                              requireAcceptableJson(
                                answerDefects(
                                  answerRouteMisses(app)
                                )
                              )
                            )
                          )
                        )
                      )
                    )
                  )
                )
              )
            )
          )
        )
      ), { global: true })
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
    // Per-process state of the edge and the handlers, one of each for the whole app.
    Layer.provide([HttpMetrics.layer, HttpDates.layer]),
    Layer.provide(ValidationProblems.layer),
    // Every handler reads bodies under the limit: a chunked body stops there.
    Layer.provide(BodyLimit.layer(bodyLimit))
  )
}
