/**
 * `/docs` in a real browser: headless Chromium renders the Scalar reference
 * from our server alone, and "Try it" works on first click. Every request the
 * page makes is recorded; any host but ours fails the test (no CDN, no web
 * fonts, no telemetry), and so does any console warning or error.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { existsSync } from "node:fs"
import * as Http from "node:http"
import { chromium } from "playwright-core"
import { MemoryRepositories } from "../src/Repositories.ts"
import { startServer } from "./support/ServerProcess.ts"
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
  it.effect("sends a strict Content-Security-Policy, and no development-key note when keys are configured", () =>
    Effect.gen(function*() {
      const response = yield* request("/docs")
      assert.strictEqual(response.status, 200)
      const csp = response.headers.get("content-security-policy")!
      assert.include(csp, "default-src 'none'")
      assert.include(csp, "script-src 'self'")
      assert.match(response.text, /\/docs\/scalar\.js\?v=\d+\.\d+\.\d+/)
      assert.notInclude(response.text, "Development mode")
      assert.notInclude(response.text, "zoo_dev_")
    }))

  it.effect("the bundle is compressed as the client accepts, and cached for a year", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      const html = (yield* request("/docs")).text
      const script = /src="(\/docs\/scalar\.js\?v=[^"]+)"/.exec(html)![1]!
      // fetch would decode the body itself: node:http shows the bytes as sent.
      const get = (acceptEncoding: string) =>
        Effect.promise(() =>
          new Promise<{ readonly headers: Record<string, unknown>; readonly bytes: number }>((resolve, reject) => {
            Http.get(`${url}${script}`, { headers: { "accept-encoding": acceptEncoding } }, (response) => {
              let bytes = 0
              response.on("data", (chunk: Buffer) => bytes += chunk.length)
              response.on("end", () => resolve({ headers: response.headers, bytes }))
            }).on("error", reject)
          })
        )
      const identity = yield* get("identity")
      const gzip = yield* get("gzip, deflate")
      const brotli = yield* get("gzip, deflate, br")
      assert.isUndefined(identity.headers["content-encoding"])
      assert.strictEqual(gzip.headers["content-encoding"], "gzip")
      assert.strictEqual(brotli.headers["content-encoding"], "br")
      assert.isBelow(gzip.bytes, identity.bytes / 2)
      assert.isBelow(brotli.bytes, identity.bytes / 2)
      for (const response of [identity, gzip, brotli]) {
        assert.strictEqual(response.headers["cache-control"], "public, max-age=31536000, immutable")
        assert.strictEqual(response.headers.vary, "accept-encoding")
      }
    }))

  it.effect("GET / points to the docs and the OpenAPI document; the favicon exists", () =>
    Effect.gen(function*() {
      const root = yield* request("/")
      assert.strictEqual(root.status, 200)
      assert.deepStrictEqual(root.json(), { name: "Zoo API", docs: "/docs", openapi: "/openapi.json" })
      const favicon = yield* request("/favicon.ico")
      assert.strictEqual(favicon.status, 200)
      assert.strictEqual(favicon.headers.get("content-type"), "image/svg+xml")
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

describe.skipIf(chromiumPath === undefined)("Try it on /docs, as npm start serves it", () => {
  it("List animals shows the animals that exist; Create an animal answers 201 once the key is entered", async () => {
    // As `npm start` with nothing configured: a development key, printed in the log.
    const server = await startServer({ STORAGE: "memory", API_KEYS: "" })
    const browser = await chromium.launch({ executablePath: chromiumPath!, args: ["--headless", "--no-sandbox", "--disable-gpu"] })
    try {
      const key = /Development API key: (\S+)/.exec(server.output())![1]!
      for (const name of ["Nala the Lioness", "Simba the Lion"]) {
        const created = await fetch(`${server.url}/v2/animals`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": key },
          body: JSON.stringify({ name, date_of_birth: "2020-06-01", species: "lion" }),
          signal: AbortSignal.timeout(10_000)
        })
        assert.strictEqual(created.status, 201)
      }

      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
      const requested: Array<string> = []
      const answers: Array<string> = []
      const consoleMessages: Array<string> = []
      page.on("request", (request) => requested.push(request.url()))
      page.on("response", (response) => answers.push(`${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`))
      page.on("console", (message) => {
        if (message.type() === "warning" || message.type() === "error") consoleMessages.push(`${message.type()}: ${message.text()}`)
      })
      page.on("pageerror", (error) => consoleMessages.push(`pageerror: ${error.message}`))
      await page.goto(`${server.url}/docs`, { waitUntil: "networkidle" })
      // The page says where the development key is, without showing it.
      assert.include(await page.locator(".zoo-dev-key").innerText(), "Development API key")
      assert.notInclude(await page.content(), key)

      // "List animals": Test Request, then Send, with whatever the page fills in.
      await page.getByText("List animals").first().click()
      await page.getByRole("button", { name: /Test Request.*get \/v2\/animals\)/ }).first().click()
      const dialog = page.getByRole("dialog")
      await dialog.getByRole("button", { name: /^Send/ }).first().click()
      await dialog.getByText("Simba the Lion").first().waitFor({ timeout: 20_000 })
      assert.include(await dialog.innerText(), "Nala the Lioness")
      assert.include(answers, "GET /v2/animals 200")
      await dialog.getByRole("button", { name: "Close Client" }).click()

      // "Create an animal": the example body as it is, with the key entered.
      await page.getByText("Create an animal").first().click()
      await page.getByRole("button", { name: /Test Request.*post \/v2\/animals\)/ }).first().click()
      await dialog.locator("input.scalar-password-input").first().fill(key)
      await dialog.getByRole("button", { name: /^Send/ }).first().click()
      await dialog.getByText("201 Created").first().waitFor({ timeout: 20_000 })
      assert.include(answers, "POST /v2/animals 201")

      const listed = await (await fetch(`${server.url}/v2/animals`, { signal: AbortSignal.timeout(10_000) })).json()
      assert.strictEqual(listed.total, 3)
      const foreign = requested.filter((u) => !u.startsWith(server.url) && !u.startsWith("data:") && !u.startsWith("blob:"))
      assert.deepStrictEqual(foreign, [], "requests to hosts other than ours")
      assert.deepStrictEqual(consoleMessages, [], "console warnings or errors")
    } finally {
      await browser.close()
      await server.stop()
    }
  }, 90_000)
})
