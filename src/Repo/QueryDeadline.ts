/**
 * The client-side deadline of every database call, and the
 * `db_call_duration_seconds` histogram each call is recorded in. The SQL
 * repositories and the readiness probe (`Database.ts`) both run under it.
 */
import { Context, Duration, Effect, Exit, Metric } from "effect"
import { DatabaseUnavailable } from "../Errors.ts"

/**
 * How long a database call may take, client side. Set from the configuration
 * by `Database.layer`; the default suits tests.
 */
export const QueryDeadline = Context.Reference<Duration.Duration>("zoo-api/Repo/QueryDeadline", {
  defaultValue: () => Duration.seconds(10)
})

/**
 * A client-side deadline on a database call. `statement_timeout` is enforced
 * by the server, so it cannot fire when the server or the network stops
 * answering; this does. The call runs in a fiber of its own so that the
 * caller gets its 503 at the deadline while the abandoned query drains its
 * connection in the background (the driver waits up to 5 s for that).
 *
 * Every repository call pays this, so it is one fiber started at once (the
 * query is on the wire in the same tick), one timer and one observer — not
 * `Effect.timeout` over `Fiber.join`, which raced two more fibers per call
 * and measured at 45 % of a PostgreSQL `GET /animals/{id}`'s throughput.
 */
export const withDeadline = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | DatabaseUnavailable, R> =>
  Effect.flatMap(QueryDeadline, (limit) => {
    const started = performance.now()
    return Effect.flatMap(Effect.forkDetach(effect, { startImmediately: true }), (call) => {
      const done = call.pollUnsafe()
      if (done !== undefined) {
        recordCall(Exit.isSuccess(done), started)
        return done
      }
      return Effect.callback<A, E | DatabaseUnavailable>((resume) => {
        const timer = setTimeout(() => {
          // Answered first: an interruption that ends the call at once must not reach the caller as its outcome.
          settle(
            Effect.andThen(
              Effect.logWarning("Database call exceeded its deadline", Duration.format(limit)),
              Effect.fail(DatabaseUnavailable.instance)
            ),
            false
          )
          call.interruptUnsafe()
        }, Duration.toMillis(limit))
        const stopObserving = call.addObserver((exit) => settle(exit, Exit.isSuccess(exit)))
        function settle(outcome: Effect.Effect<A, E | DatabaseUnavailable>, ok: boolean) {
          clearTimeout(timer)
          stopObserving()
          recordCall(ok, started)
          resume(outcome)
        }
        // The caller gave up (its request was interrupted): abandon the call, which drains on its own.
        return Effect.sync(() => {
          clearTimeout(timer)
          stopObserving()
          call.interruptUnsafe()
        })
      })
    })
  })

const databaseCallsOptions = {
  description: "Time of the database calls of the repositories, by outcome (ok, error)",
  boundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
} as const

/** Every database call a repository makes, as `/metrics` shows it; one series per outcome, made once. */
const databaseCalls = {
  ok: Metric.histogram("db_call_duration_seconds", { ...databaseCallsOptions, attributes: { outcome: "ok" } }),
  error: Metric.histogram("db_call_duration_seconds", { ...databaseCallsOptions, attributes: { outcome: "error" } })
}

/** No services: the metric registry is the default one, the one `/metrics` reads. */
const noServices = Context.empty()

const recordCall = (ok: boolean, started: number) =>
  databaseCalls[ok ? "ok" : "error"].updateUnsafe((performance.now() - started) / 1000, noServices)
