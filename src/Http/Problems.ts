/**
 * The service's edge, around every request: the request id, the security
 * headers, one access line, and every error response as RFC 9457 problem
 * details, including the ones the router and the platform produce by
 * themselves: an unknown path (404), a known path with a method it does not
 * serve (405 + `Allow`), a body the platform refused (413, 415) and defects
 * (500, logged, no detail). Stages plug in front of the app: the body limit
 * and the UTF-8 check of JSON bodies always, CORS and the rate limit when set.
 */
import { Cause, Effect, type Types } from "effect"
import {
  type HttpMethod,
  HttpRouter,
  HttpServerError,
  HttpServerRequest,
  HttpServerRespondable,
  HttpServerResponse,
  ProblemDetails
} from "effect/http"
import * as FindMyWay from "effect/http/FindMyWay"
import { HttpApi, type HttpApiGroup } from "effect/http-api"
import { MethodNotAllowed, NotAcceptable, RouteNotFound, statusTitles, unsupportedMediaTypeDetail } from "../Errors.ts"
import * as Metrics from "./Metrics.ts"

/** What the router knows of a path: its route pattern, the methods it serves, the JSON bodies it reads. */
export interface KnownRoute {
  readonly route: string
  readonly allow: string
  /** The media types of the JSON bodies an endpoint here decodes, by method: `PATCH` → `application/merge-patch+json`. */
  readonly jsonBodies: ReadonlyMap<string, ReadonlySet<string>>
  /** The route's segments after the leading `/`: the literal text, or `undefined` for a parameter. */
  readonly segments: ReadonlyArray<string | undefined>
}

/**
 * How every router of the service matches paths (SPEC §4: exactly as
 * written). The defaults would serve `/V1/animals`, `//v1/animals` and
 * `/v1/animals/` as aliases of `/v1/animals`, and answer a path parameter
 * over 100 characters with a 404 instead of the parameter's own 400. The
 * `;` the router takes for a query separator is refused by the edge
 * ({@link isExactly}). `HttpRouter.serve` and `toWebHandler` take it as
 * `routerConfig`.
 */
