/**
 * Turns every error response into RFC 9457 problem details, including the
 * ones the router and the platform produce by themselves: an unknown path
 * (404), a known path with a method it does not serve (405 + `Allow`), a body
 * the platform refused (413, 415) and defects (500, logged, no detail).
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
import { MethodNotAllowed, NotAcceptable, RouteNotFound, statusTitles } from "../Errors.ts"

/**
 * The methods each path of the API serves, derived from the contract itself,
 * so a new endpoint can never be forgotten in an `Allow` header.
 */
export const makeAllowIndex = <Id extends string, Groups extends HttpApiGroup.Constraint>(
  api: HttpApi.HttpApi<Id, Groups>, extra: ReadonlyArray<readonly [HttpMethod.HttpMethod, `/${string}`]> = []) => {
  const methodsByPath = new Map<string, Set<string>>()
  const add = (method: string, path: string) => {
    const methods = methodsByPath.get(path) ?? new Set()
    methods.add(method)
    methodsByPath.set(path, methods)
  }
  HttpApi.reflect(api, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => add(endpoint.method, endpoint.path)
  })
  for (const [method, path] of extra) add(method, path)

  const router = FindMyWay.make<string>()
  for (const [path, methods] of methodsByPath) {
    // HEAD follows GET, and OPTIONS is answered for every known path.
    if (methods.has("GET")) methods.add("HEAD")
    methods.add("OPTIONS")
    const order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    const allow = [...methods].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(", ")
    router.on("GET", path as `/${string}`, allow)
  }
  /** The `Allow` header value for a request path, or `undefined` for an unknown path. */
  return (url: string): string | undefined => router.find("GET", url)?.handler
}

const problemResponse = (status: number, body: Record<string, unknown>) =>
  ProblemDetails.toResponse({ type: "about:blank", title: statusTitles[status] ?? "Error", status, ...body })

/** Every error response must say `no-store`: a cached 404 or 503 outlives its cause. */
const noStore = HttpServerResponse.setHeader("cache-control", "no-store")

const isProblem = (response: HttpServerResponse.HttpServerResponse) =>
  response.headers["content-type"]?.startsWith(ProblemDetails.contentType) ??
    (response.body._tag !== "Empty" && response.body.contentType?.startsWith(ProblemDetails.contentType) === true)

/** Gives a bare platform error response (empty 400, text 415, empty 413, ...) a problem body. */
const asProblem = (response: HttpServerResponse.HttpServerResponse) => {
  if (response.status < 400) return response
  if (isProblem(response)) return noStore(response)
  // Keep what the platform said (e.g. `connection: close` after a 413), but not its body's headers.
  const { "content-length": _length, "content-type": _type, ...headers } = response.headers
  return noStore(HttpServerResponse.setHeaders(problemResponse(response.status, {}), headers))
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
  if (accept === undefined || accept.includes("json") || accept.includes("*/*")) {
    // Fast path; a `q=0` on a JSON range still has to be read below.
    if (accept === undefined || !accept.includes("q=0")) return false
  }
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
 * The router-level middleware. `allowFor` comes from {@link makeAllowIndex},
 * built once at startup.
 */
export const problemsMiddleware = (allowFor: (url: string) => string | undefined) => {
  const routeNotFound = (request: HttpServerRequest.HttpServerRequest) => {
    const path = request.url.split("?", 1)[0]!
    const allow = allowFor(path)
    if (allow === undefined) {
      return encodeProblem(new RouteNotFound({ detail: `No resource at ${path}` }))
    }
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
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
        answersJson(request.url) && excludesJson(request.headers.accept)
          ? notAcceptable
          : httpEffect.pipe(
            Effect.catchCause((cause) => {
              if (isRouteNotFound(cause)) return routeNotFound(request)
              if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
              // A defect: the client learns nothing but the status; the log gets the cause.
              return Effect.as(Effect.logError("Unhandled error while serving the request", cause), problemResponse(500, {}))
            })
          )).pipe(Effect.map(asProblem)),
    { global: true }
  )
}
