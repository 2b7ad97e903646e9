/**
 * What the edge knows of a request's route, read from the contract once:
 * the route pattern (the label of logs, metrics and spans), the methods a
 * path serves (`Allow`, 405, CORS preflights) and the JSON bodies an
 * endpoint decodes (the UTF-8 check, the 415 detail).
 *
 * effect's `HttpRouter` is the only router that serves requests. It matches
 * inside the global middleware, restores the fiber's context when the route
 * is done, and answers a known path with another method as an empty 404, so
 * the middleware around it can learn neither the route nor the `Allow` of a
 * path. This index holds those two facts, derived from the `HttpApi` (plus
 * the few routes added beside it), so no endpoint can be missing from it.
 */
import { Context, Effect } from "effect"
import { type HttpMethod, HttpServerRequest, type HttpServerResponse } from "effect/http"
import * as FindMyWay from "effect/http/FindMyWay"
import { HttpApi, type HttpApiGroup } from "effect/http-api"

/** What the index knows of a path: its route pattern, the methods it serves, the JSON bodies it reads. */
export interface KnownRoute {
  readonly route: string
  readonly allow: string
  /** The media types of the JSON bodies an endpoint here decodes, by method: `PATCH` → `application/merge-patch+json`. */
  readonly jsonBodies: ReadonlyMap<string, ReadonlySet<string>>
  /** The route's segments after the leading `/`: the literal text, or `undefined` for a parameter. */
  readonly segments: ReadonlyArray<string | undefined>
}

/**
 * How every router of the service matches paths: exactly as written. The
 * defaults would serve `/V1/animals`, `//v1/animals` and `/v1/animals/` as
 * aliases of `/v1/animals`, and answer a path parameter over 100 characters
 * with a 404 instead of the parameter's own 400. The `;` the router takes
 * for a query separator is refused by {@link isExactly}. `HttpRouter.serve`
 * and `toWebHandler` take it as `routerConfig`.
 */
export const routerConfig: Partial<FindMyWay.RouterConfig> = {
  caseSensitive: true,
  ignoreDuplicateSlashes: false,
  ignoreTrailingSlash: false,
  maxParamLength: Number.MAX_SAFE_INTEGER
}

/** A `Content-Type` as the API matches it: lower case, without parameters. */
export const mediaTypeOf = (contentType: string) => contentType.split(";", 1)[0]!.trim().toLowerCase()

/** The order `Allow` lists methods in. */
const methodOrder = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

/** The route of a request path, or `undefined` for an unknown path. */
export type RouteIndex = (path: string) => KnownRoute | undefined

/**
 * The index of every path of `api` and of the `extra` routes added beside it,
 * built once at start.
 */
export const makeRouteIndex = <Id extends string, Groups extends HttpApiGroup.Constraint>(
  api: HttpApi.HttpApi<Id, Groups>,
  extra: ReadonlyArray<readonly [HttpMethod.HttpMethod, `/${string}`]> = []
): RouteIndex => {
  const methodsByPath = new Map<string, Set<string>>()
  const jsonBodiesByPath = new Map<string, Map<string, Set<string>>>()
  const add = (method: string, path: string) => {
    const methods = methodsByPath.get(path) ?? new Set()
    methods.add(method)
    methodsByPath.set(path, methods)
  }
  HttpApi.reflect(api, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => {
      add(endpoint.method, endpoint.path)
      const bodies = jsonBodiesByPath.get(endpoint.path) ?? new Map<string, Set<string>>()
      endpoint.payload.forEach(({ encoding }, contentType) => {
        if (encoding._tag !== "Json") return
        const types = bodies.get(endpoint.method) ?? new Set()
        bodies.set(endpoint.method, types.add(mediaTypeOf(contentType)))
      })
      jsonBodiesByPath.set(endpoint.path, bodies)
    }
  })
  for (const [method, path] of extra) add(method, path)

  const router = FindMyWay.make<KnownRoute>(routerConfig)
  for (const [path, methods] of methodsByPath) {
    // HEAD follows GET, and OPTIONS is answered for every known path.
    if (methods.has("GET")) methods.add("HEAD")
    methods.add("OPTIONS")
    const allow = [...methods].sort((a, b) => methodOrder.indexOf(a) - methodOrder.indexOf(b)).join(", ")
    const segments = path.slice(1).split("/").map((segment) => (segment.startsWith(":") ? undefined : segment))
    router.on("GET", path as `/${string}`, { route: path, allow, jsonBodies: jsonBodiesByPath.get(path) ?? new Map(), segments })
  }
  return (path) => router.find("GET", path)?.handler
}

