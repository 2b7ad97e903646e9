/**
 * The service (a child process) loses its PostgreSQL and gets it back, through
 * a TCP proxy the test controls: while the database is gone or too slow,
 * requests that need it answer 503 problems promptly (never hang, never 500),
 * and once it is back the same process serves again, without a restart.
 *
 * The shared PostgreSQL server is never touched: only the proxy is cut.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { skipPostgres, testDatabaseUrl } from "./support/Databases.ts"
import { createSchema, dropSchema, holdLock, schemaUrl } from "./support/PostgresSchemas.ts"
import { postJson, request, type ServerProcess, startServer } from "./support/ServerProcess.ts"
import { type CutMode, startTcpProxy, type TcpProxy } from "./support/TcpProxy.ts"

const lion = { name: "Test Lion", date_of_birth: "2020-01-01", species: "lion" }
const problemJson = "application/problem+json"

/** Measurements, printed with TEST_TIMINGS=1. */
const report = (line: string) => {
  if (process.env.TEST_TIMINGS) console.error(`[Outage] ${line}`)
}

/** The service's settings under test. */
const connectTimeout = "1 second"
const statementTimeout = "2 seconds"
/** A request that takes longer than this counts as a hang. */
const hangMs = 20_000
/** How fast a lost database must become a 503: the connect timeout (1 s) plus slack for a busy machine. */
const maxTimeTo503Ms = 6_000
/**
 * How fast a database that stops answering on live connections must become a
 * 503. No server-side timeout can fire then, so this takes a client-side
 * deadline of a few seconds; `@effect/sql-pg` may take up to 5 s more to give
 * up on the interrupted query, unless the deadline stops waiting for it.
 */
const maxFrozenTo503Ms = 12_000
/** How long the service may take to serve again once the database is back. */
const maxRecoveryMs = 15_000

type Response = Awaited<ReturnType<typeof request>>

/** A request and how long it took; a hang (no answer within {@link hangMs}) fails with a clear message. */
const timed = async (what: string, send: () => Promise<Response>): Promise<[Response, number]> => {
  const started = performance.now()
  try {
    const response = await send()
    return [response, performance.now() - started]
  } catch (error) {
    throw new Error(`${what}: no answer after ${(performance.now() - started).toFixed(0)} ms (${String(error)})`)
  }
}

