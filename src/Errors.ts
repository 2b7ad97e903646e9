/**
 * Every error a client can see, as RFC 9457 problem classes.
 *
 * Each class is a `Schema` error that carries its HTTP status and its problem
 * `type`, so the repositories can fail with it without knowing about HTTP and
 * the OpenAPI document lists it, with an example, on each endpoint that
 * declares it. Here are the problems every collection shares and those the
 * HTTP layer answers by itself; each domain declares its own beside its
 * schemas (`AnimalNotFound` in `src/Animals/Animal.ts`).
 */
import { Schema } from "effect"
import { HttpApiError } from "effect/http-api"
import { IntBetween } from "./Shared/Fields.ts"
import { etagOf } from "./Shared/Http.ts"

/** Problem `type` URIs are relative references, resolved against the API's own origin. */
export const problemType = <const Slug extends string>(slug: Slug) => `/problems/${slug}` as const

/** The extension every problem about one resource carries: which id it was about (e.g. `AnimalNotFound`). */
export const resourceIdField = { id: Schema.String.annotate({ description: "The id the request named" }) }

// ---------------------------------------------------------------------------
// Problems the HTTP layer produces by itself (unknown path, wrong method, ...).
// Domain problems live next to their domain, e.g. `src/Animals/Animal.ts`.
// ---------------------------------------------------------------------------

export class RouteNotFound extends HttpApiError.Problem<RouteNotFound>()("RouteNotFound", {
  type: problemType("route-not-found"),
  status: 404,
  title: "Not Found"
}) {}

export class MethodNotAllowed extends HttpApiError.Problem<MethodNotAllowed>()("MethodNotAllowed", {
  type: problemType("method-not-allowed"),
  status: 405,
  title: "Method Not Allowed"
}, {
  allow: Schema.Array(Schema.String).annotate({ description: "The methods this path supports" })
}) {}

/** `If-Match` named a version that is not the current one: someone else wrote first. */
export class PreconditionFailed extends HttpApiError.Problem<PreconditionFailed>()("PreconditionFailed", {
  type: problemType("precondition-failed"),
  status: 412,
  title: "Precondition Failed"
}, {
  etag: Schema.String.annotate({ description: "The current ETag of the resource", examples: ["\"3\""] })
}) {
  /** The problem of a write whose `If-Match` no longer holds: `current` is the resource as it is. */
  static readonly of = (current: { readonly version: number }) =>
    new PreconditionFailed({ detail: "The resource changed since that ETag", etag: etagOf(current) })
}

/** The database did not answer (down, unreachable, or too slow). Clients may retry. */
export class DatabaseUnavailable extends HttpApiError.Problem<DatabaseUnavailable>()("DatabaseUnavailable", {
  type: problemType("database-unavailable"),
  status: 503,
  title: "Service Unavailable"
}) {
  static readonly instance = new DatabaseUnavailable({ detail: "The database is not available; try again shortly" })
}

export class NotAcceptable extends HttpApiError.Problem<NotAcceptable>()("NotAcceptable", {
  type: problemType("not-acceptable"),
  status: 406,
  title: "Not Acceptable"
}) {}

/** The request body is larger than `BODY_LIMIT`; the connection is closed. */
export class ContentTooLarge extends HttpApiError.Problem<ContentTooLarge>()("ContentTooLarge", {
  type: problemType("content-too-large"),
  status: 413,
  title: "Content Too Large"
}, {
  limit: IntBetween(0, Number.MAX_SAFE_INTEGER).annotate({ description: "The largest request body accepted, in bytes" })
}) {}

/** The client made more requests than `RATE_LIMIT` allows in the window; `Retry-After` says when to come back. */
export class TooManyRequests extends HttpApiError.Problem<TooManyRequests>()("TooManyRequests", {
  type: problemType("too-many-requests"),
  status: 429,
  title: "Too Many Requests"
}) {}

/** The title for statuses whose problem carries nothing but its status (RFC 9457 `about:blank`). */
export const statusTitles: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable"
}

/** A 415 says which bodies the endpoint takes: its `Content-Type` must be one of them. */
export const unsupportedMediaTypeDetail = (accepted: Iterable<string> | undefined) => {
  const types = [...(accepted ?? [])]
  return `The body must be sent as ${types.length === 0 ? "application/json" : types.join(" or ")}`
}
