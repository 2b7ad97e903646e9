/**
 * Bearer tokens: RS256 JWTs from an identity provider, verified with `jose`
 * against its JSON Web Key Set (Auth0's conventions: `iss`, `aud`, scopes in
 * the space-separated `scope` claim or in the `permissions` array).
 *
 * A remote JWKS (`AUTH_JWKS_URL`) is fetched once at start and cached. A
 * token signed by a key the cache does not hold (the provider rotated its
 * keys) makes `jose` fetch the set again. At most one fetch goes out per
 * cooldown, whether the last one succeeded or failed (jose's own cooldown
 * starts only after a success), so a stream of made-up `kid`s cannot turn
 * the service against a provider that is down, or against one that is up.
 * The cached set is also refetched once it is older than `cacheMaxAge`.
 *
 * Besides jose's checks, a token issued in the future (`iat` beyond a small
 * clock leeway) is refused: a clock that far off, or a forged `iat`, is not
 * a token to trust.
 * A local JWKS (`AUTH_JWKS_FILE`) is read once; a rotation needs a restart.
 */
import { Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type JSONWebKeySet,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey
} from "jose"
import * as Tracing from "../Tracing.ts"
import { TokenKeysUnavailable, Unauthorized } from "./WriteAccess.ts"

/** Where the signing keys come from. */
export type JwksSource =
  | { readonly _tag: "Remote"; readonly url: URL }
  | { readonly _tag: "Local"; readonly keys: JSONWebKeySet }

export interface TokenSettings {
  readonly jwks: JwksSource
  /** The exact `iss` of the provider's tokens; Auth0's ends with a slash: `https://tenant.eu.auth0.com/`. */
  readonly issuer: string
  /** The `aud` this API is known by at the provider. */
  readonly audience: string
  /** After a fetch, how long before an unknown `kid` may trigger another; 30 seconds by default. */
  readonly refetchCooldown?: Duration.Input | undefined
  /** How long a fetched set is used before it is fetched again; 10 minutes by default. */
  readonly cacheMaxAge?: Duration.Input | undefined
  /** How long a fetch may take; 5 seconds by default. */
  readonly fetchTimeout?: Duration.Input | undefined
}

/** What a verified token allows. */
export interface Grant {
  readonly subject: string | undefined
  readonly scopes: ReadonlySet<string>
}

/** Only RS256: Auth0's signing algorithm, and no `none`, no HMAC with a public key as the secret. */
const algorithms = ["RS256"]

/** How far in the future a token's `iat` may be: the clocks of two machines differ a little, never more. */
export const issuedAtLeeway = Duration.seconds(30)
const issuedAtLeewaySeconds = Duration.toSeconds(issuedAtLeeway)

/** The fetch jose gets refused while a fetch went out less than a cooldown ago. */
const coolingDown = new errors.JOSEError("The JWKS was fetched less than a cooldown ago; not fetching it again yet")

/** The scopes of a token: the `scope` claim (space-separated) and Auth0's `permissions` array. */
export const scopesOf = (payload: JWTPayload): ReadonlySet<string> => {
  const scopes = new Set<string>()
  if (typeof payload.scope === "string") for (const scope of payload.scope.split(" ")) if (scope !== "") scopes.add(scope)
  if (Array.isArray(payload.permissions)) for (const permission of payload.permissions) if (typeof permission === "string") scopes.add(permission)
  return scopes
}

/**
 * What a failed verification means for the client. Failures of the token
 * itself are a 401; a JWKS that cannot be fetched is the service's problem
 * (503), not the client's.
 */
const rejection = (error: unknown): Unauthorized | TokenKeysUnavailable => {
  if (!(error instanceof errors.JOSEError)) return TokenKeysUnavailable.instance
  switch (error.code) {
    case errors.JWTExpired.code:
      return Unauthorized.invalidToken("The token has expired")
    case errors.JWTClaimValidationFailed.code:
      return Unauthorized.invalidToken(`The token's ${(error as errors.JWTClaimValidationFailed).claim} claim is not accepted`)
    case errors.JWKSNoMatchingKey.code:
    case errors.JWKSMultipleMatchingKeys.code:
    case errors.JWSSignatureVerificationFailed.code:
      return Unauthorized.invalidToken("The token's signature does not verify with the identity provider's keys")
    case errors.JOSEAlgNotAllowed.code:
      return Unauthorized.invalidToken("The token is not signed with RS256")
    case errors.JOSENotSupported.code:
      // jose names an unknown `crit` extension so; anything else it does not support is an algorithm or key type.
      return Unauthorized.invalidToken(
        error.message.startsWith("Extension Header Parameter")
          ? "The token's crit header names an extension this service does not support"
          : "The token is not signed with RS256"
      )
    // The remote JWKS timed out, answered other than 200, or sent something that is not a key set.
    case errors.JWKSTimeout.code:
    case errors.JWKSInvalid.code:
    case errors.JOSEError.code:
      return TokenKeysUnavailable.instance
    default:
      return Unauthorized.invalidToken("The token is malformed")
  }
}

