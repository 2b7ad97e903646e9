/**
 * API keys (`X-API-Key`). The service keeps SHA-256 digests only, never the
 * keys: a key arrives, is hashed, and its digest is compared with every
 * stored one in constant time. `API_KEYS` may hold the digests themselves
 * (`sha256:<hex>`), so the keys need not be in the environment at all.
 *
 * The digests come from effect's `Digest` service: `node:crypto` on Node
 * (`NodeCrypto.layerDigest`, synchronous — WebCrypto's `subtle.digest` is a
 * round trip through the thread pool, a tenth of a write's CPU), WebCrypto
 * on Deno and Bun (`Digest.layerWebCrypto`, see `src/web.ts`).
 */
import { Context, Effect, Layer, Redacted, Result } from "effect"
import { Digest, Mac } from "effect/crypto"
import { Hex } from "effect/encoding"
import { InvalidConfiguration } from "../Config.ts"
import * as Tracing from "../Tracing.ts"

const digestPrefix = "sha256:"
const hexDigest = /^[0-9a-f]{64}$/i

/** Why an `API_KEYS` entry cannot be used, or `undefined` when it can. */
export const entryProblem = (entry: string): string | undefined => {
  if (!entry.toLowerCase().startsWith(digestPrefix)) return undefined
  return hexDigest.test(entry.slice(digestPrefix.length))
    ? undefined
    : `API_KEYS: a ${digestPrefix} entry must be followed by the 64 hexadecimal digits of a SHA-256 digest`
}

const encoder = new TextEncoder()

/** The digest an entry stands for: its own when it is `sha256:<hex>`, the key's otherwise. */
const digestOf = (sha256: (text: string) => Effect.Effect<Uint8Array>, entry: string): Effect.Effect<Uint8Array, InvalidConfiguration> => {
  const problem = entryProblem(entry)
  if (problem !== undefined) return Effect.fail(new InvalidConfiguration({ problems: [problem] }))
  if (!entry.toLowerCase().startsWith(digestPrefix)) return sha256(entry)
  // `entryProblem` let through 64 hexadecimal digits only, which always decode.
  return Result.match(Hex.decode(entry.slice(digestPrefix.length)), {
    onSuccess: Effect.succeed,
    onFailure: (error) => Effect.fail(new InvalidConfiguration({ problems: [`API_KEYS: ${error.message}`] }))
  })
}

/** The API keys the service accepts. */
export class ApiKeys extends Context.Service<ApiKeys, {
  /**
   * Who the key is, if it is one of ours: `key:<hex>`, the digest of the key
   * (the same on every replica, so a rate limit in Redis counts it once);
   * `undefined` when it is not ours.
   */
  readonly verify: (key: Redacted.Redacted<string>) => Effect.Effect<string | undefined>
}>()("zoo-api/Auth/ApiKeys") {
  /** From `API_KEYS` entries: keys, or `sha256:<hex>` digests of keys. */
  static readonly layer = (entries: ReadonlyArray<Redacted.Redacted<string>>) =>
    Layer.effect(ApiKeys, Effect.gen(function*() {
      const digest = yield* Digest.Digest
      const sha256 = (text: string) => digest.digest(Digest.sha256, encoder.encode(text))
      const digests = yield* Effect.forEach(entries, (entry) => digestOf(sha256, Redacted.value(entry)))
      const clients = digests.map((digest) => `key:${Hex.encode(digest)}`)
      const traced = yield* Tracing.tracedFunction
      return ApiKeys.of({
        verify: traced("ApiKeys.verify")(function*(key) {
          const candidate = yield* sha256(Redacted.value(key))
          // Every stored digest is compared, with no early exit: the time taken does not depend on which one matches.
          let found: number | undefined
          for (let i = 0; i < digests.length; i++) if (Mac.timingSafeEqual(digests[i]!, candidate)) found ??= i
          return found === undefined ? undefined : clients[found]
        })
      })
    }))
}
