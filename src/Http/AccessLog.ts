/**
 * One JSON access line per request, at Info: method, route pattern, status,
 * duration and client address (the request id is in the line's annotations).
 * The probes and `/metrics` are polled every few seconds: their lines are at
 * Debug, so they do not drown the rest.
 */
import { Effect } from "effect"
import { HttpServerRequest, type HttpServerResponse } from "effect/http"
import { CurrentRoute, routeLabel } from "./Routes.ts"

const quietRoutes: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/metrics"])

/** The middleware writing the line once the response is made. */
export const accessLog = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const started = performance.now()
    return Effect.flatMap(app, (response) =>
      Effect.flatMap(CurrentRoute, (current) => {
        const route = routeLabel(current)
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
      }))
  })
