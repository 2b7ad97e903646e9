/**
 * The request body limit, `BODY_LIMIT`: a larger body is a 413
 * problem, and the connection is closed rather than read to its end.
 *
 * - A `Content-Length` over the limit is refused before any handler runs,
 *   without reading a byte of the body.
 * - A body without a length (chunked) is read only up to the limit: the
 *   platform's `MaxBodySize` stops the read there, and the edge turns its
 *   empty 413 into the same problem.
 */
import { type ByteSize, Effect, Layer } from "effect"
import { HttpServerRequest, type HttpServerResponse } from "effect/http"
import { ContentTooLarge } from "../Errors.ts"
import { problemResponse } from "./Problems.ts"
import { withRequest } from "./Routes.ts"

/**
 * The middleware: refuses a declared length over the limit before the body
 * is touched, and gives the platform's bare 413 (a chunked body that ran
 * over) the same problem body.
 */
export const limitBody = (limit: ByteSize.ByteSize) => {
  const bytes = Number(limit)
  const tooLarge = new ContentTooLarge({ detail: `The request body is larger than ${bytes} bytes`, limit: bytes })
  // RFC 9110 §15.5.14: the server may close the connection, so the client stops sending the rest.
  const refused = problemResponse(tooLarge, { headers: { connection: "close" } })
  return <E, R>(
    app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
    withRequest((request) => {
      const length = request.headers["content-length"]
      if (length !== undefined) return Number(length) > bytes ? refused : app
      // Without a length, only a chunked body can run over (and only then does the platform answer 413).
      if (request.headers["transfer-encoding"] === undefined) return app
      return Effect.flatMap(app, (response) => (response.status === 413 && response.body._tag === "Empty" ? refused : Effect.succeed(response)))
    })
}

/** Bounds every body read (`MaxBodySize`), so a chunked body stops at the limit too. */
export const layer = (limit: ByteSize.ByteSize) => Layer.succeed(HttpServerRequest.MaxBodySize, limit)
