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
import { Context, Effect, Layer, Redacted } from "effect"
import { Digest } from "effect/crypto"
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

const fromHex = (hex: string) => Uint8Array.from({ length: hex.length / 2 }, (_, i) => Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16))

/** The digest an entry stands for: its own when it is `sha256:<hex>`, the key's otherwise. */
const digestOf = (sha256: (text: string) => Effect.Effect<Uint8Array>, entry: string): Effect.Effect<Uint8Array, InvalidConfiguration> => {
  const problem = entryProblem(entry)
  if (problem !== undefined) return Effect.fail(new InvalidConfiguration({ problems: [problem] }))
  return entry.toLowerCase().startsWith(digestPrefix) ? Effect.succeed(fromHex(entry.slice(digestPrefix.length))) : sha256(entry)
}

/**
 * Whether two digests are equal, reading every byte whatever they hold, so
 * the time taken says nothing about where they differ.
 */
const equalDigests = (a: Uint8Array, b: Uint8Array): boolean => {
  let difference = a.length ^ b.length
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ (b[i] ?? 0)
  return difference === 0
}

const toHex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")

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
      const clients = digests.map((digest) => `key:${toHex(digest)}`)
      const traced = yield* Tracing.tracedFunction
      return ApiKeys.of({
        verify: traced("ApiKeys.verify")(function*(key) {
          const candidate = yield* sha256(Redacted.value(key))
          // Every stored digest is compared, with no early exit: the time taken does not depend on which one matches.
          let found: number | undefined
          for (let i = 0; i < digests.length; i++) if (equalDigests(digests[i]!, candidate)) found ??= i
          return found === undefined ? undefined : clients[found]
        })
      })
    }))
}
