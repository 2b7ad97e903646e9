/**
 * Every API response is JSON: a request whose `Accept` rules JSON out gets a
 * 406 problem (in JSON, which RFC 9110 §15.5.7 allows) instead of a body it
 * said it cannot read. The HTML docs page and its scripts are not JSON.
 */
import type { Effect } from "effect"
import type { HttpServerRequest, HttpServerResponse } from "effect/http"
import { NotAcceptable } from "../Errors.ts"
import { problemResponse } from "./Problems.ts"
import { withRequest } from "./Routes.ts"

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

const notAcceptable = new NotAcceptable({ detail: "This resource is only available as application/json" })

/** Everything but the HTML docs page and its scripts answers JSON. */
const answersJson = (url: string) => !url.startsWith("/docs")

/** The middleware: 406 for a request to a JSON resource that does not accept JSON. */
export const requireAcceptableJson = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  withRequest((request) => (answersJson(request.url) && excludesJson(request.headers.accept) ? problemResponse(notAcceptable) : app))
