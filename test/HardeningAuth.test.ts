/**
 * Credentials and conditions, hardened (SPEC §6, §7; issue 14 items 5, 7, 8, 9):
 * the JWKS is fetched at most once per cooldown even while the provider
 * fails; a token issued in the future, or with a `crit` extension we do not
 * know, is refused with a message that says so; credentials are checked
 * before a body is read; `If-Match` compares strongly; production refuses to
 * start without `METRICS_TOKEN`.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose"
import * as Http from "node:http"
import { afterAll } from "vitest"
import { AccessTokens } from "../src/Auth/AccessTokens.ts"
import { ApiKeys } from "../src/Auth/ApiKeys.ts"
import * as WriteAccessLive from "../src/Auth/WriteAccessLive.ts"
import { MemoryRepositories } from "../src/Repositories.ts"
import * as RateLimit from "../src/Http/RateLimit.ts"
import { exitWithin, freePort, spawnServer } from "./support/ServerProcess.ts"
import { rawRequest, request, TestServer, testApiKey } from "./support/TestServer.ts"

const issuer = "https://zoo-auth.example/"
const audience = "https://zoo-api.example"

const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true })
const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "key-a", alg: "RS256", use: "sig" }

/** A token as the provider issues them, with the header and `iat` a test wants. */
const token = (options: { readonly kid?: string; readonly issuedAt?: number; readonly crit?: string } = {}) => {
  const now = Math.floor(Date.now() / 1000)
  const jwt = new SignJWT({ scope: "write:animals" })
    .setProtectedHeader({
      alg: "RS256",
      kid: options.kid ?? "key-a",
      ...(options.crit !== undefined && { crit: [options.crit], [options.crit]: true })
    })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(options.issuedAt ?? now)
    .setExpirationTime(now + 3600)
  return jwt.sign(privateKey, options.crit !== undefined ? { crit: { [options.crit]: true } } : undefined)
}

/** Runs `f` with an `AccessTokens` built from `layer`, closed afterwards. */
const withTokens = <A, E>(layer: Layer.Layer<AccessTokens>, f: (tokens: AccessTokens["Service"]) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(Layer.build(layer), (context) => f(Context.get(context, AccessTokens))))

const refusal = (tokens: AccessTokens["Service"], jwt: string) =>
  Effect.map(Effect.flip(tokens.verify(Redacted.make(jwt))), (problem) => ({ tag: problem._tag, detail: problem.detail }))

describe("JWKS fetches while the provider fails", () => {
  const provider = { fetches: 0 }
  const failing = Http.createServer((_request, response) => {
    provider.fetches++
    response.writeHead(500, { "content-type": "text/plain" }).end("down")
  })
  const listening = new Promise<void>((resolve) => failing.listen(0, "127.0.0.1", resolve))
  afterAll(() => new Promise<void>((resolve) => failing.close(() => resolve())))

  it.live("100 tokens with made-up kids: one fetch in the cooldown, and each token a 503", () =>
    Effect.gen(function*() {
      yield* Effect.promise(() => listening)
      const url = new URL(`http://127.0.0.1:${(failing.address() as { port: number }).port}/jwks.json`)
      const layer = AccessTokens.layer({ jwks: { _tag: "Remote", url }, issuer, audience, refetchCooldown: "1 minute" })
      const tags: ReadonlyArray<string> = yield* withTokens(layer, (tokens) =>
        Effect.forEach(Array.from({ length: 100 }, (_, i) => i), (i) =>
          Effect.flatMap(Effect.promise(() => token({ kid: `made-up-${i}` })), (jwt) => Effect.map(refusal(tokens, jwt), ({ tag }) => tag))))
      assert.deepStrictEqual(new Set(tags), new Set(["TokenKeysUnavailable"]))
      assert.strictEqual(provider.fetches, 1, "one fetch (at start) per cooldown, though every fetch failed")
    }))
})

