/**
 * The Redis connection the rate limits count in when `REDIS_URL` is set (Node:
 * node-redis, through `@effect/platform-node`'s `NodeRedis`).
 *
 * - The first connection must succeed: a start with an unreachable Redis fails
 *   (exit 1), as with an unreachable database.
 * - Later, the client reconnects by itself (backoff up to 2 s). Meanwhile no
 *   command is queued: each fails at once, and the rate limit fails open.
 * - At shutdown the client is destroyed rather than closed: `close()` waits for
 *   the replies to commands already sent, which a hung Redis never gives.
 *   Nothing needs them by then: the server has finished its requests.
 */
import { Effect, Layer, Redacted } from "effect"
import type { Redis } from "effect/persistence"

/** What a failed start reports (`main.ts` words it). */
export type RedisError = Redis.RedisError

export const layer = (url: Redacted.Redacted<string> | string) =>
  // Loaded only when used: node-redis is ~580 modules, half of what a start
  // loads, and most services run without Redis.
  Layer.unwrap(Effect.map(Effect.promise(() => import("@effect/platform-node/NodeRedis")), (NodeRedis) =>
    Layer.effectDiscard(Effect.gen(function*() {
      const { client } = yield* NodeRedis.NodeRedis
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          if (client.isOpen) client.destroy()
        })
      )
    })).pipe(
      Layer.provideMerge(NodeRedis.layer({
        url: Redacted.isRedacted(url) ? Redacted.value(url) : url,
        disableOfflineQueue: true
      }))
    )))
