/**
 * CORS for the origins in `CORS_ORIGINS`, and for no one else:
 *
 * - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
 *   from an allowed origin to a known path is answered here: 204, the methods
 *   of the path's `Allow`, the request headers the API reads, a max age.
 * - Every other request from an allowed origin is served as usual, and its
 *   response names the origin and exposes the headers the API sends.
 * - Any other origin gets no CORS headers at all, and an `OPTIONS` that is not
 *   a preflight reaches the API's own OPTIONS endpoints (capabilities, `Allow`).
 *
 * No credentials mode: the API takes its credentials from headers, never
 * from cookies. `HttpRouter.cors` is not used: it answers every `OPTIONS`.
 */
import { Effect } from "effect"
import { type HttpServerRequest, HttpServerResponse } from "effect/http"
import { withRequest } from "./Routes.ts"

/** Request headers a browser may send cross-origin: the ones the API reads. */
const allowedHeaders = ["content-type", "x-api-key", "authorization", "if-match", "if-none-match", "x-request-id"].join(", ")

/** Response headers a browser script may read (beyond the CORS-safelisted ones). */
const exposedHeaders = [
  "ETag",
  "Location",
  "Link",
  "Allow",
  "X-Total-Count",
  "X-Request-Id",
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
  "Retry-After",
  "Deprecation",
  "Sunset",
  "Last-Modified",
  "WWW-Authenticate"
].join(", ")

/** How long a browser may reuse a preflight answer (seconds; Chromium caps it at 7200). */
const maxAge = "7200"

/** Responses differ by `Origin`, so caches must key on it, for requests without one too. */
const varyOrigin = (response: HttpServerResponse.HttpServerResponse) => {
  const vary = response.headers.vary
  return HttpServerResponse.setHeader(response, "vary", vary === undefined || vary === "" ? "Origin" : `${vary}, Origin`)
}

/** The CORS middleware; `undefined` (no middleware, no cost) when no origin is allowed. */
export const cors = (origins: ReadonlyArray<string>) => {
  if (origins.length === 0) return undefined
  const allowed: ReadonlySet<string> = new Set(origins)
  return <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
    withRequest((request, { known }) => {
      const origin = request.headers.origin
      if (origin === undefined || !allowed.has(origin)) return Effect.map(app, varyOrigin)
      if (request.method === "OPTIONS" && known !== undefined && request.headers["access-control-request-method"] !== undefined) {
        return Effect.succeed(HttpServerResponse.empty({
          status: 204,
          headers: {
            "access-control-allow-origin": origin,
            "access-control-allow-methods": known.allow,
            "access-control-allow-headers": allowedHeaders,
            "access-control-max-age": maxAge,
            vary: "Origin"
          }
        }))
      }
      return withOrigin(app, origin)
    })
}

/** A response to an allowed origin: named, with the headers a script may read. */
const withOrigin = <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>, origin: string) =>
  Effect.map(app, (response) =>
    varyOrigin(HttpServerResponse.setHeaders(response, {
      "access-control-allow-origin": origin,
      "access-control-expose-headers": exposedHeaders
    })))
