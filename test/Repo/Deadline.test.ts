/**
 * The client-side deadline of every database call (`withDeadline`): the
 * caller gets its answer at the deadline whatever the call does, and an
 * abandoned call is interrupted in the background. Real timers: the deadline
 * is a `setTimeout`, not the effect clock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber } from "effect"
import { DatabaseUnavailable } from "../../src/Errors.ts"
import { QueryDeadline, withDeadline } from "../../src/Repo/QueryDeadline.ts"

const within = (millis: number) => Effect.provideService(QueryDeadline, Duration.millis(millis))

describe("withDeadline", () => {
  it.live("passes a call's success and failure through", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* withDeadline(Effect.succeed(1)).pipe(within(1_000)), 1)
      assert.strictEqual(yield* withDeadline(Effect.as(Effect.sleep("5 millis"), 2)).pipe(within(1_000)), 2)
      const failed = yield* withDeadline(Effect.fail("refused" as const)).pipe(within(1_000), Effect.flip)
      assert.strictEqual(failed, "refused")
      const failedLater = yield* withDeadline(Effect.andThen(Effect.sleep("5 millis"), Effect.fail("late" as const))).pipe(within(1_000), Effect.flip)
      assert.strictEqual(failedLater, "late")
    }))

  it.live("answers 503 at the deadline, and interrupts the call, even when the interruption ends it at once", () =>
    Effect.gen(function*() {
      const interrupted = yield* Deferred.make<void>()
      const started = Date.now()
      const exit = yield* withDeadline(Effect.onInterrupt(Effect.never, () => Deferred.succeed(interrupted, undefined))).pipe(
        within(50),
        Effect.exit
      )
      assert.deepStrictEqual(exit, Exit.fail(DatabaseUnavailable.instance))
      assert.isAtLeast(Date.now() - started, 45)
      yield* Deferred.await(interrupted).pipe(Effect.timeout("1 second"))
    }))

  it.live("answers 503 at the deadline without waiting for a call whose interruption takes long", () =>
    Effect.gen(function*() {
      const started = Date.now()
      // The driver drains an abandoned query for up to 5 s; the caller must not wait for that.
      const slowToStop = Effect.onInterrupt(Effect.never, () => Effect.sleep("2 seconds"))
      const exit = yield* withDeadline(slowToStop).pipe(within(50), Effect.exit)
      assert.deepStrictEqual(exit, Exit.fail(DatabaseUnavailable.instance))
      assert.isBelow(Date.now() - started, 1_000)
    }))

  it.live("interrupts the call when its caller is interrupted", () =>
    Effect.gen(function*() {
      const interrupted = yield* Deferred.make<void>()
      const caller = yield* withDeadline(Effect.onInterrupt(Effect.never, () => Deferred.succeed(interrupted, undefined))).pipe(
        within(10_000),
        Effect.forkChild
      )
      yield* Effect.sleep("10 millis")
      yield* Fiber.interrupt(caller)
      yield* Deferred.await(interrupted).pipe(Effect.timeout("1 second"))
    }))
})
