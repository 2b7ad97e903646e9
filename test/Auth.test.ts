/**
 * Who may write (SPEC §6): API keys and RS256 bearer tokens, over HTTP on a
 * real server. The identity provider is played by this file: RSA keys made
 * here, and a JWKS served by a tiny `node:http` server on 127.0.0.1 (no
 * network). Also: what the OpenAPI document declares, the settings read from
 * configuration, and the real process with no credentials configured.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, expect, it, layer } from "@effect/vitest"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { HttpApi, OpenApi } from "effect/http-api"
import { exportJWK, generateKeyPair, generateSecret, type JWK, type JWTPayload, SignJWT, UnsecuredJWT } from "jose"
import { createHash } from "node:crypto"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, vi } from "vitest"
import { Api } from "../src/Api.ts"
import { fromConfig } from "../src/Auth/AuthSettings.ts"
import { RequiredScope, WriteAccess } from "../src/Auth/WriteAccess.ts"
import * as WriteAccessLive from "../src/Auth/WriteAccessLive.ts"
import type { AppConfig } from "../src/Config.ts"
import { MemoryRepositories } from "../src/Repositories.ts"
import { exitWithin, freePort, spawnServer, startServer } from "./support/ServerProcess.ts"
import { rawRequest, TestServer } from "./support/TestServer.ts"

const issuer = "https://zoo-auth.example/"
const audience = "https://zoo-api.example"
const apiKey = "zoo_live_0123456789abcdef"
/** Configured only as its digest: the service never sees the key itself until a client sends it. */
const hashedKey = "zoo_live_hashed_fedcba9876543210"
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")
/** How soon after a fetch an unknown `kid` may refetch the JWKS, here; in production jose's 30 s. */
const cooldownMs = 1_000

// ---------------------------------------------------------------------------
// The identity provider: signing keys, tokens, and the JWKS they are published in.
// ---------------------------------------------------------------------------

interface SigningKey {
  readonly kid: string
  readonly privateKey: CryptoKey
  readonly jwk: JWK
}

const signingKey = async (kid: string): Promise<SigningKey> => {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true })
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } }
}

interface TokenOptions {
  readonly issuer?: string
  readonly audience?: string
  /** Seconds from now (negative: already expired); `null`: no `exp` at all. */
  readonly expiresIn?: number | null
  /** The `kid` to claim, if not the key's own. */
  readonly kid?: string
}

/** An access token as Auth0 issues them: RS256, `iss`, `aud`, `sub`, `iat`, `exp`, and the given claims. */
const sign = (key: SigningKey, claims: JWTPayload, options: TokenOptions = {}) => {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: options.kid ?? key.kid })
    .setIssuer(options.issuer ?? issuer)
    .setAudience(options.audience ?? audience)
    .setSubject("zoo-admin@clients")
    .setIssuedAt()
  const expiresIn = options.expiresIn === undefined ? 300 : options.expiresIn
  if (expiresIn !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
  return Effect.promise(() => jwt.sign(key.privateKey))
}

const [keyA, keyB, outsider] = await Promise.all(["key-a", "key-b", "key-a"].map(signingKey))

