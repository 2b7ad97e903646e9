/**
 * Rate limiting per client: at most `RATE_LIMIT` requests per window
 * for each client, counted by effect's `RateLimiter` (fixed windows) in this
 * process's memory or, with `REDIS_URL`, in Redis, where every replica shares
 * the counts.
 *
 * - The client is its *verified* credential (see `Auth/Credentials.ts`: a
 *   digest of the API key, or of the bearer token), else its address. A
 *   made-up or wrong key or token counts against the address it came from,
 *   so inventing credentials neither escapes the limit nor makes guessing
 *   keys free, and the number of counters grows only with real clients and
 *   addresses. The raw credential is never stored or logged.
 * - Probes, metrics and the docs are never limited.
 * - Every limited response carries `RateLimit-Limit`, `RateLimit-Remaining` and
 *   `RateLimit-Reset` (seconds); a refused request gets a 429 problem with
 *   `Retry-After` as well.
 * - The store failing (Redis down or slow) does not take the API down: requests
 *   are served without a limit (fail open), a warning is logged once per
 *   outage, and the store is asked again a second later.
 */
import { Clock, Context, Duration, Effect, Layer, Schedule } from "effect"
import type { HttpServerRequest} from "effect/http";
import { HttpServerResponse } from "effect/http"
import { RateLimiter, type Redis } from "effect/persistence"
import { edgeVerification } from "../Auth/Credentials.ts"
import { TooManyRequests } from "../Errors.ts"
import { problemResponse } from "./Problems.ts"
import { withRequest } from "./Routes.ts"

/** `RATE_LIMIT=100/1s`: `limit` requests per `window` for each client. */
export interface RateLimitPolicy {
  readonly limit: number
  readonly window: Duration.Duration
}

/** What counting a request against its client's budget decided. */
export type Verdict =
  /** Serve it; `headers` tell the client its budget (none when the store could not be asked). */
  | { readonly _tag: "Allowed"; readonly headers: Readonly<Record<string, string>> | undefined }
  | { readonly _tag: "Exceeded"; readonly headers: Readonly<Record<string, string>>; readonly retryAfter: number }

export class RateLimit extends Context.Service<RateLimit, {
  readonly policy: RateLimitPolicy
  /** Counts a request against the budget of `client` (see {@link clientOf}). Never fails: a store failure allows it. */
  readonly consume: (client: string) => Effect.Effect<Verdict>
}>()("zoo-api/RateLimit") {}

/** Routes polled by machines, or read once per page view: they never count. */
const unlimitedRoutes: ReadonlySet<string> = new Set([
  "/healthz",
  "/readyz",
  "/metrics",
  "/openapi.json",
  "/docs",
  "/docs/init.js",
  "/docs/scalar.js"
])

/** Whole seconds, rounded up: a client told `0` would retry at once. */
const seconds = (duration: Duration.Duration) => String(Math.max(1, Math.ceil(Duration.toMillis(duration) / 1_000)))

/** How long the store may take before a request is served without it. */
const storeTimeout = Duration.millis(250)

/** After the store failed, requests skip it this long, so an outage costs no request a timeout. */
const storeRetryAfter = Duration.seconds(1)

const make = Effect.fnUntraced(function*(policy: RateLimitPolicy, options: { readonly timeout?: Duration.Duration }) {
  const limiter = yield* RateLimiter.RateLimiter
  const limit = String(policy.limit)

  const timedOut = new RateLimiter.RateLimiterError({
    reason: new RateLimiter.RateLimitStoreError({ message: "The rate limit store did not answer in time" })
  })
  const counted = (key: string) => {
    const consume = limiter.consume({ key, limit: policy.limit, window: policy.window, algorithm: "fixed-window" })
    return options.timeout === undefined
      ? consume
      : Effect.timeoutOrElse(consume, { duration: options.timeout, orElse: () => Effect.fail(timedOut) })
  }

  const allowed = (result: RateLimiter.ConsumeResult): Verdict => ({
    _tag: "Allowed",
    headers: {
      "ratelimit-limit": limit,
      "ratelimit-remaining": String(result.remaining),
      "ratelimit-reset": seconds(result.resetAfter)
    }
  })

  // Fail open: after the store failed, requests pass unlimited until `skipUntil` (epoch ms), then ask it again.
  let skipUntil = 0
  const unmetered: Verdict = { _tag: "Allowed", headers: undefined }

  const ask = (client: string): Effect.Effect<Verdict> =>
    counted(client).pipe(
      Effect.flatMap((result) => {
        if (skipUntil === 0) return Effect.succeed(allowed(result))
        skipUntil = 0
        return Effect.as(Effect.logInfo("Rate limit store answers again: rate limits apply"), allowed(result))
      }),
      Effect.catch(({ reason }) => {
        if (reason._tag === "RateLimitExceeded") {
          const retryAfter = seconds(reason.retryAfter)
          return Effect.succeed<Verdict>({
            _tag: "Exceeded",
            retryAfter: Number(retryAfter),
            headers: { "retry-after": retryAfter, "ratelimit-limit": limit, "ratelimit-remaining": "0", "ratelimit-reset": retryAfter }
          })
        }
        return Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const outageStarts = skipUntil === 0
          skipUntil = now + Duration.toMillis(storeRetryAfter)
          return outageStarts
            ? Effect.as(Effect.logWarning("Rate limit store unavailable: serving requests without a rate limit", reason), unmetered)
            : Effect.succeed(unmetered)
        })
      })
    )

  return RateLimit.of({
    policy,
    consume: (client) =>
      skipUntil === 0
        ? ask(client)
        : Effect.flatMap(Clock.currentTimeMillis, (now) => (now < skipUntil ? Effect.succeed(unmetered) : ask(client)))
  })
})

