/**
 * The server side of {@link WriteAccess}: checks the credentials of every
 * write before anything else about the request is looked at.
 *
 * Effect tries the schemes in their declared order, `apiKey` then `bearer`,
 * and answers with the last scheme's failure when none succeeds. The bearer
 * handler therefore also speaks for an API key refused before it: a request
 * with a wrong key and no token hears "invalid API key", not "no credentials".
 */
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { HttpServerRequest } from "effect/http"
import type { HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import * as Config from "../Config.ts"
import { AccessTokens } from "./AccessTokens.ts"
import { ApiKeys } from "./ApiKeys.ts"
import { Principal } from "./Principal.ts"
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
 * The middleware, given the keys and the token verifier. Untraced: a span here
 * would wrap the whole handler; the verifications have spans of their own.
 */
export const layerFromVerifiers = Layer.effect(WriteAccess, Effect.gen(function*() {
  const apiKeys = yield* ApiKeys
  const tokens = yield* AccessTokens
  return WriteAccess.of({
    // An API key holds every scope.
    apiKey: Effect.fnUntraced(function*(httpEffect, { credential }) {
      if (Redacted.value(credential) === "") return yield* Unauthorized.missing
      if (!(yield* apiKeys.verify(credential))) return yield* Unauthorized.invalidApiKey
      return yield* Effect.provideService(httpEffect, Principal, { scheme: "api-key", key: credential })
    }),
    bearer: Effect.fnUntraced(function*(httpEffect, { credential, endpoint, group }) {
      if (Redacted.value(credential) === "") {
        // Tried last: without a token, the refusal to report is the key's, if one was sent.
        const request = yield* HttpServerRequest.HttpServerRequest
        return yield* (request.headers["x-api-key"] ? Unauthorized.invalidApiKey : Unauthorized.missing)
      }
      const grant = yield* tokens.verify(credential)
      const scope = yield* requiredScope(endpoint, group)
      if (!grant.scopes.has(scope)) return yield* Forbidden.of(scope)
      return yield* Effect.provideService(httpEffect, Principal, { scheme: "bearer", subject: grant.subject, token: credential })
    })
  })
}))

/** The middleware with the given API keys and identity provider. */
export const layer = (settings: AuthSettings) =>
  layerFromVerifiers.pipe(
    Layer.provide([ApiKeys.layer(settings.apiKeys), AccessTokens.layerFrom(settings.tokens)])
  )

/** The middleware as configured (see `AuthSettings.fromConfig`). */
export const layerConfig = (config: AuthConfig) => Layer.unwrap(Effect.map(fromConfig(config), layer))

/** The middleware as the environment configures it, for entry points that read no configuration of their own (`src/web.ts`). */
export const layerFromEnv = Layer.unwrap(Effect.map(Config.load, layerConfig))