/** An identity provider's JWKS endpoint: the published key set, and how many times it was fetched. Closed after the file. */
const startProvider = async (keys: Array<JWK>) => {
  const state = { keys, fetches: 0 }
  const server = Http.createServer((_request, response) => {
    state.fetches++
    response.writeHead(200, { "content-type": "application/json" })
    response.end(JSON.stringify({ keys: state.keys }))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  afterAll(() =>
    new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  )
  return { state, url: new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/.well-known/jwks.json`) }
}

const { url: jwksUrl } = await startProvider([keyA!.jwk])

const writeAccess = WriteAccessLive.layer({
  apiKeys: [Redacted.make(apiKey), Redacted.make(`sha256:${sha256(hashedKey)}`)],
  tokens: Option.some({ jwks: { _tag: "Remote", url: jwksUrl }, issuer, audience, refetchCooldown: cooldownMs })
})

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

const lion = { name: "Guarded Lion", date_of_birth: "2020-01-01", species: "lion" }
const missingId = "00000000-0000-4000-8000-000000000000"

/** POST /v1/animals with exactly these headers (no test key is added). */
const postAnimal = (headers: Record<string, string>, body: unknown = lion) =>
  rawRequest("/v1/animals", { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) })

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

type Response = Effect.Success<ReturnType<typeof rawRequest>>

/** A 401 problem with its challenge; returns the body. */
const assertUnauthorized = (response: Response, reason: string, challenge: string) => {
  assert.strictEqual(response.status, 401, response.text)
  assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
  assert.strictEqual(response.headers.get("www-authenticate"), challenge)
  assert.strictEqual(response.headers.get("cache-control"), "no-store")
  const problem = response.json()
  assert.deepInclude(problem, { type: "/problems/unauthorized", status: 401, title: "Unauthorized", reason })
  return problem
}

const missingChallenge = "Bearer realm=\"zoo-api\""
const invalidChallenge = "Bearer realm=\"zoo-api\", error=\"invalid_token\""

/** The token was refused, and the problem says why (but never repeats the token). */
const assertInvalidToken = (response: Response, token: string, detail: RegExp) => {
  const problem = assertUnauthorized(response, "invalid_token", invalidChallenge)
  assert.match(problem.detail, detail)
  assert.notInclude(response.text, token)
}

layer(TestServer(MemoryRepositories, {}, writeAccess), { excludeTestServices: true })("access control over HTTP", (it) => {
  describe("API keys", () => {
    it.effect("a configured key may write: 201", () =>
      Effect.gen(function*() {
        assert.strictEqual((yield* postAnimal({ "x-api-key": apiKey })).status, 201)
      }))

    it.effect("a key configured as its sha256: digest works as the key itself", () =>
      Effect.gen(function*() {
        assert.strictEqual((yield* postAnimal({ "x-api-key": hashedKey })).status, 201)
        // The digest is not a key: knowing it (from the configuration) does not let anyone write.
        assertUnauthorized(yield* postAnimal({ "x-api-key": `sha256:${sha256(hashedKey)}` }), "invalid_api_key", invalidChallenge)
      }))

    it.effect("a wrong key is a 401 problem with a challenge, and nothing is written", () =>
      Effect.gen(function*() {
        const before = (yield* rawRequest("/v1/animals")).headers.get("x-total-count")
        for (const wrong of [`${apiKey}x`, apiKey.slice(0, -1), apiKey.toUpperCase(), "x"]) {
          const problem = assertUnauthorized(yield* postAnimal({ "x-api-key": wrong }), "invalid_api_key", invalidChallenge)
          assert.strictEqual(problem.detail, "The API key is not valid")
        }
        assert.strictEqual((yield* rawRequest("/v1/animals")).headers.get("x-total-count"), before)
      }))
  })

  describe("no credentials", () => {
    it.effect("every write is a 401 with `WWW-Authenticate: Bearer realm=\"zoo-api\"`", () =>
      Effect.gen(function*() {
        const item = `/v1/animals/${missingId}`
        const link = `/v1/zookeepers/${missingId}/animals/${missingId}`
        const writes = [
          ["POST", "/v1/animals"],
          ["PUT", item],
          ["PATCH", item],
          ["DELETE", item],
          ["PUT", link],
          ["DELETE", link],
          ["POST", "/v1/habitats"],
          ["POST", "/v1/zookeepers"],
          ["POST", "/v2/animals"],
          ["DELETE", `/v2/habitats/${missingId}`]
        ] as const
        for (const [method, path] of writes) {
          const response = yield* rawRequest(path, { method, headers: { "content-type": "application/json" }, body: method === "DELETE" ? null : "{}" })
          assertUnauthorized(response, "missing_credentials", missingChallenge)
        }
      }))

    it.effect("an Authorization header of another scheme, or an empty key, counts as none", () =>
      Effect.gen(function*() {
        assertUnauthorized(yield* postAnimal({ authorization: `Basic ${btoa("admin:admin")}` }), "missing_credentials", missingChallenge)
        assertUnauthorized(yield* postAnimal({ "x-api-key": "" }), "missing_credentials", missingChallenge)
      }))

    it.effect("reads stay public: GET, HEAD and OPTIONS need no credentials", () =>
      Effect.gen(function*() {
        const created = (yield* postAnimal({ "x-api-key": apiKey })).json()
        for (const path of ["/v1/animals", `/v1/animals/${created.id}`, "/v2/animals", `/v2/animals/${created.id}`, "/v1/habitats", "/v1/zookeepers"]) {
          assert.strictEqual((yield* rawRequest(path)).status, 200, path)
          assert.strictEqual((yield* rawRequest(path, { method: "HEAD" })).status, 200, path)
        }
        assert.strictEqual((yield* rawRequest("/v1/animals", { method: "OPTIONS" })).status, 200)
        assert.strictEqual((yield* rawRequest(`/v1/animals/${created.id}`, { method: "OPTIONS" })).status, 204)
        assert.strictEqual((yield* rawRequest("/healthz")).status, 200)
      }))
  })

  it.effect("credentials are checked before anything else: a bad key is a 401, never a 404, 400 or 415", () =>
    Effect.gen(function*() {
      const bad = { "x-api-key": "not-a-key" }
      const item = `/v1/animals/${missingId}`
      const json = { ...bad, "content-type": "application/json" }
      const cases: ReadonlyArray<readonly [string, string, RequestInit]> = [
        // An unknown id: with the right key, a 404.
        ["PUT", item, { headers: json, body: JSON.stringify(lion) }],
        ["PATCH", item, { headers: json, body: "{}" }],
        ["DELETE", item, { headers: bad }],
        ["PUT", `/v1/zookeepers/${missingId}/animals/${missingId}`, { headers: bad }],
        // A path id that is not a UUID, an invalid body, malformed JSON, a body that is not JSON.
        ["DELETE", "/v1/animals/not-a-uuid", { headers: bad }],
        ["POST", "/v1/animals", { headers: json, body: JSON.stringify({ name: "x" }) }],
        ["POST", "/v1/animals", { headers: json, body: "{\"name\": " }],
        ["POST", "/v1/animals", { headers: { ...bad, "content-type": "text/plain" }, body: "a lion" }],
        // A precondition that would fail.
        ["DELETE", item, { headers: { ...bad, "if-match": "\"99\"" } }]
      ]
      for (const [method, path, init] of cases) {
        assertUnauthorized(yield* rawRequest(path, { method, ...init }), "invalid_api_key", invalidChallenge)
      }
      // The same unknown id with a good key: the 404 the bad key was hiding.
      assert.strictEqual((yield* rawRequest(item, { method: "DELETE", headers: { "x-api-key": apiKey } })).status, 404)
    }))

  describe("bearer tokens (RS256, JWKS)", () => {
    it.effect("a valid token with the collection's scope may write: 201", () =>
      Effect.gen(function*() {
        const token = yield* sign(keyA!, { scope: "read:animals write:animals" })
        assert.strictEqual((yield* postAnimal(bearer(token))).status, 201)
      }))

    it.effect("Auth0's `permissions` array is read as well as the `scope` claim", () =>
      Effect.gen(function*() {
        const token = yield* sign(keyA!, { permissions: ["write:animals"] })
        assert.strictEqual((yield* postAnimal(bearer(token))).status, 201)
      }))

    it.effect("a token without the scope is a 403 naming the scope it needs, with an insufficient_scope challenge", () =>
      Effect.gen(function*() {
        const token = yield* sign(keyA!, { scope: "read:animals write:habitats write:animal", permissions: ["write:zookeepers"] })
        const response = yield* postAnimal(bearer(token))
        assert.strictEqual(response.status, 403, response.text)
        assert.strictEqual(response.headers.get("content-type"), "application/problem+json")
        assert.strictEqual(
          response.headers.get("www-authenticate"),
          "Bearer realm=\"zoo-api\", error=\"insufficient_scope\", scope=\"write:animals\""
        )
        assert.deepInclude(response.json(), { type: "/problems/insufficient-scope", status: 403, required_scope: "write:animals" })
        // A token with no scopes at all.
        assert.strictEqual((yield* postAnimal(bearer(yield* sign(keyA!, {})))).status, 403)
      }))

    it.effect("each collection needs its own scope; a zookeeper's animals need write:zookeepers", () =>
      Effect.gen(function*() {
        const asKey = { "x-api-key": apiKey, "content-type": "application/json" }
        const animal = (yield* postAnimal({ "x-api-key": apiKey })).json()
        const keeper = (yield* rawRequest("/v1/zookeepers", {
          method: "POST",
          headers: asKey,
          body: JSON.stringify({ name: "Scoped Keeper", email: `${globalThis.crypto.randomUUID()}@zoo.example`, hired_on: "2020-02-02" })
        })).json()
        const care = `/v1/zookeepers/${keeper.id}/animals/${animal.id}`
        const animalsOnly = yield* sign(keyA!, { scope: "write:animals" })
        const zookeepers = yield* sign(keyA!, { scope: "write:zookeepers" })
        assert.strictEqual((yield* rawRequest(care, { method: "PUT", headers: bearer(animalsOnly) })).status, 403)
        assert.strictEqual((yield* rawRequest(care, { method: "PUT", headers: bearer(zookeepers) })).status, 204)
        assert.strictEqual((yield* rawRequest(care, { method: "DELETE", headers: bearer(zookeepers) })).status, 204)
        const habitat = JSON.stringify({ name: `Scoped ${globalThis.crypto.randomUUID()}`, climate: "arid", capacity: 3 })
        const asAnimals = { ...bearer(animalsOnly), "content-type": "application/json" }
        assert.strictEqual((yield* rawRequest("/v1/habitats", { method: "POST", headers: asAnimals, body: habitat })).status, 403)
        assert.strictEqual((yield* rawRequest(`/v1/animals/${animal.id}`, { method: "DELETE", headers: bearer(zookeepers) })).status, 403)
        assert.strictEqual((yield* rawRequest(`/v2/animals/${animal.id}`, { method: "DELETE", headers: bearer(animalsOnly) })).status, 204)
      }))

    it.effect("an expired token is a 401", () =>
      Effect.gen(function*() {
        const token = yield* sign(keyA!, { scope: "write:animals" }, { expiresIn: -60 })
        assertInvalidToken(yield* postAnimal(bearer(token)), token, /expired/)
      }))

    it.effect("a token without an expiry is a 401: it would be valid forever", () =>
      Effect.gen(function*() {
        const token = yield* sign(keyA!, { scope: "write:animals" }, { expiresIn: null })
        assertInvalidToken(yield* postAnimal(bearer(token)), token, /exp claim/)
      }))

    it.effect("a token from another issuer is a 401", () =>
      Effect.gen(function*() {
        const token = yield* sign(keyA!, { scope: "write:animals" }, { issuer: "https://evil.example/" })
        assertInvalidToken(yield* postAnimal(bearer(token)), token, /iss claim/)
      }))

    it.effect("a token for another audience is a 401", () =>
      Effect.gen(function*() {
        const token = yield* sign(keyA!, { scope: "write:animals" }, { audience: "https://another-api.example" })
        assertInvalidToken(yield* postAnimal(bearer(token)), token, /aud claim/)
      }))

    it.effect("a token signed by a key the JWKS does not publish (under a published kid) is a 401", () =>
      Effect.gen(function*() {
        // `outsider` claims kid "key-a", the published key's: only the signature can tell them apart.
        const token = yield* sign(outsider!, { scope: "write:animals" })
        assertInvalidToken(yield* postAnimal(bearer(token)), token, /signature/)
      }))

    it.effect("an unsigned token (`alg: none`) is a 401", () =>
      Effect.gen(function*() {
        const token = new UnsecuredJWT({ scope: "write:animals" })
          .setIssuer(issuer)
          .setAudience(audience)
          .setExpirationTime("5m")
          .encode()
        assertInvalidToken(yield* postAnimal(bearer(token)), token, /RS256/)
        // The same with the signature part of a real token pasted on.
        const real = (yield* sign(keyA!, { scope: "write:animals" })).split(".")
        const forged = [token.split(".")[0], real[1], real[2]].join(".")
        assertInvalidToken(yield* postAnimal(bearer(forged)), forged, /RS256/)
      }))

    it.effect("an HS256 token is a 401, whatever its secret", () =>
      Effect.gen(function*() {
        const secret = yield* Effect.promise(() => generateSecret("HS256"))
        const token = yield* Effect.promise(() =>
          new SignJWT({ scope: "write:animals" }).setProtectedHeader({ alg: "HS256", kid: "key-a" }).setIssuer(issuer)
            .setAudience(audience).setExpirationTime("5m").sign(secret)
        )
        assertInvalidToken(yield* postAnimal(bearer(token)), token, /RS256/)
      }))

    it.effect("garbage in the Authorization header is a 401", () =>
      Effect.gen(function*() {
        for (const token of ["garbage", "a.b.c", "eyJhbGciOiJSUzI1NiJ9..", "x".repeat(5000)]) {
          assertInvalidToken(yield* postAnimal(bearer(token)), token, /malformed|RS256|signature/)
        }
      }))
  })
})

