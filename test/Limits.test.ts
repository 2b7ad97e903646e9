/**
 * The request body limit (SPEC §6, `BODY_LIMIT`, 1 MiB by default): a larger
 * body is a 413 problem, answered without waiting for the rest of the body,
 * on a connection the server then closes; the server does not hold the body
 * in memory, and the next request is served as usual.
 *
 * The client here is a raw TCP socket, so a test controls exactly what is
 * sent and when: a declared length, a chunked body, a client that stalls.
 */
import { assert, layer } from "@effect/vitest"
import { ByteSize, Effect } from "effect"
import { OpenApi } from "effect/http-api"
import * as Fs from "node:fs"
import * as Net from "node:net"
import { afterAll, beforeAll, describe, it } from "vitest"
import { Api } from "../src/Api.ts"
import { MemoryRepositories } from "../src/Repositories.ts"
import { request as processRequest, type ServerProcess, startServer } from "./support/ServerProcess.ts"
import { baseUrl, request, TestServer, testApiKey } from "./support/TestServer.ts"

const MiB = 1024 * 1024
const lion = JSON.stringify({ name: "Test Lion", date_of_birth: "2020-01-01", species: "lion" })

interface Exchange {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** Milliseconds from the connection to the whole response. */
  readonly answeredMs: number
  /** Milliseconds from the connection to the server closing it; `undefined` if it stayed open. */
  readonly closedMs: number | undefined
  /** Body bytes the client managed to send. */
  readonly sent: number
  /**
   * Body bytes sent when the response arrived. After a 413 Node still drains the request until the
   * socket's close takes effect, which on a loaded machine can be the rest of the body: that is not a read.
   */
  readonly sentBeforeAnswer: number
}

/**
 * Sends `head`, then the body `chunks` as fast as the socket takes them;
 * after the last one the client stalls (keeps the connection open, sends no
 * more). Resolves once the response has arrived and the connection was
 * closed, or `waitForCloseMs` passed.
 */
