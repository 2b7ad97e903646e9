/**
 * `/v1` announces its retirement on every response, success or error, the
 * edge's own 404/405/406 included: `Deprecation: @<epoch seconds>` (RFC 9745), `Sunset: <HTTP-date>`
 * (RFC 8594) and `Link: </v2/...>; rel="successor-version"` (RFC 5829), the
 * same path under `/v2`, added to any `Link` the response has already (a
 * list's `rel="next"`).
 */
import { Context, Effect } from "effect"
import { type HttpServerRequest, HttpServerResponse } from "effect/http"
import { v1RetirementDefaults } from "../Config.ts"
import { currentVersion } from "../Shared/Versions.ts"
import { withRequest } from "./Routes.ts"

/** When `/v1` was (or will be) deprecated and when it goes away; `main.ts` provides the configured dates. */
export const V1Retirement = Context.Reference<{ readonly deprecatedAt: Date; readonly sunsetAt: Date }>(
  "zoo-api/V1Retirement",
  { defaultValue: () => v1RetirementDefaults }
)

const retired = "/v1"

/** Segments made of these alone go into a `Link` as they are; any other is decoded and encoded again. */
const plainPath = /^[A-Za-z0-9._~/-]*$/

/** A segment as the text it stands for, encoded anew; one that does not decode is taken as text. */
const reencoded = (segment: string) => {
  try {
    return encodeURIComponent(decodeURIComponent(segment))
  } catch {
    return encodeURIComponent(segment)
  }
}

/**
 * The same path in the current version: `/v1/animals/1` → `/v2/animals/1`.
 * Built from the path's decoded segments, each percent-encoded again, so
 * nothing a client wrote reaches the header as it was written.
 */
const successorOf = (path: string) => {
  const rest = path.slice(retired.length)
  return `/v${currentVersion}${plainPath.test(rest) ? rest : rest.split("/").map(reencoded).join("/")}`
}

/**
 * The middleware adding the three headers to every response under `/v1`.
 * The header values are made once, when the app starts; a request pays a
 * prefix check, and under `/v1` the successor link.
 */
export const v1RetirementHeaders = Effect.map(V1Retirement, ({ deprecatedAt, sunsetAt }) => {
  const deprecation = `@${Math.floor(deprecatedAt.getTime() / 1000)}`
  const sunset = sunsetAt.toUTCString()
  return <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
    withRequest((_request, { path }) => {
      if (path !== retired && !path.startsWith(`${retired}/`)) return app
      const successor = `<${successorOf(path)}>; rel="successor-version"`
      return Effect.map(app, (response) => {
        const link = response.headers.link
        return HttpServerResponse.setHeaders(response, {
          deprecation,
          sunset,
          link: link === undefined || link === "" ? successor : `${link}, ${successor}`
        })
      })
    })
})