/**
 * Key rotation against a provider of its own, so that the fetch counts are
 * this test's. jose times its refetch cooldown and cache age with
 * `Date.now()`: the test moves the date (only the date; timers run as usual)
 * instead of sleeping through them.
 */
const rotating = await startProvider([keyA!.jwk])

describe("a rotating identity provider", () => {
  const cooldown = 2 * 60_000
  const cacheMaxAge = 10 * 60_000
  const rotatingAccess = WriteAccessLive.layer({
    apiKeys: [],
    tokens: Option.some({ jwks: { _tag: "Remote", url: rotating.url }, issuer, audience, refetchCooldown: cooldown, cacheMaxAge })
  })
  const later = (ms: number) => Effect.sync(() => vi.setSystemTime(Date.now() + ms))
  const withMovableDate = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.acquireUseRelease(
      Effect.sync(() => vi.useFakeTimers({ toFake: ["Date"], now: Date.now() })),
      () => effect,
      () => Effect.sync(() => vi.useRealTimers())
    )

  layer(TestServer(MemoryRepositories, {}, rotatingAccess), { excludeTestServices: true })("JWKS refresh", (it) => {
    it.effect("a new key is accepted once published (a refetch at most once per cooldown); a removed key is refused once the cache ages out", () =>
      withMovableDate(Effect.gen(function*() {
        const write = (key: SigningKey) => Effect.flatMap(sign(key, { scope: "write:animals" }), (token) => postAnimal(bearer(token)))
        assert.strictEqual((yield* write(keyA!)).status, 201)
        assert.strictEqual(rotating.state.fetches, 1, "the first token fetches the set")

        // Key B is published right after that fetch: within the cooldown, a kid the cache lacks is refused without
        // a fetch, even a flood of them (made-up kids cannot turn the service against the identity provider).
        rotating.state.keys = [keyA!.jwk, keyB!.jwk]
        const tooSoon = yield* sign(keyB!, { scope: "write:animals" })
        const flood = yield* Effect.forEach(Array.from({ length: 20 }, () => postAnimal(bearer(tooSoon))), (request) => request, {
          concurrency: "unbounded"
        })
        for (const response of flood) assertUnauthorized(response, "invalid_token", invalidChallenge)
        assert.strictEqual(rotating.state.fetches, 1, "no fetch within the cooldown")

        // After the cooldown, the unknown kid fetches the set again, once; then the key is cached.
        yield* later(cooldown + 1_000)
        assert.strictEqual((yield* write(keyB!)).status, 201)
        assert.strictEqual(rotating.state.fetches, 2)
        assert.strictEqual((yield* write(keyB!)).status, 201)
        assert.strictEqual(rotating.state.fetches, 2, "the new key is cached")

        // Key A is removed: the cached set still has it until the cache is older than its maximum age.
        rotating.state.keys = [keyB!.jwk]
        assert.strictEqual((yield* write(keyA!)).status, 201, "key A, from the cache")
        assert.strictEqual(rotating.state.fetches, 2)
        yield* later(cacheMaxAge + 1_000)
        assertUnauthorized(yield* write(keyA!), "invalid_token", invalidChallenge)
        assert.strictEqual(rotating.state.fetches, 3, "the aged cache is fetched again")
        assert.strictEqual((yield* write(keyB!)).status, 201, "key B still works")
      })), { timeout: 20_000 })
  })
})

