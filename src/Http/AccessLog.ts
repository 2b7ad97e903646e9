/**
 * One JSON access line per request, at Info: method, route pattern, status,
 * duration and client address (the request id is in the line's annotations).
 * The probes and `/metrics` are polled every few seconds: their lines are at
 * Debug, so they do not drown the rest.
 */
import { Effect } from "effect"
import type { HttpServerRequest, HttpServerResponse } from "effect/http"
import { routeLabel, withRequest } from "./Routes.ts"

const quietRoutes: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/metrics"])

/** The middleware writing the line once the response is made. */
export const accessLog = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  withRequest((request, current) => {
    const started = performance.now()
    const route = routeLabel(current)
    return Effect.flatMap(app, (response) => {
      const line = quietRoutes.has(route) ? Effect.logDebug("http") : Effect.logInfo("http")
      return Effect.as(
        Effect.annotateLogs(line, {
          method: request.method,
          route,
          status: response.status,
          duration_ms: Math.round((performance.now() - started) * 100) / 100,
          client: request.remoteAddress._tag === "Some" ? request.remoteAddress.value : "unknown"
        }),
        response
      )
    })
  })
