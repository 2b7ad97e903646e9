/**
 * `GET /metrics` on the real server: Prometheus text that a scraper can
 * parse, counting requests by method, route pattern and status.
 */
import { assert, layer } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { MemoryRepositories } from "../src/Repositories.ts"
import { rawRequest, request, TestServer } from "./support/TestServer.ts"

/** The value of one sample line, or 0 when the series does not exist yet. */
const sample = (text: string, name: string, labels: string) => {
  const line = text.split("\n").find((line) => line.startsWith(`${name}{${labels}}`))
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1))
}

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("GET /metrics", (it) => {
  it.effect("is Prometheus text and counts requests by route pattern and status", () =>
    Effect.gen(function*() {
      const before = (yield* rawRequest("/metrics")).text
      const notFound = 'method="GET",route="/v1/animals/:id",status="404"'
      const countBefore = sample(before, "http_requests_total", notFound)
      for (let i = 0; i < 3; i++) {
        assert.strictEqual((yield* request("/v1/animals/00000000-0000-4000-8000-000000000000")).status, 404)
      }
      const scrape = yield* rawRequest("/metrics")
      assert.strictEqual(scrape.status, 200)
      assert.match(scrape.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/)
      // Every line is a comment or `name{labels} value`: what a scraper parses.
      for (const line of scrape.text.split("\n").filter((line) => line.length > 0)) {
        assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [-+]?(\d+(\.\d+)?([eE][-+]?\d+)?|\+Inf|NaN))$/, line)
      }
      assert.strictEqual(sample(scrape.text, "http_requests_total", notFound), countBefore + 3)
      assert.isAtLeast(sample(scrape.text, "http_request_duration_seconds_count", notFound), 3)
      assert.include(scrape.text, "# TYPE http_requests_in_flight gauge")
      assert.isAbove(Number(/process_resident_memory_bytes (\d+)/.exec(scrape.text)?.[1]), 1_000_000)
    }))
})

layer(TestServer(MemoryRepositories, { metricsToken: Redacted.make("scrape-secret") }), { excludeTestServices: true })("GET /metrics with METRICS_TOKEN", (it) => {
  it.effect("needs the token as a bearer token", () =>
    Effect.gen(function*() {
      const anonymous = yield* rawRequest("/metrics")
      assert.strictEqual(anonymous.status, 401)
      assert.strictEqual(anonymous.headers.get("www-authenticate"), "Bearer realm=\"metrics\"")
      assert.strictEqual(anonymous.headers.get("content-type"), "application/problem+json")
      assert.strictEqual((yield* rawRequest("/metrics", { headers: { authorization: "Bearer wrong-secret" } })).status, 401)
      const scraper = yield* rawRequest("/metrics", { headers: { authorization: "Bearer scrape-secret" } })
      assert.strictEqual(scraper.status, 200)
      assert.include(scraper.text, "# TYPE http_requests_total counter")
    }))
})