describe("a service whose identity provider is unreachable", () => {
  const unreachable = Layer.unwrap(Effect.promise(async () => {
    const port = await freePort()
    return WriteAccessLive.layer({
      apiKeys: [Redacted.make(apiKey)],
      tokens: Option.some({ jwks: { _tag: "Remote", url: new URL(`http://127.0.0.1:${port}/jwks.json`) }, issuer, audience, fetchTimeout: 2_000 })
    })
  }))

  layer(TestServer(MemoryRepositories, {}, unreachable), { excludeTestServices: true })("JWKS down", (it) => {
    it.effect("answers bearer tokens with 503 (the service's problem, not the client's), and API keys still work", () =>
      Effect.gen(function*() {
        const token = yield* sign(keyA!, { scope: "write:animals" })
        const response = yield* postAnimal(bearer(token))
        assert.strictEqual(response.status, 503, response.text)
        assert.deepInclude(response.json(), { type: "/problems/token-keys-unavailable", status: 503 })
        assert.strictEqual((yield* postAnimal({ "x-api-key": apiKey })).status, 201)
      }))
  })
})

describe("a service with API keys only", () => {
  const keysOnly = WriteAccessLive.layer({ apiKeys: [Redacted.make(apiKey)], tokens: Option.none() })
  layer(TestServer(MemoryRepositories, {}, keysOnly), { excludeTestServices: true })("no identity provider", (it) => {
    it.effect("refuses every bearer token with a 401 that says to use a key", () =>
      Effect.gen(function*() {
        const token = yield* sign(keyA!, { scope: "write:animals" })
        assertInvalidToken(yield* postAnimal(bearer(token)), token, /X-API-Key/)
      }))
  })
})

