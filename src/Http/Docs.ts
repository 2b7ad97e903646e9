/**
 * `GET /docs`: the Scalar API reference, served offline. The Scalar bundle
 * comes from the `@scalar/api-reference` package and is served by us; the page
 * loads nothing from any other host (no CDN, no web fonts), which its
 * Content-Security-Policy enforces.
 */
import { Effect, FileSystem, Layer } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"

/** Only our own origin; Scalar injects its styles inline and renders icons as data URLs. */
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join("; ")

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Zoo API reference</title>
  </head>
  <body>
    <div id="app"></div>
    <script src="/docs/scalar.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>`

// A separate file rather than an inline script, so the CSP needs no hash or nonce.
// Everything that would talk to Scalar's own services (fonts, telemetry, AI
// agent, MCP generator, deploy toolbar) is switched off: the page stays offline.
const init = `Scalar.createApiReference("#app", {
  url: "/openapi.json",
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  showToolbar: "never",
  showDeveloperTools: "never",
  operationTitleSource: "summary"
})`

const scalarBundle = () => new URL("browser/standalone.js", import.meta.resolve("@scalar/api-reference"))

export const DocsRoutes = Layer.unwrap(Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  // Read on first use, then kept: 4 MB that only a docs reader needs.
  const bundle = yield* Effect.cached(Effect.orDie(fs.readFile(scalarBundle().pathname)))
  const headers = { "content-security-policy": contentSecurityPolicy }
  return Layer.mergeAll(
    HttpRouter.add(
      "GET",
      "/docs",
      HttpServerResponse.text(page, { contentType: "text/html; charset=utf-8", headers })
    ),
    HttpRouter.add(
      "GET",
      "/docs/init.js",
      HttpServerResponse.text(init, { contentType: "text/javascript; charset=utf-8" })
    ),
    HttpRouter.add(
      "GET",
      "/docs/scalar.js",
      Effect.map(bundle, (body) =>
        HttpServerResponse.uint8Array(body, {
          contentType: "text/javascript; charset=utf-8",
          headers: { "cache-control": "public, max-age=86400" }
        }))
    )
  )
}))
