/**
 * `GET /docs`: the Scalar API reference, served offline. The Scalar bundle
 * comes from the `@scalar/api-reference` package and is served by us,
 * compressed as the client accepts (brotli or gzip, each made once, on first
 * use) and cached for a year under a versioned URL; the page loads nothing
 * from any other host (no CDN, no web fonts), which its
 * Content-Security-Policy enforces. Also `GET /` (where to go) and the
 * favicon.
 */
import { Context, Effect, FileSystem, Layer } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"

/**
 * Whether this process writes with the development key it printed at start
 * (no credentials configured, not in production): the docs page then says
 * where to find it. It never shows the key itself.
 */
export const DevelopmentKeyNotice = Context.Reference<boolean>("zoo-api/Http/Docs/DevelopmentKeyNotice", {
  defaultValue: () => false
})

/** The paths served here, for the route index (`Allow`, 405, access lines). */
export const docsPaths = ["/", "/favicon.ico", "/docs", "/docs/scalar.js", "/docs/init.js"] as const

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

const developmentKeyNote = `<p class="zoo-dev-key">Development mode: writes need the development API key that
  <code>npm start</code> printed in its log (<code>Development API key: zoo_dev_…</code>). Enter it under
  Authentication (<code>X-API-Key</code>) before sending a write.</p>`

const page = (scriptUrl: string, developmentKey: boolean) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Zoo API reference</title>
    <link rel="icon" href="/favicon.ico" type="image/svg+xml" />
    <style>.zoo-dev-key { margin: 0; padding: 8px 16px; font: 14px/1.4 system-ui, sans-serif; background: #fff4cc; color: #3d3000; }</style>
  </head>
  <body>
    ${developmentKey ? developmentKeyNote : ""}
    <div id="app"></div>
    <script src="${scriptUrl}"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>`

// A separate file rather than an inline script, so the CSP needs no hash or nonce.
// Everything that would talk to Scalar's own services (fonts, telemetry, AI
// agent, MCP generator, developer tools) is switched off: the page stays offline.
// Writes default to the API key scheme, the one the development key fills.
const init = `Scalar.createApiReference("#app", {
  url: "/openapi.json",
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: "never",
  operationTitleSource: "summary",
  favicon: "/favicon.ico",
  authentication: { preferredSecurityScheme: "apiKey" }
})`

/** A paw print, as an SVG (browsers take one at `/favicon.ico` when its type says so). */
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><g fill="#7a4b1e">` +
  `<ellipse cx="32" cy="42" rx="14" ry="12"/><ellipse cx="14" cy="26" rx="6" ry="8"/><ellipse cx="26" cy="14" rx="6" ry="8"/>` +
  `<ellipse cx="38" cy="14" rx="6" ry="8"/><ellipse cx="50" cy="26" rx="6" ry="8"/></g></svg>`

const scalarPackage = () => new URL("../package.json", import.meta.resolve("@scalar/api-reference"))
const scalarBundle = () => new URL("browser/standalone.js", import.meta.resolve("@scalar/api-reference"))

type Encoding = "br" | "gzip"

type Compressor = (data: Uint8Array) => Promise<Uint8Array>

/**
 * The compressors this runtime has. On Node, zlib's brotli at quality 4 (the
 * 4.3 MB bundle to 1.18 MB in ~0.4 s, against gzip's 1.26 MB; quality 11
 * takes half a minute) and gzip; elsewhere the Web `CompressionStream`'s
 * gzip. Looked up through `process.getBuiltinModule`, so this module imports
 * nothing from `node:*`.
 */
const compressors = (): ReadonlyMap<Encoding, Compressor> => {
  const zlib = globalThis.process?.getBuiltinModule?.("node:zlib")
  if (zlib !== undefined) {
    type Callback = (error: Error | null, result: Uint8Array) => void
    const run = (compress: (data: Uint8Array, callback: Callback) => void): Compressor => (data) =>
      new Promise((resolve, reject) => compress(data, (error, result) => (error === null ? resolve(result) : reject(error))))
    return new Map<Encoding, Compressor>([
      ["br", run((data, callback) => zlib.brotliCompress(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } }, callback))],
      ["gzip", run((data, callback) => zlib.gzip(data, callback))]
    ])
  }
  return new Map<Encoding, Compressor>([
    ["gzip", async (data) =>
      new Uint8Array(await new Response(new Response(new Uint8Array(data)).body!.pipeThrough(new CompressionStream("gzip"))).arrayBuffer())]
  ])
}