// ---------------------------------------------------------------------------
// The contract
// ---------------------------------------------------------------------------

describe("the OpenAPI document", () => {
  const spec = OpenApi.fromApi(Api) as any
  const operations = Object.entries<Record<string, any>>(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation }))
  )
  const writes = operations.filter(({ method }) => ["post", "put", "patch", "delete"].includes(method))

  it("declares both schemes: X-API-Key in a header, and bearer JWTs", () => {
    assert.deepInclude(spec.components.securitySchemes.apiKey, { type: "apiKey", name: "X-API-Key", in: "header" })
    assert.deepInclude(spec.components.securitySchemes.bearer, { type: "http", scheme: "Bearer", bearerFormat: "JWT" })
  })

  it("requires either scheme on every write, and documents its 401 (with WWW-Authenticate) and 403", () => {
    // Every collection in every version, and the relations: 2 versions × (3 × 4 + 2).
    assert.strictEqual(writes.length, 28)
    for (const { path, method, operation } of writes) {
      const name = `${method.toUpperCase()} ${path}`
      assert.deepStrictEqual(operation.security, [{ apiKey: [] }, { bearer: [] }], name)
      for (const [status, type] of [["401", "/problems/unauthorized"], ["403", "/problems/insufficient-scope"]] as const) {
        const response = operation.responses[status]
        assert.isDefined(response, `${name} documents ${status}`)
        assert.isDefined(response.headers["www-authenticate"], `${name} ${status} documents its challenge`)
        const media = response.content["application/problem+json"]
        assert.strictEqual(media.example.type, type, name)
      }
    }
  })

  it("leaves reads open: no security and no 401/403 on GET, HEAD and OPTIONS", () => {
    const reads = operations.filter(({ method }) => ["get", "head", "options"].includes(method))
    assert.isAbove(reads.length, 10)
    for (const { path, method, operation } of reads) {
      const name = `${method.toUpperCase()} ${path}`
      assert.deepStrictEqual(operation.security, [], name)
      assert.isUndefined(operation.responses["401"], name)
      assert.isUndefined(operation.responses["403"], name)
    }
  })

  it("gives every guarded endpoint the scope of the collection its path writes", () => {
    const scopes: Array<string> = []
    HttpApi.reflect(Api, {
      onGroup: () => {},
      onEndpoint: ({ endpoint, mergedAnnotations, middleware }) => {
        if (![...middleware].some((service) => service.key === WriteAccess.key)) return
        // The endpoint's own scope, else its group's: as WriteAccessLive resolves it.
        const scope = Option.getOrUndefined(Context.getOption(mergedAnnotations, RequiredScope))
        const collection = endpoint.path.split("/")[2]
        assert.strictEqual(scope, `write:${collection}`, `${endpoint.method} ${endpoint.path}`)
        scopes.push(scope!)
      }
    })
    assert.sameMembers([...new Set(scopes)], ["write:animals", "write:habitats", "write:zookeepers"])
  })
})

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------

