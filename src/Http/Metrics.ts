/**
 * Prometheus metrics (`GET /metrics`): requests by method, route and status,
 * their durations, requests in flight, and process memory. Recorded by the
 * edge middleware once per request, with the route pattern (not the path) as
 * the label, so the number of series stays bounded.
 */
import { Context, Effect, Metric, Redacted } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse, ProblemDetails } from "effect/http"
import { PrometheusMetrics } from "effect/observability"

const requestsOptions = {
  description: "HTTP requests answered, by method, route and status",
  incremental: true
} as const

const durationsOptions = {
  description: "Time to answer an HTTP request, by method, route and status",
  boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
} as const

/**
 * The two series of one method, route and status, made on first use and kept:
 * a metric made with its attributes keeps its series key, where
 * `Metric.withAttributes` per request would rebuild (and re-serialise) it
 * every time. Bounded: routes are patterns, methods and statuses few.
 */
const seriesByOutcome = new Map<string, {
  readonly requests: Metric.Counter<number>
  readonly durations: Metric.Histogram<number>
}>()

const seriesOf = (method: string, route: string, status: number) => {
  const key = `${method} ${route} ${status}`
  let series = seriesByOutcome.get(key)
  if (series === undefined) {
    const attributes = { method, route, status: String(status) }
    series = {
      requests: Metric.counter("http_requests_total", { ...requestsOptions, attributes }),
      durations: Metric.histogram("http_request_duration_seconds", { ...durationsOptions, attributes })
    }
    seriesByOutcome.set(key, series)
  }
  return series
}

let requestsInFlight = 0

const inFlight = Metric.gauge("http_requests_in_flight", { description: "HTTP requests being served now" })

const residentMemory = Metric.gauge("process_resident_memory_bytes", { description: "Resident set size of the process" })

export interface RequestOutcome {
  readonly method: string
  readonly route: string
  readonly status: number
  readonly seconds: number
}

/** No services: the metric registry and attributes are their defaults. */
const defaultContext = Context.empty()

/**
 * Counts a finished request and its duration, in the default registry (the
 * one `/metrics` reads). Synchronous: the edge calls it for every request,
 * and an effect per update was measurable there.
 */
export const recordRequestUnsafe = (outcome: RequestOutcome): void => {
  const series = seriesOf(outcome.method, outcome.route, outcome.status)
  series.requests.updateUnsafe(1, defaultContext)
  series.durations.updateUnsafe(outcome.seconds, defaultContext)
}

/**
 * Wraps serving one request, so the in-flight gauge counts it: a plain
 * counter per request, read into the gauge when `/metrics` is scraped.
 */
export const trackInFlight = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    requestsInFlight++
    return Effect.ensuring(self, Effect.sync(() => requestsInFlight--))
  })

/** Where it can be read (Node, Deno and Bun all have `process.memoryUsage`); elsewhere the gauge stays 0. */
const rss = (): number | undefined => (globalThis as { process?: { memoryUsage?: { rss?: () => number } } }).process?.memoryUsage?.rss?.()

const scrape = Effect.gen(function*() {
  const memory = rss()
  if (memory !== undefined) yield* Metric.update(residentMemory, memory)
  yield* Metric.update(inFlight, requestsInFlight)
  return HttpServerResponse.text(yield* PrometheusMetrics.format(), {
    contentType: "text/plain; version=0.0.4; charset=utf-8"
  })
})

/** Same length and same characters, without returning at the first difference. */
const constantTimeEqual = (a: string, b: string) => {
  let difference = a.length ^ b.length
  for (let i = 0; i < Math.max(a.length, b.length); i++) difference |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0)
  return difference === 0
}

const unauthorized = ProblemDetails.toResponse({
  type: "about:blank",
  title: "Unauthorized",
  status: 401,
  detail: "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>"
}).pipe(HttpServerResponse.setHeader("www-authenticate", "Bearer realm=\"metrics\""))

/**
 * `GET /metrics`. With a token (`METRICS_TOKEN`), a scraper must send it as a
 * bearer token: request counts by route tell more than a stranger should know.
 */
export const metricsRoute = (token: Redacted.Redacted<string> | undefined) =>
  HttpRouter.add(
    "GET",
    "/metrics",
    token === undefined ? scrape : Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      constantTimeEqual(request.headers.authorization ?? "", `Bearer ${Redacted.value(token)}`)
        ? scrape
        : Effect.succeed(unauthorized))
  )
