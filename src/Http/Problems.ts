/**
 * Every error response is an RFC 9457 problem that names its request, with
 * `Cache-Control: no-store` (a cached 404 or 503 outlives its cause). A
 * problem body is written once, by {@link problemResponse}, with its members
 * in the order clients read them: `type`, `title`, `status`, the problem's
 * own (`detail`, extensions), then `request_id` and `instance`.
 *
 * - {@link answerDefects}, innermost: a defect is a 500 that tells the client
 *   nothing but its status (the log gets the cause); a body the platform
 *   could not read is the client's doing (413, 400), not a 500.
 * - {@link problemResponses}, around everything that can refuse a request:
 *   a bare platform response (empty 400, text 415, empty 413, ...) gets a
 *   problem body naming its request; a problem made here is left as it is.
 */
import { Cause, Effect, Predicate } from "effect"
import { HttpServerError, HttpServerRequest, HttpServerRespondable, HttpServerResponse, ProblemDetails } from "effect/http"
import { statusTitles, unsupportedMediaTypeDetail } from "../Errors.ts"
import { CurrentRequestId } from "./RequestId.ts"
import { CurrentRoute } from "./Routes.ts"

/**
 * A problem: the members every problem has, and its own beside. The problem
 * classes (`HttpApiError.Problem`) are such values: their fields are plain
 * JSON (strings, numbers, lists), so their own properties are their members.
 */
export interface Problem {
  readonly type: string
  readonly title: string
  readonly status: number
  readonly detail?: string | undefined
  /** Headers that go with the problem (`WWW-Authenticate` on a 401), as its class declares them. */
  readonly responseHeaders?: Readonly<Record<string, string>> | undefined
}

/** A value that is a {@link Problem}: a problem class's instance (a handler's typed failure) or a plain one. */
export const isProblem = (u: unknown): u is Problem =>
  Predicate.hasProperty(u, "type") && typeof u.type === "string" &&
  Predicate.hasProperty(u, "title") && typeof u.title === "string" &&
  Predicate.hasProperty(u, "status") && typeof u.status === "number"

/**
 * The response of a problem of the request being served: `request_id` and
 * `instance` (its path) are written with the body, after the problem's own
 * members. Read from the fiber, where the edge put them.
 */
export const problemResponse = (
  problem: Problem,
  options?: { readonly headers?: Readonly<Record<string, string>> | undefined }
): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  Effect.withFiber((fiber) =>
    Effect.succeed(HttpServerResponse.jsonUnsafe(
      // The first three keys fix the order; the problem's own members fill in behind them.
      Object.assign(
        { type: problem.type, title: problem.title, status: problem.status },
        problem,
        { request_id: fiber.getRef(CurrentRequestId), instance: fiber.getRef(CurrentRoute).path }
      ),
      {
        status: problem.status,
        contentType: ProblemDetails.contentType,
        headers: { ...problem.responseHeaders, ...options?.headers, "cache-control": "no-store" }
      }
    ))
  )

/**
 * A problem with nothing but its status (`about:blank`), and `members` beside:
 * a plain value, for a response made here (a problem class's instance is an
 * `Error`, with a stack captured and its members checked on every `new`).
 */
export const statusProblem = <M extends { readonly detail: string }>(status: number, members?: M) => ({
  type: ProblemDetails.blankType,
  title: statusTitles[status] ?? "Error",
  status,
  ...members
})

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

/** The middleware closest to the handlers: whatever they fail with (but an interruption) becomes a response. */
export const answerDefects = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R> =>
  Effect.catchCause(app, (cause) => {
    // Only an interruption (the client went away, the server stops) is left to fail.
    if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
    const unreadable = unreadableBody(cause)
    if (unreadable !== undefined) return HttpServerRespondable.toResponse(unreadable)
    return Effect.andThen(Effect.logError("Unhandled error while serving the request", cause), problemResponse(statusProblem(500)))
  })

const isProblemResponse = (response: HttpServerResponse.HttpServerResponse) =>
  response.headers["content-type"]?.startsWith(ProblemDetails.contentType) ??
    (response.body._tag !== "Empty" && response.body.contentType?.startsWith(ProblemDetails.contentType) === true)

/**
 * A bare platform error response as a problem naming its request: its status,
 * and for a 415 which bodies the endpoint takes.
 */
const platformProblem = (
  response: HttpServerResponse.HttpServerResponse,
  accepted: ReadonlySet<string> | undefined
) => {
  // Keep what the platform said (e.g. `connection: close` after a 413), but not its body's headers.
  const { "content-length": _length, "content-type": _type, ...headers } = response.headers
  const detail = response.status === 415 ? { detail: unsupportedMediaTypeDetail(accepted) } : undefined
  return problemResponse(statusProblem(response.status, detail), { headers })
}

/** The middleware making every error response of `app` a problem that names its request. */
export const problemResponses = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(app, (response) => {
    if (response.status < 400) return Effect.succeed(response)
    // Made by `problemResponse`: it names its request already.
    if (isProblemResponse(response)) return Effect.succeed(HttpServerResponse.setHeader(response, "cache-control", "no-store"))
    return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      Effect.flatMap(CurrentRoute, (route) => platformProblem(response, route.known?.jsonBodies.get(request.method))))
  })
