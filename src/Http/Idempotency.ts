/**
 * The server side of `Idempotency-Key` (contract: `src/Idempotency.ts`):
 * a write that carries a key runs through the {@link IdempotencyStore}, which
 * runs it at most once per credential and key and keeps its outcome with its
 * data; a retry gets that outcome again, byte for byte, with
 * `Idempotent-Replayed: true`. A write without the header pays one header
 * lookup. See `docs/idempotency.md`.
 */
import { Effect, Layer, Option } from "effect"
import { Digest } from "effect/crypto"
import { HttpServerRequest, HttpServerResponse } from "effect/http"
import { Credentials, requestVerification, type Verification } from "../Auth/Credentials.ts"
import { IdempotencyStore, type Outcome } from "../Repo/IdempotencyStore.ts"
import { Idempotency, isIdempotencyKey, replayedStatus } from "../Idempotency.ts"
import { isProblem, problemResponse } from "./Problems.ts"
import { CurrentRequestId } from "./RequestId.ts"

/** The headers a replay repeats; the rest (request id, rate limits, ...) belong to each response. */
const keptHeaders = ["location", "etag", "last-modified"] as const

const decoder = new TextDecoder()

/**
 * Whose key it is: the verified credential (`WriteAccess` let the write
 * through) — an API key's digest, or a token's subject so that a client's
 * renewed token keeps its keys; never the secret itself. Without access
 * control (handler tests), everyone is one client.
 */
const ownerOf = (verification: Verification): string =>
  verification._tag !== "Verified"
    ? "anonymous"
    : verification.subject !== undefined
    ? `sub:${verification.subject}`
    : verification.client

/** A response as stored. Our handlers answer with bytes or nothing; anything else is a bug (a 500, the write rolled back). */
const outcomeOf = (response: HttpServerResponse.HttpServerResponse): Outcome => {
  const headers: Record<string, string> = {}
  for (const name of keptHeaders) {
    const value = response.headers[name]
    if (value !== undefined) headers[name] = value
  }
  const body = response.body
  switch (body._tag) {
    case "Empty":
      return { status: response.status, headers, body: "" }
    case "Uint8Array":
      if (body.contentType !== undefined) headers["content-type"] = body.contentType
      return { status: response.status, headers, body: decoder.decode(body.body) }
    default:
      throw new Error(`Idempotency: a ${body._tag} response body cannot be stored`)
  }
}

const requestIdMember = "\"request_id\":\""

/**
 * A kept problem names the request it first answered; its replay names this
 * one, the rest byte for byte. The member is the last `"request_id":"` of the
 * body (inside a JSON string every quote is escaped), and request ids need no
 * escaping (`RequestId.ts`).
 */
const namingRequest = (body: string, requestId: string) => {
  const at = body.lastIndexOf(requestIdMember)
  if (at === -1) return body
  const start = at + requestIdMember.length
  return body.slice(0, start) + requestId + body.slice(body.indexOf("\"", start))
}

/** The stored outcome as a response again, to the request `requestId`. */
const replay = (outcome: Outcome, requestId: string): HttpServerResponse.HttpServerResponse => {
  const { "content-type": contentType, ...rest } = outcome.headers
  const headers = { ...rest, "idempotent-replayed": "true" }
  return contentType === undefined
    ? HttpServerResponse.empty({ status: outcome.status, headers })
    : HttpServerResponse.text(outcome.status >= 400 ? namingRequest(outcome.body, requestId) : outcome.body, {
      status: outcome.status,
      contentType,
      headers
    })
}

/**
 * A refusal that follows from the data (404, 409, 412, 422) is an outcome to
 * keep, so it becomes its response here; any other failure stays a failure
 * (nothing is kept, a retry runs anew).
 */
const recover = <E>(error: E): Effect.Effect<HttpServerResponse.HttpServerResponse, E> =>
  isProblem(error) && replayedStatus(error.status) ? problemResponse(error) : Effect.fail(error)

export const layer = Layer.effect(Idempotency, Effect.gen(function*() {
  const store = yield* IdempotencyStore
  const digest = yield* Digest.Digest
  const sha256 = (bytes: Uint8Array) => digest.digestHex(Digest.sha256, bytes)
  // The request's verification, memoised at the edge: asked again here, it is not made again.
  const owner = Option.match(yield* Effect.serviceOption(Credentials), {
    onNone: () => Effect.succeed("anonymous"),
    onSome: (credentials) => Effect.map(Effect.provideService(requestVerification, Credentials, credentials), ownerOf)
  })

  return Idempotency.of((httpEffect) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const key = request.headers["idempotency-key"]
      // No key: nothing to do. A malformed key: the endpoint's header schema answers 400 naming it.
      if (key === undefined || !isIdempotencyKey(key)) return httpEffect
      return Effect.matchEffect(request.arrayBuffer, {
        // A body that cannot be read: the handler meets the same failure and answers it.
        onFailure: () => httpEffect,
        onSuccess: (body) =>
          Effect.flatMap(
            Effect.all([owner, sha256(new Uint8Array(body))]),
            ([owner, bodyDigest]) =>
              Effect.flatMap(
                store.run({ owner, key, fingerprint: `${request.method} ${request.url} ${bodyDigest}` }, httpEffect, recover, outcomeOf),
                (result) => result._tag === "Ran" ? Effect.succeed(result.value) : Effect.map(CurrentRequestId, (id) => replay(result.outcome, id))
              )
          )
      })
    })
  )
}))
