/**
 * `/docs` in a real browser: headless Chromium renders the Scalar reference
 * from our server alone. Every request the page makes is recorded; any host
 * but ours fails the test (no CDN, no web fonts, no telemetry).
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync } from "node:fs"
import { chromium } from "playwright-core"
import { MemoryRepositories } from "../src/Http/App.ts"
import { baseUrl, request, TestServer } from "./support/TestServer.ts"

const chromiumPath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((path) => existsSync(path))
if (chromiumPath === undefined && process.env.CI) {
  throw new Error("Chromium is required under CI=true (apt-get install chromium)")
}
if (chromiumPath === undefined) {
  console.error("Docs browser test skipped: Chromium is not installed (apt-get install chromium)")
}

const launchBrowser = Effect.acquireRelease(
  Effect.promise(() =>
    chromium.launch({
      executablePath: chromiumPath!,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run"
      ]
    })
  ),
  (browser) => Effect.promise(() => browser.close())
)

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("GET /docs", (it) => {
  it.effect("sends a strict Content-Security-Policy", () =>
    Effect.gen(function*() {
      const response = yield* request("/docs")
      assert.strictEqual(response.status, 200)
      const csp = response.headers.get("content-security-policy")!
      assert.include(csp, "default-src 'none'")
      assert.include(csp, "script-src 'self'")
      assert.include(response.text, "/docs/scalar.js")
    }))

  it.effect.skipIf(chromiumPath === undefined)("renders the Animals operations offline in Chromium", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      const browser = yield* launchBrowser
      const page = yield* Effect.promise(() => browser.newPage())
      const requested: Array<string> = []
      page.on("request", (request) => requested.push(request.url()))
      const consoleErrors: Array<string> = []
      page.on("console", (message) => {
        if (message.type() === "error") consoleErrors.push(message.text())
      })

      yield* Effect.promise(() => page.goto(`${url}/docs`, { waitUntil: "networkidle" }))
      yield* Effect.promise(() => page.getByText("Create an animal").first().waitFor({ timeout: 20_000 }))
      const text = yield* Effect.promise(() => page.locator("body").innerText())
      for (const summary of ["List animals", "Get an animal", "Replace an animal", "Delete an animal"]) {
        assert.include(text, summary)
      }

      const foreign = requested.filter((u) => !u.startsWith(url) && !u.startsWith("data:") && !u.startsWith("blob:"))
      assert.deepStrictEqual(foreign, [], "requests to hosts other than ours")
      assert.isTrue(requested.some((u) => u === `${url}/openapi.json`))
      assert.deepStrictEqual(consoleErrors.filter((e) => e.includes("Content Security Policy")), [])
    }), 60_000)
})