export const routerConfig: Partial<FindMyWay.RouterConfig> = {
  caseSensitive: true,
  ignoreDuplicateSlashes: false,
  ignoreTrailingSlash: false,
  maxParamLength: Number.MAX_SAFE_INTEGER
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

/** A `Content-Type` as the API matches it: lower case, without parameters. */
export const mediaTypeOf = (contentType: string) => contentType.split(";", 1)[0]!.trim().toLowerCase()

/**
 * The methods each path of the API serves, derived from the contract itself,
 * so a new endpoint can never be forgotten in an `Allow` header.
 */
export const makeRouteIndex = <Id extends string, Groups extends HttpApiGroup.Constraint>(
  api: HttpApi.HttpApi<Id, Groups>,
  extra: ReadonlyArray<readonly [HttpMethod.HttpMethod, `/${string}`]> = []
) => {
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
  const order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
  for (const [path, methods] of methodsByPath) {
    // HEAD follows GET, and OPTIONS is answered for every known path.
    if (methods.has("GET")) methods.add("HEAD")
    methods.add("OPTIONS")
    const allow = [...methods].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(", ")
    const segments = path.slice(1).split("/").map((segment) => (segment.startsWith(":") ? undefined : segment))
    router.on("GET", path as `/${string}`, { route: path, allow, jsonBodies: jsonBodiesByPath.get(path) ?? new Map(), segments })
  }
  /** The route of a request path, or `undefined` for an unknown path. */
  return (path: string): KnownRoute | undefined => router.find("GET", path)?.handler
}

const problemResponse = (status: number, body: Record<string, unknown>) =>
  ProblemDetails.toResponse({ type: "about:blank", title: statusTitles[status] ?? "Error", status, ...body })

/** Every error response must say `no-store`: a cached 404 or 503 outlives its cause. */
const noStore = HttpServerResponse.setHeader("cache-control", "no-store")

const isProblem = (response: HttpServerResponse.HttpServerResponse) =>
  response.headers["content-type"]?.startsWith(ProblemDetails.contentType) ??
    (response.body._tag !== "Empty" && response.body.contentType?.startsWith(ProblemDetails.contentType) === true)

/** The problem members that tie a problem to its request (SPEC §4). */
interface Occurrence {
  readonly request_id: string
  readonly instance: string
}

const decoder = new TextDecoder()

/** The problem body of an error response, whoever made it; `{}` for a bare platform response. */
const problemBody = (response: HttpServerResponse.HttpServerResponse): Record<string, unknown> => {
  if (!isProblem(response) || response.body._tag !== "Uint8Array") return {}
  try {
    return JSON.parse(decoder.decode(response.body.body)) as Record<string, unknown>
  } catch {
    return {}
  }
}

/**
 * Every error response becomes a problem that names its request: a bare
 * platform response (empty 400, text 415, empty 413, ...) gets a body, and
 * every problem gets `request_id` and `instance`. Only error responses pay.
 */
const asProblem = (
  response: HttpServerResponse.HttpServerResponse,
  occurrence: Occurrence,
  accepted: ReadonlySet<string> | undefined
) => {
  // Keep what the platform said (e.g. `connection: close` after a 413), but not its body's headers.
  const { "content-length": _length, "content-type": _type, ...headers } = response.headers
  return noStore(HttpServerResponse.setHeaders(
    problemResponse(response.status, {
      ...(response.status === 415 && { detail: unsupportedMediaTypeDetail(accepted) }),
      ...problemBody(response),
      ...occurrence
    }),
    headers
  ))
}

const encodeProblem = (problem: RouteNotFound | MethodNotAllowed) =>
  HttpServerRespondable.toResponse(problem)

/** Media ranges under which we can answer: every API response is JSON. */
const jsonRanges = new Set(["*/*", "application/*", "application/json", "application/problem+json", "application/merge-patch+json"])

/**
 * True when an `Accept` header rules JSON out (RFC 9110 §12.5.1). No header,
 * or any range that covers JSON with a non-zero quality, is fine.
 */
export const excludesJson = (accept: string | undefined): boolean => {
  if (accept === undefined) return false
  // Fast path; a `q=0` on a JSON range still has to be read below.
  if ((accept.includes("json") || accept.includes("*/*")) && !accept.includes("q=0")) return false
  return !accept.split(",").some((part) => {
    const [range, ...parameters] = part.split(";").map((piece) => piece.trim().toLowerCase())
    const quality = parameters.find((parameter) => parameter.startsWith("q="))
    return jsonRanges.has(range!) && (quality === undefined || Number(quality.slice(2)) > 0)
  })
}

const notAcceptable = HttpServerRespondable.toResponse(
  new NotAcceptable({ detail: "This resource is only available as application/json" })
)

/** Everything but the HTML docs page and its scripts answers JSON. */
const answersJson = (url: string) => !url.startsWith("/docs")

const isRouteNotFound = (cause: Cause.Cause<unknown>): boolean => {
  const failure = Cause.findErrorOption(cause)
  return failure._tag === "Some" && HttpServerError.isHttpServerError(failure.value) &&
    failure.value.reason._tag === "RouteNotFound"
}

/**
 * A body the platform could not read: over the body limit (413), or cut off
 * or malformed (400). Handlers read bodies with `orDie`, so it arrives as a
 * defect, but it is the client's doing, not ours: not a 500.
 */
const unreadableBody = (cause: Cause.Cause<unknown>): HttpServerError.HttpServerError | undefined => {
  const defect = Cause.findDefect(cause)
  return defect._tag === "Success" && HttpServerError.isHttpServerError(defect.success) &&
      defect.success.reason._tag === "RequestParseError"
    ? defect.success
    : undefined
}

/** A client's `X-Request-Id` is kept when it is sane (SPEC §7); otherwise we make one. */
const saneRequestId = /^[A-Za-z0-9._-]{1,128}$/
const requestIdOf = (header: string | undefined) =>
  header !== undefined && saneRequestId.test(header) ? header : globalThis.crypto.randomUUID()

/** Probes are polled every few seconds: their access lines would drown the rest at info level. */
const quietRoutes = new Set(["/healthz", "/readyz", "/metrics"])

/**
 * One concern of the edge, in front of the app: it may answer by itself
 * (a preflight, a 429, a 413) or pass the request on to `next` and adjust
 * what comes back. `route` is the request path's route, if any.
 */
export type Stage = <E>(
  request: HttpServerRequest.HttpServerRequest,
  route: KnownRoute | undefined,
  next: Effect.Effect<HttpServerResponse.HttpServerResponse, E>
) => Effect.Effect<HttpServerResponse.HttpServerResponse, E>

/**
 * On every response: no MIME sniffing of what we send, no `Referer` leaking
 * our URLs (ids included) to wherever a client goes next. Node sends no
 * `X-Powered-By`; the docs page adds its own strict CSP.
 */
const securityHeaders = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer"
} as const

