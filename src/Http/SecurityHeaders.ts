/**
 * On every response: no MIME sniffing of what we send, no `Referer` leaking
 * our URLs (ids included) to wherever a client goes next. Node sends no
 * `X-Powered-By`; the docs page adds its own strict CSP.
 */
import { Effect } from "effect"
import { type HttpServerRequest, HttpServerResponse } from "effect/http"

const addSecurityHeaders = HttpServerResponse.setHeaders({
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer"
})

/** The middleware adding the headers to every response, errors included. */
export const securityHeaders = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.map(app, addSecurityHeaders)
