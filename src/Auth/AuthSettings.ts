/**
 * Who may write, from configuration: the API keys of `API_KEYS` and the
 * identity provider of `AUTH_JWKS_URL` / `AUTH_JWKS_FILE`, `AUTH_ISSUER`,
 * `AUTH_AUDIENCE`. Settings that cannot work together stop the start, all
 * of them in one message, like every other configuration problem.
 *
 * With nothing configured, development stays one command: a random API key
 * is made and printed once. Production refuses to start instead, since a
 * service nobody can write to (or, worse, everybody) is never what was meant.
 */
import { Effect, FileSystem, Option, Redacted, Schema } from "effect"
import { Base64Url } from "effect/encoding"
import type { JSONWebKeySet } from "jose"
import { type AppConfig, InvalidConfiguration } from "../Config.ts"
import type { TokenSettings } from "./AccessTokens.ts"
import { entryProblem } from "./ApiKeys.ts"

export interface AuthSettings {
  /** Accepted API keys, each a key or the `sha256:<hex>` digest of one. */
  readonly apiKeys: ReadonlyArray<Redacted.Redacted<string>>
  /** The identity provider whose bearer tokens are accepted, if any. */
  readonly tokens: Option.Option<TokenSettings>
}

/** The settings this module reads (see `src/Config.ts`). */
export type AuthConfig = Pick<AppConfig, "nodeEnv" | "apiKeys" | "jwksUrl" | "jwksFile" | "authIssuer" | "authAudience">

/** What a JWKS file must look like for `jose` to use it: `{ "keys": [{ "kty": ..., ... }] }`. */
const JwksFile = Schema.fromJsonString(Schema.Struct({
  keys: Schema.Array(Schema.Record(Schema.String, Schema.Unknown).check(
    Schema.makeFilter((key) => typeof key.kty === "string", { expected: "a JSON Web Key (with a kty)" })
  ))
}))

/** `API_KEYS`, split: comma-separated, blanks ignored (an empty `API_KEYS=` is no keys at all). */
const splitKeys = (apiKeys: Option.Option<Redacted.Redacted<string>>): ReadonlyArray<string> =>
  Option.match(apiKeys, {
    onNone: () => [],
    onSome: (text) => Redacted.value(text).split(",").map((key) => key.trim()).filter((key) => key.length > 0)
  })

/**
 * Whether a start with this configuration writes with a development key: no
 * credentials configured, and not in production (where that is refused).
 */
export const usesDevelopmentKey = (config: AuthConfig) =>
  config.nodeEnv !== "production" && splitKeys(config.apiKeys).length === 0 &&
  Option.isNone(config.jwksUrl) && Option.isNone(config.jwksFile)

/** A fresh key for development: 32 random bytes, base64url, with a prefix that says what it is. */
const developmentKey = () => {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(32))
  return `zoo_dev_${Base64Url.encode(bytes)}`
}

/**
 * The settings of `WriteAccessLive.layer`, from configuration; fails with
 * every problem at once. Reads the JWKS file, if one is named. Without any
 * credentials configured outside production, makes a development key and
 * logs it, once.
 */
export const fromConfig = Effect.fn("AuthSettings.fromConfig")(function*(config: AuthConfig) {
  const problems: Array<string> = []
  const keys = splitKeys(config.apiKeys)
  for (const key of keys) {
    const problem = entryProblem(key)
    if (problem !== undefined && !problems.includes(problem)) problems.push(problem)
  }

  let tokens = Option.none<TokenSettings>()
  const jwksUrl = Option.getOrUndefined(config.jwksUrl)
  const jwksFile = Option.getOrUndefined(config.jwksFile)
  const issuer = Option.getOrUndefined(config.authIssuer)
  const audience = Option.getOrUndefined(config.authAudience)
  if (jwksUrl !== undefined || jwksFile !== undefined) {
    if (jwksUrl !== undefined && jwksFile !== undefined) problems.push("AUTH_JWKS_URL and AUTH_JWKS_FILE: set one, not both")
    if (issuer === undefined) problems.push("AUTH_ISSUER is required with AUTH_JWKS_URL or AUTH_JWKS_FILE")
    if (audience === undefined) problems.push("AUTH_AUDIENCE is required with AUTH_JWKS_URL or AUTH_JWKS_FILE")
    if (jwksUrl !== undefined && config.nodeEnv === "production" && jwksUrl.protocol !== "https:") {
      problems.push("AUTH_JWKS_URL must be an https:// URL in production: the keys decide who may write")
    }
    const file = jwksFile === undefined ? undefined : yield* Effect.result(readJwksFile(jwksFile))
    if (file?._tag === "Failure") problems.push(file.failure)
    if (issuer !== undefined && audience !== undefined) {
      if (jwksUrl !== undefined) tokens = Option.some({ jwks: { _tag: "Remote", url: jwksUrl }, issuer, audience })
      else if (file?._tag === "Success") tokens = Option.some({ jwks: { _tag: "Local", keys: file.success }, issuer, audience })
    }
  } else if (issuer !== undefined || audience !== undefined) {
    problems.push("AUTH_ISSUER and AUTH_AUDIENCE need AUTH_JWKS_URL or AUTH_JWKS_FILE: the keys that sign the tokens")
  }

  const configured = keys.length > 0 || jwksUrl !== undefined || jwksFile !== undefined
  if (!configured && config.nodeEnv === "production") {
    problems.push(
      "API_KEYS or AUTH_JWKS_URL (or AUTH_JWKS_FILE) is required when NODE_ENV=production: writes need credentials"
    )
  }
  if (problems.length > 0) return yield* new InvalidConfiguration({ problems })

  if (!configured) {
    const key = developmentKey()
    // The one place a key is ever logged: made for this process, and useless without being told.
    yield* Effect.logWarning(`Development API key: ${key} (no API_KEYS or AUTH_JWKS_URL set; send it as X-API-Key to write)`)
    return { apiKeys: [Redacted.make(key)], tokens } satisfies AuthSettings
  }
  return { apiKeys: keys.map((key) => Redacted.make(key)), tokens } satisfies AuthSettings
})

/** The key set in `path`, or the problem with it. */
const readJwksFile = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path).pipe(
      Effect.mapError((error) => `AUTH_JWKS_FILE: cannot read ${path} (${error.message})`)
    )
    const jwks = yield* Schema.decodeUnknownEffect(JwksFile)(text).pipe(
      Effect.mapError(() => `AUTH_JWKS_FILE: ${path} is not a JSON Web Key Set ({"keys": [...]})`)
    )
    return jwks as JSONWebKeySet
  })