/**
 * Headers some paths add to every response, errors included (the `/v1`
 * retirement headers): computed from the path and the response as it
 * leaves; `undefined` when the path has none.
 */
export type PathHeaders = (
  path: string,
  response: HttpServerResponse.HttpServerResponse
) => Readonly<Record<string, string>> | undefined

/**
 * The service's edge, around every request: the request id (echoed, in every
 * log line of the request, in problem bodies), the security headers, the
 * `stages` in order (outermost first), 406 for an `Accept` without JSON,
 * 404/405 for the router's misses, 404 for an alias of a route (which never
 * reaches its handler), a problem for every error, the
 * `pathHeaders`, and one JSON access line. `routeOf` comes from
 * {@link makeRouteIndex}, built once; so are the stages, and a stage that is
 * off is absent, not skipped per request: this runs for every request, so it
 * stays lean.
 */
export const edgeMiddleware = (
  routeOf: (path: string) => KnownRoute | undefined,
  stages: ReadonlyArray<Stage>,
  pathHeaders: PathHeaders
) => {
  const routeNotFound = (request: HttpServerRequest.HttpServerRequest, path: string, known: KnownRoute | undefined) => {
    if (known === undefined) {
      return encodeProblem(new RouteNotFound({ detail: `No resource at ${path}` }))
    }
    const { allow } = known
    if (request.method === "OPTIONS") {
      return Effect.succeed(HttpServerResponse.empty({ status: 204, headers: { allow } }))
    }
    return Effect.map(
      encodeProblem(new MethodNotAllowed({ detail: `${request.method} is not supported on ${path}`, allow: allow.split(", ") })),
      HttpServerResponse.setHeader("allow", allow)
    )
  }

  return HttpRouter.middleware(
    (httpEffect): Effect.Effect<HttpServerResponse.HttpServerResponse, Types.unhandled, HttpServerRequest.HttpServerRequest> =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (received) => {
        const started = performance.now()
        const requestId = requestIdOf(received.headers["x-request-id"])
        const path = received.url.split("?", 1)[0]!
        const escaped = decodablePath(path)
        const request = escaped === undefined ? received : received.modify({ url: escaped + received.url.slice(path.length) })
        const served = escaped === undefined
          ? httpEffect
          : Effect.provideService(httpEffect, HttpServerRequest.HttpServerRequest, request)
        const matched = routeOf(escaped ?? path)
        // An alias of a known route (`/v1/animals;x`, `/v1/%61nimals`) is an unknown path, and never reaches a handler.
        const known = matched !== undefined && isExactly(escaped ?? path, matched) ? matched : undefined
        const route = known?.route ?? "unmatched"
        let response = answersJson(path) && excludesJson(request.headers.accept)
          ? notAcceptable
          : matched !== known
          ? routeNotFound(request, path, undefined)
          : Effect.catchCause(served, (cause) => {
            if (isRouteNotFound(cause)) return routeNotFound(request, path, known)
            if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
            const unreadable = unreadableBody(cause)
            if (unreadable !== undefined) return HttpServerRespondable.toResponse(unreadable)
            // A defect: the client learns nothing but the status and the request id; the log gets the cause.
            return Effect.as(Effect.logError("Unhandled error while serving the request", cause), problemResponse(500, {}))
          })
        for (let i = stages.length - 1; i >= 0; i--) response = stages[i]!(request, known, response)
        return response.pipe(
          Effect.flatMap((response) => {
            const answer = response.status < 400
              ? response
              : asProblem(response, { request_id: requestId, instance: path }, known?.jsonBodies.get(request.method))
            const extra = pathHeaders(path, answer)
            const seconds = (performance.now() - started) / 1000
            const status = answer.status
            const line = Effect.annotateLogs(quietRoutes.has(route) ? Effect.logDebug("http") : Effect.logInfo("http"), {
              method: request.method,
              route,
              status,
              duration_ms: Math.round(seconds * 100_000) / 100,
              client: request.remoteAddress._tag === "Some" ? request.remoteAddress.value : "unknown"
            })
            Metrics.recordRequestUnsafe({ method: request.method, route, status, seconds })
            return Effect.as(
              line,
              HttpServerResponse.setHeaders(
                answer,
                extra === undefined
                  ? { "x-request-id": requestId, ...securityHeaders }
                  : { "x-request-id": requestId, ...securityHeaders, ...extra }
              )
            )
          }),
          Metrics.trackInFlight,
          Effect.annotateLogs("request_id", requestId)
        )
      }),
    { global: true }
  )
}
