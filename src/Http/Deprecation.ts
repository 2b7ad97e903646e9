/**
 * `/v1` announces its retirement on every response, success or error
 * (SPEC §5): `Deprecation: @<epoch seconds>` (RFC 9745), `Sunset: <HTTP-date>`
 * (RFC 8594) and `Link: </v2/...>; rel="successor-version"` (RFC 5829), the
 * same path under `/v2`, added to any `Link` the response has already (a
 * list's `rel="next"`).
 */
import { Context, Effect } from "effect"
import { v1RetirementDefaults } from "../Config.ts"
import { currentVersion } from "../Shared/Versions.ts"
import type { PathHeaders } from "./Problems.ts"

/** When `/v1` was (or will be) deprecated and when it goes away; `main.ts` provides the configured dates. */
export const V1Retirement = Context.Reference<{ readonly deprecatedAt: Date; readonly sunsetAt: Date }>(
  "zoo-api/V1Retirement",
  { defaultValue: () => v1RetirementDefaults }
)

const retired = "/v1"

/** Characters a `Link` target cannot hold unescaped; a raw client may send them in a path. */
const unsafeInLink = /[<>"\s,;]/g

/** The same path in the current version: `/v1/animals/1` → `/v2/animals/1`. */
const successorOf = (path: string) =>
  `/v${currentVersion}${path.slice(retired.length)}`.replace(unsafeInLink, (c) => encodeURIComponent(c))

/**
 * The edge's `PathHeaders` adding the three headers to every response under
 * `/v1`. The header values are made once, when the app starts; a request pays
 * a prefix check, and under `/v1` the successor link.
 */
export const v1RetirementHeaders = Effect.map(V1Retirement, ({ deprecatedAt, sunsetAt }): PathHeaders => {
  const deprecation = `@${Math.floor(deprecatedAt.getTime() / 1000)}`
  const sunset = sunsetAt.toUTCString()
  return (path, response) => {
    if (path !== retired && !path.startsWith(`${retired}/`)) return undefined
    const successor = `<${successorOf(path)}>; rel="successor-version"`
    const link = response.headers.link
    return { deprecation, sunset, link: link === undefined || link === "" ? successor : `${link}, ${successor}` }
  }
})
