/**
 * Prometheus metrics (`GET /metrics`): requests by method, route and status,
 * their durations, requests in flight, and process memory. Recorded once per
 * request by {@link HttpMetrics}' middleware, with the route pattern (not the
 * path) as the label, so the number of series stays bounded.
 */
import { Context, Effect, Layer, Metric, Redacted } from "effect"
import { Mac } from "effect/crypto"
import { HttpRouter, HttpServerRequest, HttpServerResponse, ProblemDetails } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { problemResponse } from "./Problems.ts"
import { routeLabel, withRequest } from "./Routes.ts"

const requestsOptions = {
  description: "HTTP requests answered, by method, route and status",
  incremental: true
} as const

const durationsOptions = {
  description: "Time to answer an HTTP request, by method, route and status",
  boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
} as const

const inFlightGauge = Metric.gauge("http_requests_in_flight", { description: "HTTP requests being served now" })

const residentMemory = Metric.gauge("process_resident_memory_bytes", { description: "Resident set size of the process" })

/** No services: the metric registry and attributes are their defaults (the registry `/metrics` reads). */
const defaultContext = Context.empty()

type Middleware = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest>

/** The process's request metrics: what the middleware records and `/metrics` reads. */
export class HttpMetrics extends Context.Service<HttpMetrics, {
  /** The middleware counting every request, its outcome and duration. */
  readonly recordRequests: Middleware
  /** How many requests are being served now. */
  readonly inFlight: () => number
}>()("zoo-api/Http/HttpMetrics") {
  static readonly layer = Layer.sync(HttpMetrics, () => {
    /**
     * The two series of one method, route and status, made on first use and
     * kept: a metric made with its attributes keeps its series key, where
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
    // A plain counter per request, read into the gauge when `/metrics` is scraped.
    let inFlight = 0
    const done = Effect.sync(() => {
      inFlight--
    })
    // Synchronous updates: an effect per update was measurable on every request.
    const recordRequests: Middleware = (app) =>
      withRequest((request, route) => {
        inFlight++
        const started = performance.now()
        return Effect.ensuring(
          Effect.map(app, (response) => {
            const series = seriesOf(request.method, routeLabel(route), response.status)
            series.requests.updateUnsafe(1, defaultContext)
            series.durations.updateUnsafe((performance.now() - started) / 1000, defaultContext)
            return response
          }),
          done
        )
      })
    return HttpMetrics.of({ recordRequests, inFlight: () => inFlight })
  })
}

/** Where it can be read (Node, Deno and Bun all have `process.memoryUsage`); elsewhere the gauge stays 0. */
const rss = (): number | undefined => (globalThis as { process?: { memoryUsage?: { rss?: () => number } } }).process?.memoryUsage?.rss?.()

const scrape = (metrics: HttpMetrics["Service"]) =>
  Effect.gen(function*() {
    const memory = rss()
    if (memory !== undefined) yield* Metric.update(residentMemory, memory)
    yield* Metric.update(inFlightGauge, metrics.inFlight())
    return HttpServerResponse.text(yield* PrometheusMetrics.format(), {
      contentType: "text/plain; version=0.0.4; charset=utf-8"
    })
  })

const unauthorized = problemResponse({
  type: ProblemDetails.blankType,
  title: "Unauthorized",
  status: 401,
  detail: "GET /metrics needs Authorization: Bearer <METRICS_TOKEN>"
}, { headers: { "www-authenticate": "Bearer realm=\"metrics\"" } })

const encoder = new TextEncoder()

/**
 * `GET /metrics`. With a token (`METRICS_TOKEN`), a scraper must send it as a
 * bearer token: request counts by route tell more than a stranger should know.
 */
export const metricsRoute = (token: Redacted.Redacted<string> | undefined) =>
  Layer.unwrap(Effect.map(HttpMetrics, (metrics) => {
    if (token === undefined) return HttpRouter.add("GET", "/metrics", scrape(metrics))
    const expected = encoder.encode(`Bearer ${Redacted.value(token)}`)
    return HttpRouter.add(
      "GET",
      "/metrics",
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
        // effect's compare answers a different length at once: that tells the token's length, never its bytes.
        Mac.timingSafeEqual(encoder.encode(request.headers.authorization ?? ""), expected)
          ? scrape(metrics)
          : unauthorized)
    )
  }))