const none: Pick<AppConfig, "nodeEnv" | "apiKeys" | "jwksUrl" | "jwksFile" | "authIssuer" | "authAudience"> = {
  nodeEnv: "development",
  apiKeys: Option.none(),
  jwksUrl: Option.none(),
  jwksFile: Option.none(),
  authIssuer: Option.none(),
  authAudience: Option.none()
}

const problemsOf = (config: typeof none) =>
  fromConfig(config).pipe(
    Effect.flip,
    Effect.map((error) => error.problems),
    Effect.provide(NodeFileSystem.layer)
  )

describe("settings from configuration", () => {
  it.effect("API_KEYS: comma-separated, blanks ignored, digests taken as digests", () =>
    Effect.gen(function*() {
      const settings = yield* fromConfig({ ...none, apiKeys: Option.some(Redacted.make(` one , ,sha256:${sha256("two")} `)) }).pipe(
        Effect.provide(NodeFileSystem.layer)
      )
      assert.deepStrictEqual(settings.apiKeys.map(Redacted.value), ["one", `sha256:${sha256("two")}`])
      assert.isTrue(Option.isNone(settings.tokens))
    }))

  it.effect("reports every problem together: a bad digest, a JWKS without issuer or audience, both JWKS sources", () =>
    Effect.gen(function*() {
      const problems = yield* problemsOf({
        ...none,
        apiKeys: Option.some(Redacted.make("sha256:abc")),
        jwksUrl: Option.some(jwksUrl),
        jwksFile: Option.some("/nonexistent/jwks.json")
      })
      expect(problems).toEqual(expect.arrayContaining([
        expect.stringMatching(/^API_KEYS: a sha256: entry must be followed by the 64 hexadecimal digits/),
        "AUTH_JWKS_URL and AUTH_JWKS_FILE: set one, not both",
        "AUTH_ISSUER is required with AUTH_JWKS_URL or AUTH_JWKS_FILE",
        "AUTH_AUDIENCE is required with AUTH_JWKS_URL or AUTH_JWKS_FILE",
        expect.stringMatching(/^AUTH_JWKS_FILE: cannot read \/nonexistent\/jwks.json/)
      ]))
      assert.deepStrictEqual(yield* problemsOf({ ...none, authIssuer: Option.some(issuer) }), [
        "AUTH_ISSUER and AUTH_AUDIENCE need AUTH_JWKS_URL or AUTH_JWKS_FILE: the keys that sign the tokens"
      ])
    }))

  it.effect("production: credentials are required, and a JWKS URL must be https", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* problemsOf({ ...none, nodeEnv: "production", apiKeys: Option.some(Redacted.make(" , ")) }), [
        "API_KEYS or AUTH_JWKS_URL (or AUTH_JWKS_FILE) is required when NODE_ENV=production: writes need credentials"
      ])
      const problems = yield* problemsOf({ ...none, nodeEnv: "production", jwksUrl: Option.some(jwksUrl), authIssuer: Option.some(issuer), authAudience: Option.some(audience) })
      assert.deepStrictEqual(problems, ["AUTH_JWKS_URL must be an https:// URL in production: the keys decide who may write"])
    }))

  it.effect("outside production with nothing configured: a fresh development key each start", () =>
    Effect.gen(function*() {
      const first = yield* fromConfig(none).pipe(Effect.provide(NodeFileSystem.layer))
      const second = yield* fromConfig({ ...none, nodeEnv: "test" }).pipe(Effect.provide(NodeFileSystem.layer))
      const [key] = first.apiKeys.map(Redacted.value)
      assert.match(key!, /^zoo_dev_[A-Za-z0-9_-]{43}$/)
      assert.notStrictEqual(Redacted.value(second.apiKeys[0]!), key)
    }))

  describe("AUTH_JWKS_FILE", () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-api-jwks-"))
    afterAll(() => Fs.rmSync(dir, { recursive: true, force: true }))
    const fileConfig = (path: string) => ({ ...none, jwksFile: Option.some(path), authIssuer: Option.some(issuer), authAudience: Option.some(audience) })

    it.effect("a file that is not a key set is a configuration problem", () =>
      Effect.gen(function*() {
        const path = Path.join(dir, "not-jwks.json")
        Fs.writeFileSync(path, JSON.stringify({ keys: [{ n: "no kty" }] }))
        assert.deepStrictEqual(yield* problemsOf(fileConfig(path)), [
          `AUTH_JWKS_FILE: ${path} is not a JSON Web Key Set ({"keys": [...]})`
        ])
      }))
  })
})

const localJwksDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-api-jwks-file-"))
const localJwks = Path.join(localJwksDir, "jwks.json")
Fs.writeFileSync(localJwks, JSON.stringify({ keys: [keyA!.jwk] }))
afterAll(() => Fs.rmSync(localJwksDir, { recursive: true, force: true }))

const fromFile = WriteAccessLive.layerConfig({
  ...none,
  apiKeys: Option.some(Redacted.make(apiKey)),
  jwksFile: Option.some(localJwks),
  authIssuer: Option.some(issuer),
  authAudience: Option.some(audience)
}).pipe(Layer.provide(NodeFileSystem.layer))

layer(TestServer(MemoryRepositories, {}, fromFile), { excludeTestServices: true })("a JWKS from AUTH_JWKS_FILE", (it) => {
  it.effect("verifies tokens signed by its keys, and refuses others", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* postAnimal(bearer(yield* sign(keyA!, { scope: "write:animals" })))).status, 201)
      assert.strictEqual((yield* postAnimal(bearer(yield* sign(keyB!, { scope: "write:animals" })))).status, 401)
    }))
})

// ---------------------------------------------------------------------------
// The real process
// ---------------------------------------------------------------------------

describe("the service started with no credentials configured", () => {
  it("outside production, makes a development key, logs it once, and accepts it", async () => {
    const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-api-devkey-"))
    const server = await startServer({ DATA_DIR: dataDir, API_KEYS: "", NODE_ENV: "development" })
    try {
      // Log lines are written in batches (every 50 ms): wait, bounded, for the key's line.
      for (const deadline = Date.now() + 5_000; Date.now() < deadline && !server.output().includes("Development API key");) {
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      const key = /Development API key: (zoo_dev_[A-Za-z0-9_-]+)/.exec(server.output())?.[1]
      assert.isDefined(key, server.output())
      const post = (headers: Record<string, string>) =>
        fetch(`${server.url}/v1/animals`, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify(lion),
          signal: AbortSignal.timeout(10_000)
        })
      assert.strictEqual((await post({ "x-api-key": key })).status, 201)
      assert.strictEqual((await post({})).status, 401)
      assert.strictEqual((await post({ "x-api-key": `${key}x` })).status, 401)
      // Printed once, at start; the requests that carried it logged nothing of it.
      assert.strictEqual(server.output().split(key).length - 1, 1, server.output())
    } finally {
      await server.stop()
      Fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }, 60_000)

  it("in production, refuses to start: exit 1 and a clear message", async () => {
    // The check comes before the database is opened: this URL is never dialled.
    const server = spawnServer({ NODE_ENV: "production", API_KEYS: "", METRICS_TOKEN: "a-metrics-token", DATABASE_URL: "postgres://zoo@127.0.0.1:9/zoo" }, await freePort())
    const code = await exitWithin(server, 20_000)
    assert.strictEqual(code, 1, server.output())
    assert.include(server.output(), "Zoo API could not start: invalid configuration")
    assert.include(server.output(), "API_KEYS or AUTH_JWKS_URL (or AUTH_JWKS_FILE) is required when NODE_ENV=production")
    assert.notInclude(server.output(), "Development API key")
    assert.notInclude(server.output(), "    at ", "no stack trace")
  }, 30_000)
})
