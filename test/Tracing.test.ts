/**
 * OpenTelemetry traces from the real process: a collector the test runs on
 * 127.0.0.1 receives OTLP/HTTP (JSON) and decodes what arrives. Spans are
 * named after the endpoint (`GET /v1/animals/:id`) and the repository calls (`Effect.fn` names).
 */
import { createServer, type Server } from "node:http"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { freePort, postJson, request, type ServerProcess, startServer } from "./support/ServerProcess.ts"

interface ReceivedSpan {
  readonly name: string
  readonly traceId: string
}

describe("OTLP traces", () => {
  const spans: Array<ReceivedSpan> = []
  const services = new Set<string>()
  let collector: Server
  let server: ServerProcess | undefined
  let dataDir: string

  beforeAll(async () => {
    collector = createServer((req, res) => {
      let body = ""
      req.on("data", (chunk) => (body += chunk))
      req.on("end", () => {
        if (req.url === "/v1/traces") {
          const payload = JSON.parse(body) as {
            resourceSpans: Array<{
              resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }
              scopeSpans: Array<{ spans: Array<ReceivedSpan> }>
            }>
          }
          for (const resourceSpans of payload.resourceSpans) {
            const name = resourceSpans.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue
            if (name) services.add(name)
            for (const scope of resourceSpans.scopeSpans) spans.push(...scope.spans)
          }
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    const port = await freePort()
    await new Promise<void>((resolve) => collector.listen(port, "127.0.0.1", resolve))
    dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-tracing-"))
    server = await startServer({ DATA_DIR: dataDir, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_SERVICE_NAME: "zoo-api-test" })
  }, 60_000)

  afterAll(async () => {
    await server?.stop()
    collector?.close()
    Fs.rmSync(dataDir, { recursive: true, force: true })
  })

  it("exports spans for the request and its repository call, in one trace", async () => {
    assert.strictEqual((await postJson(`${server!.url}/v1/animals`, { name: "Traced Tiger", date_of_birth: "2019-01-01", species: "tiger" })).status, 201)
    assert.strictEqual((await request(`${server!.url}/v1/animals`)).status, 200)
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline && !spans.some((span) => span.name === "AnimalsRepository.list")) {
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const names = new Set(spans.map((span) => span.name))
    assert.include([...names], "AnimalsRepository.list", [...names].join(", "))
    assert.include([...names], "AnimalsRepository.create")
    // The server span of each request is named after its method and route pattern.
    assert.includeMembers([...names], ["GET /v1/animals", "POST /v1/animals"])
    // Startup is traced too: the migrations, statement by statement in one transaction.
    assert.includeMembers([...names], ["Migrator 1_create_animals", "sql.transaction"])
    assert.include([...services], "zoo-api-test")
    // The repository span belongs to the request's trace.
    const list = spans.find((span) => span.name === "AnimalsRepository.list")!
    assert.isTrue(spans.some((span) => span.name === "GET /v1/animals" && span.traceId === list.traceId))
  }, 30_000)
})