describe.skipIf(skipPostgres)("PostgreSQL outage (TEST_DATABASE_URL through a TCP proxy)", () => {
  let schema: string | undefined
  let proxy: TcpProxy | undefined
  let server: ServerProcess | undefined
  let url: string
  let storedId: string

  beforeAll(async () => {
    const target = new URL(testDatabaseUrl!)
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
    schema = await createSchema("outage")
    server = await startServer({
      DATABASE_URL: schemaUrl(schema, { port: proxy.port }),
      DATABASE_CONNECT_TIMEOUT: connectTimeout,
      DATABASE_STATEMENT_TIMEOUT: statementTimeout
    })
    url = server.url
    report(`service started in ${server.startupMs.toFixed(0)} ms`)
    const created = await postJson(`${url}/v1/animals`, lion)
    expect(created.status, created.text).toBe(201)
    storedId = created.json().id
  })

  // A failed test must not leave the database cut for the next one.
  afterEach(() => proxy?.restore())

  afterAll(async () => {
    // Each step runs even if an earlier one failed.
    await Promise.allSettled([server?.stop()])
    await Promise.allSettled([proxy?.close()])
    if (schema !== undefined) await dropSchema(schema)
  })

  const get = (path: string) => timed(`GET ${path}`, () => request(`${url}${path}`, { timeoutMs: hangMs }))
  const post = (body: unknown) => timed("POST /v1/animals", () => postJson(`${url}/v1/animals`, body, hangMs))

  const expectServing = async () => {
    const [list] = await get("/v1/animals")
    expect(list.status, list.text).toBe(200)
    expect(list.json().map((animal: { id: string }) => animal.id)).toContain(storedId)
    const [ready] = await get("/readyz")
    expect(ready.status, ready.text).toBe(200)
    expect(ready.json()).toEqual({ status: "ready" })
  }

  const expectDatabaseUnavailable = ([response, ms]: [Response, number], maxMs: number) => {
    expect(response.status, response.text).toBe(503)
    expect(response.headers.get("content-type")).toBe(problemJson)
    expect(response.json()).toMatchObject({ status: 503, type: "/problems/database-unavailable" })
    expect(ms).toBeLessThan(maxMs)
    return ms
  }

  /** Restores the proxy, then polls (bounded) until the list and readiness answer 200; returns how long that took. */
  const restoreAndRecover = async () => {
    const accepted = proxy!.accepted()
    await proxy!.restore()
    const since = performance.now()
    let last = ""
    for (;;) {
      const [[list], [ready]] = await Promise.all([get("/v1/animals"), get("/readyz")])
      if (list.status === 200 && ready.status === 200) break
      // Anything but 503 while recovering is a bug, not a state to wait out.
      expect([list.status, ready.status].filter((status) => status !== 200 && status !== 503), list.text).toEqual([])
      last = `${list.status} ${list.text} / ${ready.status} ${ready.text}`
      if (performance.now() - since > maxRecoveryMs) {
        throw new Error(`not serving ${maxRecoveryMs} ms after the database came back; last: ${last}\n${server!.output()}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const recoveryMs = performance.now() - since
    // The same process, with new connections to the database.
    expect(server!.hasExited()).toBe(false)
    expect(proxy!.accepted()).toBeGreaterThan(accepted)
    await expectServing()
    return recoveryMs
  }

  it("serves normally through the proxy", async () => {
    await expectServing()
  })

  for (const mode of ["refuse", "hang"] satisfies Array<CutMode>) {
    const how = mode === "refuse" ? "refused" : "accepted but never answered"
    it(`database cut (connections dropped, new ones ${how}): 503 problems, then serving again`, async () => {
      await proxy!.cut(mode)
      const listMs = expectDatabaseUnavailable(await get("/v1/animals"), maxTimeTo503Ms)
      const readyMs = expectDatabaseUnavailable(await get("/readyz"), maxTimeTo503Ms)
      const createMs = expectDatabaseUnavailable(await post(lion), maxTimeTo503Ms)
      // Liveness does not depend on the database.
      expect((await get("/healthz"))[0].status).toBe(200)
      report(`${mode}: 503 after GET /v1/animals ${listMs.toFixed(0)} ms, /readyz ${readyMs.toFixed(0)} ms, POST ${createMs.toFixed(0)} ms`)

      const recoveryMs = await restoreAndRecover()
      report(`${mode}: serving again ${recoveryMs.toFixed(0)} ms after the restore`)
    })
  }

  it("database frozen (live connections stop answering, as in a network partition): 503 problems, not a hang", { timeout: 90_000 }, async () => {
    // Several pooled connections, so the list's statements all find a live (soon frozen) one.
    await Promise.all(Array.from({ length: 5 }, () => get("/v1/animals")))
    await proxy!.cut("freeze")
    const listMs = expectDatabaseUnavailable(await get("/v1/animals"), maxFrozenTo503Ms)
    const readyMs = expectDatabaseUnavailable(await get("/readyz"), maxFrozenTo503Ms)
    report(`freeze: 503 after GET /v1/animals ${listMs.toFixed(0)} ms, /readyz ${readyMs.toFixed(0)} ms`)

    const recoveryMs = await restoreAndRecover()
    report(`freeze: serving again ${recoveryMs.toFixed(0)} ms after the restore`)
  })

  it(`a statement that outlives DATABASE_STATEMENT_TIMEOUT (${statementTimeout}) is a 503, and the next one succeeds`, async () => {
    const lock = await holdLock(`LOCK TABLE "${schema}".animals IN ACCESS EXCLUSIVE MODE`)
    let listMs: number
    try {
      listMs = expectDatabaseUnavailable(await get("/v1/animals"), maxTimeTo503Ms)
    } finally {
      await lock.release()
    }
    expect(listMs).toBeGreaterThan(1_500) // it did wait for the timeout
    report(`statement timeout: 503 after ${listMs.toFixed(0)} ms`)
    await expectServing()
  })
})
