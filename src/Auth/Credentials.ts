/**
 * The credentials a request carries, verified once: an
 * `X-API-Key` from `API_KEYS`, or a bearer token the identity provider
 * signed. Three parts of the service ask who a request comes from:
 *
 * - the rate limit counts a request against its *verified* credential, else
 *   its address, so made-up keys and tokens neither escape the limit nor
 *   grow the number of counters;
 * - the UTF-8 check of JSON bodies reads a body only once the credentials
 *   passed (a bad key is a 401, whatever the body);
 * - the `WriteAccess` middleware answers 401/403 or lets the write through.
 *
 * The edge middleware {@link memoizeVerification} puts a memo of the verification in the request's
 * context when the request carries credentials at all, so the three share
 * one verification, made only if one of them asks.
 */
import { Context, Effect, Layer, Redacted } from "effect"
import { Digest } from "effect/crypto"
import { HttpServerRequest, type HttpServerResponse } from "effect/http"
import { AccessTokens } from "./AccessTokens.ts"
import { ApiKeys } from "./ApiKeys.ts"
import { type TokenKeysUnavailable, Unauthorized } from "./WriteAccess.ts"

/** What a request's credentials turned out to be. */
export type Verification =
  /** No `X-API-Key` and no bearer token (an empty one, or another scheme, is none). */
  | { readonly _tag: "None" }
  /**
   * A key or token that holds. `client` names it for the rate limit (a digest,
   * never the credential); `scopes` is what it may write, `"all"` for a key.
   */
  | {
    readonly _tag: "Verified"
    readonly client: string
    readonly scopes: "all" | ReadonlySet<string>
    /** A token's `sub`: the same client across renewed tokens (idempotency keys belong to it). */
    readonly subject?: string | undefined
  }
  /** Credentials were sent and do not hold (401), or the keys to check a token cannot be fetched (503). */
  | { readonly _tag: "Refused"; readonly problem: Unauthorized | TokenKeysUnavailable }

const none: Verification = { _tag: "None" }
const noneNow = Effect.succeed(none)

/** `Bearer <token>` (the scheme is case-insensitive, RFC 9110 §11.1); `undefined` for none or an empty one. */
const bearerToken = (authorization: string | undefined) => {
  if (authorization === undefined || !/^bearer /i.test(authorization)) return undefined
  const token = authorization.slice(7).trim()
  return token === "" ? undefined : token
}

/** Whether a request carries anything that could be a credential: only such requests pay for a memo. */
const carriesCredentials = (headers: HttpServerRequest.HttpServerRequest["headers"]) =>
  (headers["x-api-key"] !== undefined && headers["x-api-key"] !== "") || bearerToken(headers.authorization) !== undefined

export class Credentials extends Context.Service<Credentials, {
  /** Verifies the credentials in `headers`. Never fails: a refusal is a {@link Verification} too. */
  readonly verify: (headers: HttpServerRequest.HttpServerRequest["headers"]) => Effect.Effect<Verification>
}>()("zoo-api/Auth/Credentials") {
  /** From the API keys and the token verifier. A refused key with a token beside it: the token decides. */
  static readonly layer = Layer.effect(
    Credentials,
    Effect.gen(function*() {
      const apiKeys = yield* ApiKeys
      const tokens = yield* AccessTokens
      const digest = yield* Digest.Digest
      const encoder = new TextEncoder()
      const verifyToken = (token: string) =>
        tokens.verify(Redacted.make(token)).pipe(
          Effect.flatMap((grant) =>
            Effect.map(digest.digestHex(Digest.sha256, encoder.encode(token)), (hex): Verification => ({
              _tag: "Verified",
              client: `bearer:${hex}`,
              scopes: grant.scopes,
              subject: grant.subject
            }))
          ),
          Effect.catch((problem) => Effect.succeed<Verification>({ _tag: "Refused", problem }))
        )
      return Credentials.of({
        verify: Effect.fnUntraced(function*(headers) {
          const key = headers["x-api-key"]
          const token = bearerToken(headers.authorization)
          if (key !== undefined && key !== "") {
            const client = yield* apiKeys.verify(Redacted.make(key))
            if (client !== undefined) return { _tag: "Verified", client, scopes: "all" } satisfies Verification
            if (token === undefined) return { _tag: "Refused", problem: Unauthorized.invalidApiKey } satisfies Verification
          }
          return token === undefined ? none : yield* verifyToken(token)
        })
      })
    })
  )
}

/**
 * The memo of the current request's verification, put there by {@link memoizeVerification};
 * `undefined` when the request carries no credentials or no stage ran.
 */
export const CurrentVerification = Context.Reference<Effect.Effect<Verification> | undefined>(
  "zoo-api/Auth/CurrentVerification",
  { defaultValue: () => undefined }
)

/** The current request's verification: the memo's, or made now when there is none. */
export const requestVerification: Effect.Effect<Verification, never, Credentials | HttpServerRequest.HttpServerRequest> =
  Effect.flatMap(CurrentVerification, (memo) =>
    memo ?? Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      carriesCredentials(request.headers) ? Effect.flatMap(Credentials, (credentials) => credentials.verify(request.headers)) : noneNow))

/**
 * The verification of a request inside the edge, after {@link memoizeVerification}: the
 * memo, or `None` when the request carries no credentials.
 */
export const edgeVerification: Effect.Effect<Verification> = Effect.flatMap(CurrentVerification, (memo) => memo ?? noneNow)

/** Methods that never write: without a rate limit, nothing asks for their credentials. */
const reads: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"])

/**
 * The edge middleware: for a request that carries credentials, a memo of
 * their verification in its context (verified at most once, and only if
 * asked). A request without any pays one header check; so does a read when
 * `forReads` is off (no rate limit: only writes are asked about).
 */
export const memoizeVerification = (credentials: Credentials["Service"], options: { readonly forReads: boolean }) =>
<E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.withFiber((fiber) => {
    const request = Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest)
    if ((!options.forReads && reads.has(request.method)) || !carriesCredentials(request.headers)) return app
    let verified: Verification | undefined
    const memo = Effect.suspend(() =>
      verified !== undefined ? Effect.succeed(verified) : Effect.map(credentials.verify(request.headers), (verification) => {
        verified = verification
        return verification
      })
    )
    return Effect.provideService(app, CurrentVerification, memo)
  })
