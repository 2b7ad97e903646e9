/**
 * Every error response is an RFC 9457 problem that names its request, with
 * `Cache-Control: no-store` (a cached 404 or 503 outlives its cause):
 *
 * - {@link answerDefects}, innermost: a defect is a 500 that tells the client
 *   nothing but its status (the log gets the cause); a body the platform
 *   could not read is the client's doing (413, 400), not a 500.
 * - {@link problemResponses}, around everything that can refuse a request:
 *   a bare platform response (empty 400, text 415, empty 413, ...) gets a
 *   problem body, and every problem gets `request_id` and `instance`.
 */
import { Cause, Effect } from "effect"
import { HttpServerError, HttpServerRequest, HttpServerRespondable, HttpServerResponse, ProblemDetails } from "effect/http"
import { statusTitles, unsupportedMediaTypeDetail } from "../Errors.ts"
import { CurrentRequestId } from "./RequestId.ts"
import { CurrentRoute } from "./Routes.ts"

/** A problem with nothing but its status (`about:blank`), and `members` beside. */
const statusProblem = (status: number, members: Record<string, unknown>) =>
  ProblemDetails.toResponse({ type: ProblemDetails.blankType, title: statusTitles[status] ?? "Error", status, ...members })

const internalServerError = statusProblem(500, {})

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
    return Effect.as(Effect.logError("Unhandled error while serving the request", cause), internalServerError)
  })

const decoder = new TextDecoder()

const isProblem = (response: HttpServerResponse.HttpServerResponse) =>
  response.headers["content-type"]?.startsWith(ProblemDetails.contentType) ??
    (response.body._tag !== "Empty" && response.body.contentType?.startsWith(ProblemDetails.contentType) === true)

/** The members of a problem some encoder made; `{}` for a bare platform response. */
const problemMembers = (response: HttpServerResponse.HttpServerResponse): Record<string, unknown> => {
  if (!isProblem(response) || response.body._tag !== "Uint8Array") return {}
  try {
    return JSON.parse(decoder.decode(response.body.body)) as Record<string, unknown>
  } catch {
    return {}
  }
}

/**
 * An error response as a problem naming its request. The problem classes
 * encode through their schemas, which do not declare `request_id`; so the
 * encoded members are read back and written again in the order clients see
 * (`type`, `title`, `status` first, as the README shows). Only errors pay.
 */
const withOccurrence = (
  response: HttpServerResponse.HttpServerResponse,
  requestId: string,
  path: string,
  accepted: ReadonlySet<string> | undefined
) => {
  // Keep what the platform said (e.g. `connection: close` after a 413), but not its body's headers.
  const { "content-length": _length, "content-type": _type, ...headers } = response.headers
  const problem = statusProblem(response.status, {
    ...(response.status === 415 && { detail: unsupportedMediaTypeDetail(accepted) }),
    ...problemMembers(response),
    request_id: requestId,
    instance: path
  })
  return HttpServerResponse.setHeaders(problem, { ...headers, "cache-control": "no-store" })
}

/** The middleware making every error response of `app` a problem that names its request. */
export const problemResponses = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(app, (response) =>
    response.status < 400 ? Effect.succeed(response) : Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const route = yield* CurrentRoute
      return withOccurrence(response, yield* CurrentRequestId, route.path, route.known?.jsonBodies.get(request.method))
    }))
