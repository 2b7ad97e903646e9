/**
 * The server side of {@link WriteAccess}: checks the credentials of every
 * write before anything else about the request is looked at.
 *
 * The credentials themselves are verified by {@link Credentials} (once per
 * request, shared with the rate limit and the UTF-8 check of bodies): a key
 * holds every scope, a token the scopes it names; a wrong key with no token
 * beside it is "invalid API key", not "no credentials".
 */
import { Context, Effect, Layer, Option } from "effect"
import type { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import * as Config from "../Config.ts"
import { AccessTokens } from "./AccessTokens.ts"
import { ApiKeys } from "./ApiKeys.ts"
import { Credentials, requestVerification } from "./Credentials.ts"
import { type AuthConfig, type AuthSettings, fromConfig } from "./AuthSettings.ts"
import { Forbidden, RequiredScope, Unauthorized, WriteAccess, type WriteScope } from "./WriteAccess.ts"

/** The scope an endpoint requires: its own annotation, else its group's. */
const requiredScope = (endpoint: HttpApiEndpoint.Top, group: HttpApiGroup.Top): Effect.Effect<WriteScope> =>
  Option.match(
    Option.orElse(Context.getOption(endpoint.annotations, RequiredScope), () => Context.getOption(group.annotations, RequiredScope)),
    {
      onSome: Effect.succeed,
      // A contract bug, not the client's (test/Auth.test.ts checks every guarded endpoint): a 500, never an open door.
      onNone: () => Effect.die(new Error(`${group.identifier}.${endpoint.identifier} uses WriteAccess without a RequiredScope`))
    }
  )

/**
 * The middleware, given the request's {@link Credentials}. Untraced: a span
 * here would wrap the whole handler; the verifications have spans of their own.
 *
 * Both schemes run the same check on the same (memoised) verification: the
 * request's credentials are verified once, as a whole, whichever scheme
 * effect asks first.
 */
export const layerFromCredentials = Layer.effect(WriteAccess, Effect.gen(function*() {
  const credentials = yield* Credentials
  const check = Effect.fnUntraced(function*<A, E, R>(
    httpEffect: Effect.Effect<A, E, R>,
    { endpoint, group }: { readonly endpoint: HttpApiEndpoint.Top; readonly group: HttpApiGroup.Top }
  ) {
    const verification = yield* Effect.provideService(requestVerification, Credentials, credentials)
    if (verification._tag === "None") return yield* Unauthorized.missing
    if (verification._tag === "Refused") return yield* verification.problem
    if (verification.scopes !== "all") {
      const scope = yield* requiredScope(endpoint, group)
      if (!verification.scopes.has(scope)) return yield* Forbidden.of(scope)
    }
    return yield* httpEffect
  })
  return WriteAccess.of({ apiKey: check, bearer: check })
}))

/** The middleware and the request {@link Credentials}, given the keys and the token verifier. */
export const layerFromVerifiers = layerFromCredentials.pipe(Layer.provideMerge(Credentials.layer))

/** The middleware with the given API keys and identity provider. */
export const layer = (settings: AuthSettings) =>
  layerFromVerifiers.pipe(
    Layer.provide([ApiKeys.layer(settings.apiKeys), AccessTokens.layerFrom(settings.tokens)])
  )

/** The middleware as configured (see `AuthSettings.fromConfig`). */
export const layerConfig = (config: AuthConfig) => Layer.unwrap(Effect.map(fromConfig(config), layer))

/** The middleware as the environment configures it, for entry points that read no configuration of their own (`src/web.ts`). */
export const layerFromEnv = Layer.unwrap(Effect.map(Config.load, layerConfig))
