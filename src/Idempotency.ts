/**
 * The contract of safe retries (the IETF httpapi `Idempotency-Key` draft):
 * the header a write may carry, the two problems it can answer with, and the
 * middleware that declares them on every operation that takes the header. The server side is `src/Http/Idempotency.ts`; how the outcome
 * is kept with the write is `src/Repo/IdempotencyStore.ts`.
 */
import { Schema } from "effect"
import { HttpApiError, HttpApiMiddleware, HttpApiSchema } from "effect/http-api"
import { DatabaseUnavailable, problemType } from "./Errors.ts"

/** 1 to 255 visible ASCII characters (no space, no control characters). */
const keyPattern = /^[\x21-\x7e]{1,255}$/

/** Whether a header value is a key the server accepts; anything else is a 400 naming the header. */
export const isIdempotencyKey = (value: string): boolean => keyPattern.test(value)

export const IdempotencyKey = Schema.String.check(
  Schema.isMaxLength(255),
  Schema.isPattern(keyPattern, { expected: "1 to 255 visible ASCII characters (no spaces)" })
).annotate({
  description: "Makes this write safe to retry: the first request with a key runs, and a retry with the same key, " +
    "credential, method, path and body gets the first outcome again (with `Idempotent-Replayed: true`) instead of " +
    "running twice. Keys belong to the credential that sent them and are kept for `IDEMPOTENCY_TTL` (24 h by default). " +
    "Use a new random key (e.g. a UUID) per intended write.",
  examples: ["5f0c6f7e-8d57-4a62-9d7c-7f1f2f4b9c11"]
})

/** The request headers of an operation that takes a key. */
export const idempotencyHeaders = { "idempotency-key": Schema.optionalKey(IdempotencyKey) }

/** The same key came with another request (method, path or body) than the one it first ran (422). */
export class IdempotencyKeyReused extends HttpApiError.Problem<IdempotencyKeyReused>()("IdempotencyKeyReused", {
  type: problemType("idempotency-key-reused"),
  status: 422,
  title: "Idempotency key reused"
}) {
  static readonly instance = new IdempotencyKeyReused({
    detail: "This Idempotency-Key was used for a different request (method, path or body); use a new key for a new request"
  })
}

/** Seconds a client should wait before retrying a key that is in flight. */
export const inFlightRetryAfter = 1

/** The first request with this key is still running (409); retry after `Retry-After` seconds. */
export class IdempotencyKeyInFlight extends HttpApiError.Problem<IdempotencyKeyInFlight>()("IdempotencyKeyInFlight", {
  type: problemType("idempotency-key-in-flight"),
  status: 409,
  title: "Idempotency key in use"
}) {
  static readonly instance = new IdempotencyKeyInFlight({
    detail: "A request with this Idempotency-Key is still being processed; retry shortly to get its outcome"
  })

  /** The headers its response carries (the document declares them below). */
  get responseHeaders() {
    return { "retry-after": String(inFlightRetryAfter) }
  }
}

/** The 409 response: the problem, and `Retry-After`. */
const InFlightResponse = IdempotencyKeyInFlight.pipe(HttpApiSchema.encodeToWithHeaders({
  body: IdempotencyKeyInFlight,
  headers: {
    "retry-after": Schema.optionalKey(Schema.String.annotate({
      description: "Seconds to wait before retrying (sent with `/problems/idempotency-key-in-flight`)",
      examples: [String(inFlightRetryAfter)]
    }))
  }
}, {
  decode: ({ body }) => body,
  encode: (problem) => ({ body: problem, headers: problem.responseHeaders })
}))

/**
 * Runs a write at most once per key: on every operation that declares
 * {@link idempotencyHeaders}, inside `WriteAccess` (it needs the credential).
 */
export class Idempotency extends HttpApiMiddleware.Service<Idempotency>()("zoo-api/Idempotency", {
  error: [IdempotencyKeyReused, InFlightResponse, DatabaseUnavailable]
}) {}

/** One of each problem, for the OpenAPI examples. */
export const idempotencyProblemExamples = [IdempotencyKeyReused.instance, IdempotencyKeyInFlight.instance]

/**
 * The outcomes a key keeps: every success, and the refusals that follow from
 * the data (404, 409, 412, 422), which a retry would meet again. Not the ones
 * that say the request never ran or may go through later: 400 (malformed),
 * 401/403 (credentials), 413/415, 429 and 5xx — a retry runs anew.
 */
export const replayedStatus = (status: number): boolean =>
  (status >= 200 && status < 300) || status === 404 || status === 409 || status === 412 || status === 422
