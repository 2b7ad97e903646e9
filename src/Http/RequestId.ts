/**
 * Every request has an id: the client's `X-Request-Id` when it is sane,
 * otherwise one made here. It is echoed in `X-Request-Id`, annotates every
 * log line of the request, and is in every problem body (`request_id`).
 */
import { Context, Effect } from "effect"
import { HttpServerRequest, HttpServerResponse } from "effect/http"

/** The id of the request being served, put there by {@link requestId}. */
export const CurrentRequestId = Context.Reference<string>("zoo-api/Http/CurrentRequestId", {
  defaultValue: () => "unknown"
})

/** A client's id is kept when it is short and plain: it goes into logs and headers as it is. */
const saneRequestId = /^[A-Za-z0-9._-]{1,128}$/

const requestIdOf = (header: string | undefined) =>
  header !== undefined && saneRequestId.test(header) ? header : globalThis.crypto.randomUUID()

/** The middleware: the id in {@link CurrentRequestId}, in the log annotations and on the response. */
export const requestId = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.withFiber((fiber) => {
    const id = requestIdOf(Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest).headers["x-request-id"])
    return app.pipe(
      Effect.map(HttpServerResponse.setHeader("x-request-id", id)),
      Effect.provideService(CurrentRequestId, id),
      Effect.annotateLogs("request_id", id)
    )
  })