/**
 * effect's in-memory store forgets a client only when that client comes back
 * after its window; a stream of new clients (or of made-up API keys) would
 * grow it without end. This one is the same store, but drops the counters of
 * windows that are over, every `sweepEvery`.
 */
const sweepEvery = Duration.seconds(10)

export const layerStoreMemory: Layer.Layer<RateLimiter.RateLimiterStore> = Layer.effect(
  RateLimiter.RateLimiterStore,
  Effect.gen(function*() {
    const base = yield* RateLimiter.RateLimiterStore
    const counters = new Map<string, { count: number; expiresAt: number }>()
    yield* Effect.forkScoped(Effect.repeat(
      Effect.clockWith((clock) =>
        Effect.sync(() => {
          const now = clock.currentTimeMillisUnsafe()
          for (const [key, counter] of counters) if (counter.expiresAt <= now) counters.delete(key)
        })
      ),
      Schedule.spaced(sweepEvery)
    ))
    return RateLimiter.RateLimiterStore.of({
      ...base,
      // As effect's `layerStoreMemory` counts a fixed window.
      fixedWindow: (options) =>
        Effect.clockWith((clock) =>
          Effect.sync(() => {
            const refillMillis = Duration.toMillis(options.refillRate)
            const now = clock.currentTimeMillisUnsafe()
            let counter = counters.get(options.key)
            if (counter === undefined || counter.expiresAt <= now) {
              counter = { count: 0, expiresAt: now }
              counters.set(options.key, counter)
            }
            if (options.limit !== undefined && counter.count + options.tokens > options.limit) {
              return [counter.count + options.tokens, counter.expiresAt - now] as const
            }
            counter.count += options.tokens
            counter.expiresAt += refillMillis * options.tokens
            return [counter.count, counter.expiresAt - now] as const
          })
        )
    })
  })
).pipe(Layer.provide(RateLimiter.layerStoreMemory))

/** Counts in this process: right for one replica. */
export const layerMemory = (policy: RateLimitPolicy): Layer.Layer<RateLimit> =>
  Layer.effect(RateLimit, make(policy, {})).pipe(
    Layer.provide(RateLimiter.layer),
    Layer.provide(layerStoreMemory)
  )

/**
 * Counts in Redis, shared by every replica that uses the same Redis and
 * `prefix`. A store that does not answer within 250 ms counts as down.
 */
export const layerRedis = (
  policy: RateLimitPolicy,
  options: { readonly prefix?: string | undefined } = {}
): Layer.Layer<RateLimit, never, Redis.Redis> =>
  Layer.effect(RateLimit, make(policy, { timeout: storeTimeout })).pipe(
    Layer.provide(RateLimiter.layer),
    Layer.provide(RateLimiter.layerStoreRedis({ prefix: options.prefix ?? "zoo-api:rate-limit:" }))
  )

const exceeded = (policy: RateLimitPolicy, verdict: Extract<Verdict, { _tag: "Exceeded" }>) =>
  problemResponse(
    new TooManyRequests({
      detail: `More than ${policy.limit} requests in ${Duration.format(policy.window)}; retry in ${verdict.retryAfter} s`
    }),
    { headers: verdict.headers }
  )

/** The address a request came from: its client when it has no verified credential. */
const addressOf = (request: HttpServerRequest.HttpServerRequest) =>
  `ip:${request.remoteAddress._tag === "Some" ? request.remoteAddress.value : "unknown"}`

/** Who a request counts against: its verified credential, else its address (a refused credential too). */
export const clientOf = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<string> =>
  Effect.map(edgeVerification, (verification) => (verification._tag === "Verified" ? verification.client : addressOf(request)))

/**
 * The middleware: counts every request but the unlimited routes against its
 * client; refuses with 429 beyond the budget. Runs inside the credentials'
 * memo (`memoizeVerification`), whose verification it reads.
 */
export const rateLimit = (limiter: RateLimit["Service"]) =>
<E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  withRequest((request, { known }) => {
    if (known !== undefined && unlimitedRoutes.has(known.route)) return app
    return Effect.flatMap(Effect.flatMap(clientOf(request), limiter.consume), (verdict) => {
      if (verdict._tag === "Exceeded") return exceeded(limiter.policy, verdict)
      return verdict.headers === undefined ? app : Effect.map(app, HttpServerResponse.setHeaders(verdict.headers))
    })
  })
