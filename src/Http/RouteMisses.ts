/**
 * What the router does not serve: an unknown path is a 404 problem; a known
 * path with a method it does not serve is a 405 with `Allow` (effect's router
 * answers it as an empty 404), and `OPTIONS` on it a 204 with `Allow`; an
 * alias of a route (`/v1/animals;x`, `/v1/%61nimals`) is an unknown path and
 * never reaches its handler.
 */
import { Cause, Effect } from "effect"
import type { HttpServerRequest} from "effect/http";
import { HttpServerError, HttpServerResponse } from "effect/http"
import { MethodNotAllowed, RouteNotFound } from "../Errors.ts"
import { problemResponse } from "./Problems.ts"
import { type RequestRoute, withRequest } from "./Routes.ts"

const isRouteNotFound = (cause: Cause.Cause<unknown>): boolean => {
  const failure = Cause.findErrorOption(cause)
  return failure._tag === "Some" && HttpServerError.isHttpServerError(failure.value) &&
    failure.value.reason._tag === "RouteNotFound"
}

const notFound = (path: string) => problemResponse(new RouteNotFound({ detail: `No resource at ${path}` }))

const missed = (request: HttpServerRequest.HttpServerRequest, { known, path }: RequestRoute) => {
  if (known === undefined) return notFound(path)
  const { allow } = known
  if (request.method === "OPTIONS") return Effect.succeed(HttpServerResponse.empty({ status: 204, headers: { allow } }))
  return problemResponse(
    new MethodNotAllowed({ detail: `${request.method} is not supported on ${path}`, allow: allow.split(", ") }),
    { headers: { allow } }
  )
}

/** The middleware, inside {@link matchRoute}: answers the router's misses and the aliases of routes. */
export const answerRouteMisses = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  withRequest((request, route) =>
    route.alias
      ? notFound(route.path)
      : Effect.catchCause(app, (cause) => (isRouteNotFound(cause) ? missed(request, route) : Effect.failCause(cause))))