describe("tokens the verifier refuses, with the reason", () => {
  const local = AccessTokens.layer({ jwks: { _tag: "Local", keys: { keys: [jwk] } }, issuer, audience })

  it.live("a token issued an hour from now: 401, its iat is in the future", () =>
    withTokens(local, (tokens) =>
      Effect.gen(function*() {
        const refused = yield* refusal(tokens, yield* Effect.promise(() => token({ issuedAt: Math.floor(Date.now() / 1000) + 3600 })))
        assert.deepStrictEqual(refused, { tag: "Unauthorized", detail: "The token's iat claim is in the future" })
        // A clock a few seconds ahead is within the leeway, and the token holds.
        const skewed = yield* Effect.promise(() => token({ issuedAt: Math.floor(Date.now() / 1000) + 5 }))
        assert.deepStrictEqual([...(yield* tokens.verify(Redacted.make(skewed))).scopes], ["write:animals"])
      })))

  it.live("a token whose crit header names an unknown extension: 401 saying so, not a word about RS256", () =>
    withTokens(local, (tokens) =>
      Effect.gen(function*() {
        const refused = yield* refusal(tokens, yield* Effect.promise(() => token({ crit: "x-zoo-extension" })))
        assert.deepStrictEqual(refused, {
          tag: "Unauthorized",
          detail: "The token's crit header names an extension this service does not support"
        })
      })))
})

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("over HTTP", (it) => {
  /** `{"name": "` then a byte that is not UTF-8. */
  const notUtf8 = new Uint8Array([...new TextEncoder().encode("{\"name\": \"Bad "), 0xff, ...new TextEncoder().encode("Lion\"}")])

  it.effect("a write with a bad key and a body that is not UTF-8: 401 (the body is not read before the key passes)", () =>
    Effect.gen(function*() {
      for (const headers of [{ "x-api-key": "not-a-key" }, { authorization: "Bearer not.a.token" }, {}]) {
        const response = yield* rawRequest("/v1/animals", {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: notUtf8
        })
        assert.strictEqual(response.status, 401, `${JSON.stringify(headers)}: ${response.text}`)
      }
      // With the key, the same body is the 400 it always was.
      const keyed = yield* rawRequest("/v1/animals", {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": testApiKey },
        body: notUtf8
      })
      assert.strictEqual(keyed.status, 400, keyed.text)
    }))

  it.effect("If-Match compares strongly: \"01\" is not \"1\", a weak tag never matches", () =>
    Effect.gen(function*() {
      const created = yield* request("/v1/habitats", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Strong Tags", climate: "arid", capacity: 5 })
      })
      assert.strictEqual(created.headers.get("etag"), "\"1\"")
      const path = `/v1/habitats/${created.json().id}`
      for (const tag of ["\"01\"", "\"001\"", "W/\"1\"", "\"1 \"", "\"+1\""]) {
        const response = yield* request(path, { method: "PATCH", headers: { "content-type": "application/json", "if-match": tag }, body: "{}" })
        assert.strictEqual(response.status, 412, `If-Match: ${tag}: ${response.text}`)
      }
      const matched = yield* request(path, { method: "PATCH", headers: { "content-type": "application/json", "if-match": "\"1\"" }, body: "{\"capacity\": 6}" })
      assert.strictEqual(matched.status, 200, matched.text)
    }))
})

describe("production without METRICS_TOKEN", () => {
  it("refuses to start: exit 1 and a message naming METRICS_TOKEN", async () => {
    // Everything else a production start needs is set; the database URL is never dialled.
    const server = spawnServer({ NODE_ENV: "production", API_KEYS: "a-production-key", DATABASE_URL: "postgres://zoo@127.0.0.1:9/zoo" }, await freePort())
    const code = await exitWithin(server, 20_000)
    assert.strictEqual(code, 1, server.output())
    assert.include(server.output(), "Zoo API could not start: invalid configuration")
    assert.include(server.output(), "METRICS_TOKEN is required when NODE_ENV=production")
    assert.notInclude(server.output(), "    at ", "no stack trace")
  }, 30_000)
})

describe("one verification per request", () => {
  // The real API keys, counting how often a key is verified.
  const verifications = { count: 0 }
  const countingKeys = Layer.effect(
    ApiKeys,
    Effect.map(ApiKeys, (keys) =>
      ApiKeys.of({
        verify: (key) => Effect.suspend(() => {
          verifications.count++
          return keys.verify(key)
        })
      }))
  ).pipe(Layer.provide(ApiKeys.layer([Redacted.make(testApiKey)])))
  const writeAccess = WriteAccessLive.layerFromVerifiers.pipe(Layer.provide([countingKeys, AccessTokens.layerDisabled]))
  const rateLimited = TestServer(MemoryRepositories, { rateLimit: RateLimit.layerMemory({ limit: 100, window: Duration.minutes(1) }) }, writeAccess)

  layer(rateLimited, { excludeTestServices: true })("with the rate limit, the UTF-8 check and WriteAccess all asking", (it) => {
    it.effect("a write's key is verified once", () =>
      Effect.gen(function*() {
        const before = verifications.count
        const response = yield* rawRequest("/v1/habitats", {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": testApiKey },
          body: JSON.stringify({ name: "Counted Once", climate: "polar", capacity: 3 })
        })
        assert.strictEqual(response.status, 201, response.text)
        assert.strictEqual(verifications.count - before, 1)
      }))
  })
})
