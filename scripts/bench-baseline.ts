/**
 * The raw `node:http` baseline of `npm run bench`: the same answers as the
 * service for the benchmarked requests (same JSON shapes, ETags, problem
 * bodies), with nothing else — no validation, no middleware, no logging.
 * `node scripts/bench-baseline.ts PORT`.
 */
import { createServer } from "node:http"

const port = Number(process.argv[2] ?? 3100)
const animals = new Map<string, Record<string, unknown>>()
const now = () => new Date().toISOString()
const problemJson = "application/problem+json"

const create = (body: Record<string, unknown>) => {
  const timestamp = now()
  const animal = { id: globalThis.crypto.randomUUID(), ...body, created_at: timestamp, updated_at: timestamp, version: 1 }
  animals.set(animal.id, animal)
  return animal
}

const valid = (body: any) =>
  typeof body?.name === "string" && [...body.name].length >= 5 && typeof body.date_of_birth === "string" &&
  /^\d{4}-\d{2}-\d{2}$/.test(body.date_of_birth) && ["lion", "tiger", "elephant", "monkey", "zebra", "panda"].includes(body.species)

createServer((request, response) => {
  const url = new URL(request.url!, "http://localhost")
  const match = /^\/v1\/animals\/([0-9a-f-]{36})$/.exec(url.pathname)
  if (match && (request.method === "GET" || request.method === "HEAD")) {
    const animal = animals.get(match[1]!)
    if (!animal) return response.writeHead(404, { "content-type": problemJson }).end(JSON.stringify({ type: "/problems/animal-not-found", status: 404 }))
    const etag = `"${animal.version as number}"`
    if (request.headers["if-none-match"] === etag) return response.writeHead(304, { etag }).end()
    const body = JSON.stringify(animal)
    // HEAD announces the length GET would send, as the service does (and so keeps the connection).
    const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(body), etag }
    return response.writeHead(200, headers).end(request.method === "HEAD" ? undefined : body)
  }
  if (url.pathname === "/v1/animals" && request.method === "GET") {
    const limit = Math.min(Number(url.searchParams.get("limit") ?? 20), 100)
    const page = [...animals.values()].slice(0, limit)
    return response.writeHead(200, { "content-type": "application/json", "x-total-count": String(animals.size) }).end(JSON.stringify(page))
  }
  if (url.pathname === "/v1/animals" && request.method === "POST") {
    let text = ""
    request.on("data", (chunk) => (text += chunk))
    request.on("end", () => {
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        body = undefined
      }
      if (!valid(body)) {
        return response.writeHead(400, { "content-type": problemJson }).end(JSON.stringify({ type: "about:blank", status: 400, title: "Bad Request" }))
      }
      const animal = create(body as Record<string, unknown>)
      response.writeHead(201, { "content-type": "application/json", location: `/v1/animals/${animal.id}`, etag: "\"1\"" }).end(JSON.stringify(animal))
    })
    return
  }
  response.writeHead(404).end()
}).listen(port, "127.0.0.1", () => console.info(`listening ${port}`))