/** The bearer tokens the service accepts. */
export class AccessTokens extends Context.Service<AccessTokens, {
  /** What the token allows, if it is valid: signed by the provider, for this API, not expired. */
  readonly verify: (token: Redacted.Redacted<string>) => Effect.Effect<Grant, Unauthorized | TokenKeysUnavailable>
}>()("zoo-api/Auth/AccessTokens") {
  static readonly layer = (settings: TokenSettings) =>
    Layer.effect(AccessTokens, Effect.gen(function*() {
      let keys: JWTVerifyGetKey
      if (settings.jwks._tag === "Local") {
        keys = createLocalJWKSet(settings.jwks.keys)
      } else {
        const url = settings.jwks.url
        const cooldown = Duration.toMillis(settings.refetchCooldown ?? "30 seconds")
        // When the last fetch went out (ms), whatever came of it: jose's cooldown counts from a success only.
        let fetchedAt = Number.NEGATIVE_INFINITY
        // jose's own defaults, written out: they are what key rotation looks like from outside (README, Security).
        const remote = createRemoteJWKSet(url, {
          cooldownDuration: cooldown,
          cacheMaxAge: Duration.toMillis(settings.cacheMaxAge ?? "10 minutes"),
          timeoutDuration: Duration.toMillis(settings.fetchTimeout ?? "5 seconds"),
          [customFetch]: (input, init) => {
            const now = Date.now()
            if (now - fetchedAt < cooldown) return Promise.reject(coolingDown)
            fetchedAt = now
            return fetch(input, init)
          }
        })
        keys = remote
        // Fetched in the background: the first token does not wait for it, and a provider that is
        // down delays nothing (API keys and reads keep working), but the operator hears of it now.
        yield* Effect.tryPromise(() => remote.reload()).pipe(
          Effect.catch((error) =>
            Effect.logWarning(`The JWKS at ${url.href} cannot be fetched (${String(error.cause)}); bearer tokens fail until it can`)
          ),
          Effect.forkScoped
        )
      }
      const options = {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms,
        // A token without an expiry would be valid forever.
        requiredClaims: ["exp"]
      }
      const traced = yield* Tracing.tracedFunction
      return AccessTokens.of({
        verify: traced("AccessTokens.verify")(function*(token) {
          const { payload } = yield* Effect.tryPromise({
            try: () => jwtVerify(Redacted.value(token), keys, options),
            catch: (error) => error
          }).pipe(
            Effect.mapError((error) => ({ error, problem: rejection(error) })),
            // Once per fetch that failed, not once per token refused in the cooldown after it.
            Effect.tapError(({ error, problem }) =>
              problem._tag === "TokenKeysUnavailable" && error !== coolingDown
                ? Effect.logWarning("The identity provider's JWKS cannot be fetched: bearer tokens are refused with 503")
                : Effect.void
            ),
            Effect.mapError(({ problem }) => problem)
          )
          if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + issuedAtLeewaySeconds) {
            return yield* Unauthorized.invalidToken("The token's iat claim is in the future")
          }
          return { subject: payload.sub, scopes: scopesOf(payload) }
        })
      })
    }))

  /** No identity provider configured: a bearer token is refused like any other bad credential. */
  static readonly layerDisabled = Layer.succeed(
    AccessTokens,
    AccessTokens.of({
      verify: () => Effect.fail(Unauthorized.invalidToken("This service does not accept bearer tokens; use an X-API-Key"))
    })
  )

  /** From optional settings: {@link layer} when a provider is configured, {@link layerDisabled} otherwise. */
  static readonly layerFrom = (settings: Option.Option<TokenSettings>) =>
    Option.match(settings, { onNone: () => AccessTokens.layerDisabled, onSome: AccessTokens.layer })
}