const exchange = (
  url: string,
  head: string,
  chunks: Iterable<Uint8Array>,
  options: { readonly waitForCloseMs?: number } = {}
) =>
  new Promise<Exchange>((resolve, reject) => {
    const { hostname, port } = new URL(url)
    const started = performance.now()
    const socket = Net.connect({ host: hostname, port: Number(port) })
    // Generous: a loaded machine answers late, but a server that waits for a stalled body never does.
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer within 20 s (${received.length} bytes received)`))
    }, 20_000)
    let received = Buffer.alloc(0)
    let response: Omit<Exchange, "closedMs" | "sent"> | undefined
    let closedMs: number | undefined
    let sent = 0
    const finish = () => {
      clearTimeout(timer)
      socket.destroy()
      if (response === undefined) reject(new Error(`connection closed before a response (${received.toString("latin1").slice(0, 200)})`))
      else resolve({ ...response, closedMs, sent })
    }
    const iterator = chunks[Symbol.iterator]()
    const pump = () => {
      for (let next = iterator.next(); !next.done && response === undefined; next = iterator.next()) {
        sent += next.value.length
        if (!socket.write(next.value)) return void socket.once("drain", pump)
      }
    }
    socket.on("error", () => {}) // EPIPE / ECONNRESET once the server closed: expected
    socket.once("connect", () => {
      socket.write(head)
      pump()
    })
    socket.on("data", (data) => {
      received = Buffer.concat([received, data])
      const end = received.indexOf("\r\n\r\n")
      if (response !== undefined || end < 0) return
      const [statusLine, ...lines] = received.subarray(0, end).toString("latin1").split("\r\n")
      const headers = Object.fromEntries(lines.map((line) => {
        const colon = line.indexOf(":")
        return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
      }))
      const length = Number(headers["content-length"] ?? 0)
      if (received.length < end + 4 + length) return
      response = {
        status: Number(statusLine!.split(" ")[1]),
        headers,
        body: received.subarray(end + 4, end + 4 + length).toString("utf8"),
        answeredMs: performance.now() - started,
        sentBeforeAnswer: sent
      }
      setTimeout(finish, options.waitForCloseMs ?? 2_000)
    })
    socket.once("close", () => {
      closedMs = performance.now() - started
      if (response !== undefined) finish()
    })
  })

/** `total` bytes in `size`-byte pieces (of the same buffer: the client holds one piece, not the body). */
function* pieces(total: number, size = 64 * 1024): Generator<Uint8Array> {
  const piece = new Uint8Array(size).fill(0x20)
  for (let left = total; left > 0; left -= size) yield left >= size ? piece : piece.subarray(0, left)
}

/** The same bytes as chunked transfer coding, with the final `0` chunk when `complete`. */
function* chunked(total: number, complete: boolean): Generator<Uint8Array> {
  for (const piece of pieces(total)) {
    yield Buffer.from(`${piece.length.toString(16)}\r\n`)
    yield piece
    yield Buffer.from("\r\n")
  }
  if (complete) yield Buffer.from("0\r\n\r\n")
}

const postHead = (path: string, headers: Record<string, string | number>) =>
  [`POST ${path} HTTP/1.1`, "host: 127.0.0.1", "content-type: application/json", `x-api-key: ${testApiKey}`]
    .concat(Object.entries(headers).map(([name, value]) => `${name}: ${value}`))
    .join("\r\n") + "\r\n\r\n"

const assertContentTooLarge = (response: Exchange, limit: number) => {
  assert.strictEqual(response.status, 413)
  assert.strictEqual(response.headers["content-type"], "application/problem+json")
  assert.strictEqual(response.headers.connection, "close")
  assert.strictEqual(response.headers["cache-control"], "no-store")
  assert.isDefined(response.headers["x-request-id"])
  assert.deepInclude(JSON.parse(response.body), {
    type: "/problems/content-too-large",
    title: "Content Too Large",
    status: 413,
    limit,
    instance: "/v1/animals",
    request_id: response.headers["x-request-id"]
  })
}

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("BODY_LIMIT (default 1 MiB)", (it) => {
  it.effect("a declared Content-Length over the limit: 413 at once, before the body, and the connection is closed", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      // 20 MiB announced, 64 KiB sent, then the client stalls: only a server that does not wait for the body answers.
      const response = yield* Effect.promise(() =>
        exchange(url, postHead("/v1/animals", { "content-length": 20 * MiB }), pieces(64 * 1024))
      )
      // The client stalls after 64 KiB: the answer itself shows the server did not wait for the body (no clock read).
      assertContentTooLarge(response, MiB)
      assert.strictEqual(response.sent, 64 * 1024)
      assert.isDefined(response.closedMs, "the server keeps the connection open")
      console.error(`413 for a declared 20 MiB body: answered in ${response.answeredMs.toFixed(1)} ms, connection closed after ${response.closedMs.toFixed(0)} ms`)
    }))

  it.effect("a chunked body is read up to the limit only: 413 while the client still sends, and the connection is closed", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      // 2 MiB of an unending chunked body, then the client stalls.
      const response = yield* Effect.promise(() =>
        exchange(url, postHead("/v1/animals", { "transfer-encoding": "chunked" }), chunked(2 * MiB, false))
      )
      // The body never ends: only a server that stops reading at the limit answers at all.
      assertContentTooLarge(response, MiB)
      assert.isDefined(response.closedMs, "the server keeps the connection open")
      console.error(`413 for a chunked body: answered in ${response.answeredMs.toFixed(1)} ms, connection closed after ${response.closedMs.toFixed(0)} ms`)
    }))

  it.effect("a body of exactly the limit is read (and judged on its content); one byte more is a 413", () =>
    Effect.gen(function*() {
      const padded = (size: number) => lion.slice(0, -1) + " ".repeat(size - lion.length) + "}"
      const atLimit = yield* request("/v1/animals", { method: "POST", headers: { "content-type": "application/json" }, body: padded(MiB) })
      assert.strictEqual(atLimit.status, 201)
      const over = yield* request("/v1/animals", { method: "POST", headers: { "content-type": "application/json" }, body: padded(MiB + 1) })
      assert.strictEqual(over.status, 413)
      assert.strictEqual(over.json().type, "/problems/content-too-large")
    }))

  it.effect("after a 413 the server serves the next request as usual", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      yield* Effect.promise(() => exchange(url, postHead("/v1/animals", { "content-length": 20 * MiB }), pieces(MiB)))
      yield* Effect.promise(() => exchange(url, postHead("/v1/animals", { "transfer-encoding": "chunked" }), chunked(2 * MiB, true)))
      const created = yield* request("/v1/animals", { method: "POST", headers: { "content-type": "application/json" }, body: lion })
      assert.strictEqual(created.status, 201)
    }))

  it.effect("a 413 reaches even a path with no body endpoint, and an unknown path", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      for (const path of ["/v1/animals/00000000-0000-4000-8000-000000000000", "/nowhere"]) {
        const head = postHead(path, { "content-length": 2 * MiB })
        const response = yield* Effect.promise(() => exchange(url, head, pieces(0)))
        assert.strictEqual(response.status, 413, path)
      }
    }))
})

layer(TestServer(MemoryRepositories, { bodyLimit: ByteSize.kibibytes(1) }), { excludeTestServices: true })("BODY_LIMIT=1KiB", (it) => {
  it.effect("the limit is the configured one, declared or chunked", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      const declared = yield* Effect.promise(() => exchange(url, postHead("/v1/animals", { "content-length": 1025 }), pieces(1025)))
      assertContentTooLarge(declared, 1024)
      const streamed = yield* Effect.promise(() => exchange(url, postHead("/v1/animals", { "transfer-encoding": "chunked" }), chunked(4096, true)))
      assertContentTooLarge(streamed, 1024)
      assert.strictEqual((yield* request("/v1/animals", { method: "POST", headers: { "content-type": "application/json" }, body: lion })).status, 201)
    }))
})

describe("BODY_LIMIT in the OpenAPI document", () => {
  it("every operation that takes a body documents 413; the others do not", () => {
    const spec = OpenApi.fromApi(Api) as any
    const tooLarge = spec.components.responses.ContentTooLarge
    assert.strictEqual(tooLarge.content["application/problem+json"].schema.$ref, "#/components/schemas/ContentTooLargeEncoded")
    assert.deepInclude(tooLarge.content["application/problem+json"].example, { status: 413, limit: MiB })
    assert.strictEqual(spec.components.schemas.ContentTooLargeEncoded.properties.limit.type, "integer")
    const withBody: Array<string> = []
    for (const [path, methods] of Object.entries<Record<string, any>>(spec.paths)) {
      for (const [method, operation] of Object.entries<any>(methods)) {
        const name = `${method.toUpperCase()} ${path}`
        if (operation.requestBody === undefined) assert.isUndefined(operation.responses["413"], name)
        else {
          withBody.push(name)
          assert.deepStrictEqual(operation.responses["413"], { $ref: "#/components/responses/ContentTooLarge" }, name)
        }
      }
    }
    assert.includeMembers(withBody, ["POST /v1/animals", "PUT /v1/animals/{id}", "PATCH /v1/animals/{id}"])
  })
})

// ---------------------------------------------------------------------------
// Memory of the real process
// ---------------------------------------------------------------------------

/** Resident set size of a process, from `/proc` (Linux). */
const residentBytes = (pid: number) => {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(Fs.readFileSync(`/proc/${pid}/status`, "utf8"))
  return Number(match![1]) * 1024
}

describe.skipIf(process.platform !== "linux")("BODY_LIMIT in the running service", () => {
  let server: ServerProcess

  beforeAll(async () => {
    // In-memory storage: the body limit does not depend on it, and PGlite's WebAssembly (compiled again in the
    // background as it warms up) moves the RSS by tens of MiB.
    server = await startServer({ STORAGE: "memory" })
  }, 60_000)

  afterAll(async () => {
    await server?.stop()
  })

  it("20 MiB bodies, declared and chunked: 413 each, and the process does not grow by their size", async () => {
    // Warm up the paths with one round of the same bodies (JIT, socket buffers, V8's young generation), then measure.
    await exchange(server.url, postHead("/v1/animals", { "content-length": 20 * MiB }), pieces(20 * MiB))
    await exchange(server.url, postHead("/v1/animals", { "transfer-encoding": "chunked" }), chunked(20 * MiB, true))
    const before = residentBytes(server.pid)
    const rounds: Array<string> = []
    for (let i = 0; i < 3; i++) {
      const declared = await exchange(server.url, postHead("/v1/animals", { "content-length": 20 * MiB }), pieces(20 * MiB))
      const streamed = await exchange(server.url, postHead("/v1/animals", { "transfer-encoding": "chunked" }), chunked(20 * MiB, true))
      assert.strictEqual(declared.status, 413)
      assert.strictEqual(streamed.status, 413)
      // Not bounded here: how much the client manages to send before the answer. The server decides at the limit (the
      // stalled-client tests above show it answers without the rest), then effect's platform drains what follows, so the
      // client gets the 413 rather than a reset, until the connection closes after the answer: 3.8–9.3 MiB on a quiet
      // machine, all 20 MiB when the answer is late on a loaded one.
      rounds.push(`declared: ${declared.answeredMs.toFixed(1)} ms (${(declared.sentBeforeAnswer / MiB).toFixed(1)} MiB sent), chunked: ${streamed.answeredMs.toFixed(1)} ms (${(streamed.sentBeforeAnswer / MiB).toFixed(1)} MiB sent)`)
    }
    const after = residentBytes(server.pid)
    const grownMiB = (after - before) / MiB
    console.error(`RSS ${(before / MiB).toFixed(1)} MiB → ${(after / MiB).toFixed(1)} MiB (${grownMiB >= 0 ? "+" : ""}${grownMiB.toFixed(1)} MiB) over 6 refused 20 MiB bodies; ${rounds.join("; ")}`)
    // Measured: +9 to +19 MiB (heap and allocator growth while Node drains the refused rest; the same with a 1 MiB
    // young generation). Keeping the bodies is +120 MiB; waiting for each whole body before refusing it is caught by the
    // stalled-client tests above.
    assert.isBelow(grownMiB, 40, "the process grew by a third of the six bodies")

    const next = await processRequest(`${server.url}/v1/animals`)
    assert.strictEqual(next.status, 200)
  }, 60_000)
})