/**
 * Whether `path` is its route as written: what is left for the router to
 * forgive once {@link routerConfig} is strict is a `;` (it ends the path for
 * the router), percent-encoded literals (`/v1/%61nimals`) and an empty last
 * parameter (`/v1/animals/`). Paths without `%`, `;` or a trailing `/`,
 * nearly all of them, need no more than the scan.
 */
export const isExactly = (path: string, known: KnownRoute): boolean => {
  if (!path.includes("%") && !path.includes(";") && !path.endsWith("/")) return true
  const segments = path.slice(1).split("/")
  return segments.length === known.segments.length &&
    segments.every((segment, i) => {
      const literal = known.segments[i]
      return literal === undefined ? segment.length > 0 && !segment.includes(";") : segment === literal
    })
}

/**
 * A path whose percent-encoding is not UTF-8 (`/v2/animals/%FF`) is not
 * something the router can decode, so it would be a 404. Its `%` signs
 * escaped (`%25FF`), it decodes to the text the client sent, and a parameter
 * holding it gets the parameter's own 400 like any other bad id.
 */
const decodablePath = (path: string): string | undefined => {
  if (!path.includes("%")) return undefined
  try {
    decodeURI(path)
    return undefined
  } catch {
    return path.replace(/%/g, "%25")
  }
}

/** The current request's path and what the index knows of it. */
export interface RequestRoute {
  /** The request's path, without the query, as the client sent it. */
  readonly path: string
  /** Its route: `undefined` for an unknown path, and for an alias of a route (`/v1/animals;x`). */
  readonly known: KnownRoute | undefined
  /** The path is an alias of a route: it never reaches a handler (a 404). */
  readonly alias: boolean
}

/** The route of the request being served, put there by {@link matchRoute}. */
export const CurrentRoute = Context.Reference<RequestRoute>("zoo-api/Http/CurrentRoute", {
  defaultValue: () => ({ path: "/", known: undefined, alias: false })
})

/**
 * A middleware's view of the request: the request and its route, read
 * straight from the fiber. Every middleware of the edge starts here, once
 * per request each, so it is one step, not an effect per service read.
 */
export const withRequest = <A, E, R>(
  f: (request: HttpServerRequest.HttpServerRequest, route: RequestRoute) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.withFiber((fiber) => f(Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest), fiber.getRef(CurrentRoute)))

/** The route label of logs, metrics and spans: the pattern, or `unmatched`. */
export const routeLabel = (route: RequestRoute) => route.known?.route ?? "unmatched"

/**
 * The middleware that looks the request's path up in the index, once, for
 * every middleware inside it ({@link CurrentRoute}); and hands the router a
 * path it can decode (see `decodablePath`).
 */
export const matchRoute = (routeOf: RouteIndex) =>
<E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.withFiber((fiber) => {
    const request = Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest)
    const path = request.url.split("?", 1)[0]!
    const escaped = decodablePath(path)
    const matched = routeOf(escaped ?? path)
    const alias = matched !== undefined && !isExactly(escaped ?? path, matched)
    const served = Effect.provideService(app, CurrentRoute, { path, known: alias ? undefined : matched, alias })
    return escaped === undefined
      ? served
      : Effect.provideService(served, HttpServerRequest.HttpServerRequest, request.modify({ url: escaped + request.url.slice(path.length) }))
  })
