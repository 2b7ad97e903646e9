/**
 * Credentials for the suites that are not about access control: the API key
 * every test server accepts (in process and spawned), and `fetch` options
 * that carry it on writes. Reads go without it, so every suite also shows
 * that reads are public. Access control itself is tested in `test/Auth.test.ts`.
 */
import { Layer, Option, Redacted } from "effect"
import type { Digest } from "effect/crypto"
import { WriteAccess } from "../../src/Auth/WriteAccess.ts"
import * as WriteAccessLive from "../../src/Auth/WriteAccessLive.ts"

/** The API key test servers accept. */
export const testApiKey = "zoo-test-key-0123456789"

const writeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"])

/** `init` with the test key added, when it is a write that carries no credentials of its own. */
export const withTestKey = (init: RequestInit = {}): RequestInit => {
  if (!writeMethods.has((init.method ?? "GET").toUpperCase())) return init
  const headers = new Headers(init.headers)
  if (headers.has("x-api-key") || headers.has("authorization")) return init
  headers.set("x-api-key", testApiKey)
  return { ...init, headers }
}

/** The real access control, accepting the test key (and no bearer tokens); it digests keys with a `Digest`. */
export const TestWriteAccess: Layer.Layer<WriteAccess, never, Digest.Digest> = WriteAccessLive.layer({
  apiKeys: [Redacted.make(testApiKey)],
  tokens: Option.none()
}).pipe(Layer.orDie)

/**
 * Lets every write through without looking at credentials: for handler tests
 * through the typed client (`HttpApiTest`), whose requests carry none.
 */
export const WritesAllowed = Layer.succeed(
  WriteAccess,
  WriteAccess.of({ apiKey: (httpEffect) => httpEffect, bearer: (httpEffect) => httpEffect })
)
