/**
 * `Idempotency-Key` with bearer tokens: a key belongs to the token's subject
 * (`sub`), so a client's renewed token still gets its replays, and another
 * subject never does.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { exportJWK, generateKeyPair, SignJWT } from "jose"
import * as Http from "node:http"
import { afterAll } from "vitest"
import * as WriteAccessLive from "../src/Auth/WriteAccessLive.ts"
import { MemoryRepositories } from "../src/Repositories.ts"
import { rawRequest, TestServer } from "./support/TestServer.ts"

const issuer = "https://idem-auth.example/"
const audience = "https://zoo-api.example"
const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true })
const jwk = { ...(await exportJWK(publicKey)), kid: "idem", alg: "RS256", use: "sig" }

const jwksServer = Http.createServer((_request, response) => {
  response.writeHead(200, { "content-type": "application/json" })
  response.end(JSON.stringify({ keys: [jwk] }))
})
await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve))
afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())))
const jwksUrl = new URL(`http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks.json`)

/** A fresh token for `subject` (each one a different string: its own `jti`). */
const token = (subject: string) =>
  Effect.promise(() =>
    new SignJWT({ scope: "write:animals", jti: globalThis.crypto.randomUUID() })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "idem" })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
      .sign(privateKey)
  )

const writeAccess = WriteAccessLive.layer({
  apiKeys: [],
  tokens: Option.some({ jwks: { _tag: "Remote", url: jwksUrl }, issuer, audience, refetchCooldown: 1_000 })
}).pipe(Layer.orDie)

const post = (bearer: string, key: string, name: string) =>
  rawRequest("/v2/animals", {
    method: "POST",
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json", "idempotency-key": key },
    body: JSON.stringify({ name, date_of_birth: "2020-01-01", species: "lion" })
  })

layer(TestServer(MemoryRepositories, {}, writeAccess), { excludeTestServices: true })("Idempotency-Key with bearer tokens", (it) => {
  it.effect("a key belongs to the token's subject, not to one token string", () =>
    Effect.gen(function*() {
      const key = `bearer-${globalThis.crypto.randomUUID()}`
      const name = `Bearer ${key.slice(7, 15)}`
      const first = yield* post(yield* token("client-a"), key, name)
      assert.strictEqual(first.status, 201, first.text)
      // A renewed token of the same client: the replay.
      const renewed = yield* post(yield* token("client-a"), key, name)
      assert.strictEqual(renewed.status, 201, renewed.text)
      assert.strictEqual(renewed.headers.get("idempotent-replayed"), "true")
      assert.strictEqual(renewed.text, first.text)
      // Another client, same key: its own request.
      const other = yield* post(yield* token("client-b"), key, name)
      assert.strictEqual(other.status, 201, other.text)
      assert.isNull(other.headers.get("idempotent-replayed"))
      assert.notStrictEqual(other.json().id, first.json().id)
    }))
})
