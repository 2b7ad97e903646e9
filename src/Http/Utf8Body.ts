/**
 * JSON bodies must be UTF-8 (RFC 8259 §8.1). The platform decodes bodies
 * leniently — a byte that is not UTF-8 becomes U+FFFD — so a name sent with
 * a stray byte would be stored as something the client never sent. This edge
 * stage refuses such a body with a 400 before any handler reads it; the body
 * is read once (the platform caches it for the handler).
 *
 * Only once the credentials passed: every JSON body belongs to a write, and
 * a write without credentials that hold is the `WriteAccess` middleware's
 * 401, which reads no body (a bad key with a non-UTF-8 body is a 401).
 */
import { type ByteSize, Effect } from "effect"
import { HttpServerRequest, type HttpServerResponse } from "effect/http"
import { HttpApiError } from "effect/http-api"
import { edgeVerification } from "../Auth/Credentials.ts"
import { problemResponse } from "./Problems.ts"
import { mediaTypeOf, withRequest } from "./Routes.ts"

const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

/** Whether `bytes` are UTF-8, every byte of them (Web standards only, no `node:buffer`: the app runs on Deno and Bun). */
const isUtf8 = (bytes: ArrayBuffer) => {
  try {
    strictUtf8.decode(bytes)
    return true
  } catch {
    return false
  }
}

const notUtf8 = new HttpApiError.BadRequestProblem({
  detail: "Request validation failed",
  errors: [{ path: ["payload"], message: "the request body: must be JSON encoded as UTF-8" }]
})

/**
 * The middleware. It reads under the body limit, as the handler would: the
 * read is cached, so whatever it ends in (a body, or the limit's 413) is what
 * the handler gets.
 */
export const requireUtf8Json = (
  limit: ByteSize.ByteSize,
  options: {
    /** Whether the credentials' memo runs (it does wherever `WriteAccessLive` serves): then only verified writes are read. */
    readonly afterCredentials: boolean
  }
) =>
<E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  withRequest((request, { known }) => {
    // Only a body the endpoint would decode as JSON (no type at all is read as JSON); any other is its 415.
    const jsonTypes = known?.jsonBodies.get(request.method)
    if (jsonTypes === undefined || !jsonTypes.has(mediaTypeOf(request.headers["content-type"] ?? "application/json"))) {
      return app
    }
    const checked = Effect.matchEffect(Effect.provideService(request.arrayBuffer, HttpServerRequest.MaxBodySize, limit), {
      // A body that cannot be read (over the limit, cut off) is the platform's to answer, as before.
      onFailure: () => app,
      onSuccess: (bytes) => (isUtf8(bytes) ? app : problemResponse(notUtf8))
    })
    return options.afterCredentials
      ? Effect.flatMap(edgeVerification, (verification) => (verification._tag === "Verified" ? checked : app))
      : checked
  })