/** The encoding to answer with: brotli, else gzip, when `Accept-Encoding` allows it (RFC 9110 §12.5.3). */
export const preferredEncoding = (acceptEncoding: string | undefined, available: ReadonlySet<Encoding>): Encoding | undefined => {
  if (acceptEncoding === undefined) return undefined
  const accepted = new Set<string>()
  for (const part of acceptEncoding.split(",")) {
    const [coding, ...parameters] = part.split(";").map((piece) => piece.trim().toLowerCase())
    const quality = parameters.find((parameter) => parameter.startsWith("q="))
    if (coding !== undefined && (quality === undefined || Number(quality.slice(2)) > 0)) accepted.add(coding)
  }
  return (["br", "gzip"] as const).find((encoding) => available.has(encoding) && (accepted.has(encoding) || accepted.has("*")))
}

export const DocsRoutes = Layer.unwrap(Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const developmentKey = yield* DevelopmentKeyNotice
  // The bundle's URL carries Scalar's version, so it can be cached for a year: an upgrade changes the URL.
  // Read on first use, like the bundle: a Web handler without a file system serves the API all the same.
  const html = yield* Effect.cached(Effect.orDie(Effect.map(fs.readFileString(scalarPackage().pathname), (text) =>
    page(`/docs/scalar.js?v=${(JSON.parse(text) as { readonly version: string }).version}`, developmentKey))))
  // Read on first use, then kept: 4 MB that only a docs reader needs; each encoding made once, on first use.
  const bundle = yield* Effect.cached(Effect.orDie(fs.readFile(scalarBundle().pathname)))
  const available = compressors()
  const encoded = new Map<Encoding, Effect.Effect<Uint8Array>>()
  for (const [encoding, compress] of available) {
    encoded.set(encoding, yield* Effect.cached(Effect.flatMap(bundle, (body) => Effect.promise(() => compress(body)))))
  }
  const encodings = new Set(available.keys())
  const assetHeaders = { "cache-control": "public, max-age=31536000, immutable", vary: "accept-encoding" }
  const headers = { "content-security-policy": contentSecurityPolicy }
  return Layer.mergeAll(
    HttpRouter.add("GET", "/", HttpServerResponse.jsonUnsafe({
      name: "Zoo API",
      docs: "/docs",
      openapi: "/openapi.json"
    }, { headers: { link: "</docs>; rel=\"service-doc\", </openapi.json>; rel=\"service-desc\"" } })),
    HttpRouter.add(
      "GET",
      "/favicon.ico",
      HttpServerResponse.text(favicon, { contentType: "image/svg+xml", headers: { "cache-control": "public, max-age=86400" } })
    ),
    HttpRouter.add("GET", "/docs", Effect.map(html, (text) => HttpServerResponse.text(text, { contentType: "text/html; charset=utf-8", headers }))),
    HttpRouter.add(
      "GET",
      "/docs/init.js",
      HttpServerResponse.text(init, { contentType: "text/javascript; charset=utf-8", headers: { "cache-control": "no-cache" } })
    ),
    HttpRouter.add(
      "GET",
      "/docs/scalar.js",
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
        const encoding = preferredEncoding(request.headers["accept-encoding"], encodings)
        return Effect.map(encoding === undefined ? bundle : encoded.get(encoding)!, (body) =>
          HttpServerResponse.uint8Array(body, {
            contentType: "text/javascript; charset=utf-8",
            headers: encoding === undefined ? assetHeaders : { ...assetHeaders, "content-encoding": encoding }
          }))
      })
    )
  )
}))
