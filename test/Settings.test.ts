/**
 * Settings read from the environment (BODY_LIMIT, CORS_ORIGINS,
 * METRICS_TOKEN), in-process through `Config.load` and in the running
 * service; and how the real process starts: the port opens only once the
 * database is migrated, a port in use or a database down is one plain
 * message and exit code 1.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Option, Redacted } from "effect"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll } from "vitest"
import * as Config from "../src/Config.ts"
import { skipPostgres } from "./support/Databases.ts"
import { createSchema, dropSchema, holdLock, schemaUrl, waitForLockWaiter } from "./support/PostgresSchemas.ts"
import { connectOutcome, exitWithin, freePort, request, spawnServer, startServer, waitUntilHealthy } from "./support/ServerProcess.ts"

const load = (env: Record<string, string>) =>
  Config.load.pipe(Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })))

/** The problems `Config.load` reports for `env`. */
const problemsOf = (env: Record<string, string>) =>
  Effect.map(Effect.flip(load(env)), (error) => error.problems)

describe("settings from the environment", () => {
  it.effect("BODY_LIMIT: 1 MiB by default; a size with its unit, or a plain number of bytes", () =>
    Effect.gen(function*() {
      assert.strictEqual(Number((yield* load({})).bodyLimit), 1024 * 1024)
      for (
        const [text, bytes] of [["100", 100], [" 2048 ", 2048], ["512 KiB", 512 * 1024], ["2 MB", 2_000_000], ["1.5 kB", 1500]] as const
      ) {
        assert.strictEqual(Number((yield* load({ BODY_LIMIT: text })).bodyLimit), bytes, text)
      }
      for (const text of ["lots", "-1", "1.5", "0.1 KiB", "10 XB"]) {
        const problems = yield* problemsOf({ BODY_LIMIT: text })
        assert.lengthOf(problems, 1, `${JSON.stringify(text)}: ${problems.join("; ")}`)
        assert.match(problems[0]!, /^BODY_LIMIT/, JSON.stringify(text))
      }
    }))

  it.effect("CORS_ORIGINS: none by default; a comma-separated list of origins; a path or a trailing slash is refused", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual((yield* load({})).corsOrigins, [])
      assert.deepStrictEqual(
        (yield* load({ CORS_ORIGINS: "https://app.example, http://localhost:5173,," })).corsOrigins,
        ["https://app.example", "http://localhost:5173"]
      )
      for (const text of ["https://app.example/", "app.example", "https://app.example/path", "ftp://app.example"]) {
        const problems = yield* problemsOf({ CORS_ORIGINS: text })
        assert.lengthOf(problems, 1, `${text}: ${problems.join("; ")}`)
        assert.match(problems[0]!, /^CORS_ORIGINS/, text)
      }
    }))

  it.effect("METRICS_TOKEN: unset by default; kept redacted", () =>
    Effect.gen(function*() {
      assert.isTrue(Option.isNone((yield* load({})).metricsToken))
      const token = (yield* load({ METRICS_TOKEN: "scrape-me-7f3a" })).metricsToken
      assert.isTrue(Option.isSome(token))
      assert.strictEqual(Redacted.value(Option.getOrThrow(token)), "scrape-me-7f3a")
      assert.notInclude(JSON.stringify(Option.getOrThrow(token)), "scrape-me-7f3a")
    }))

  it.effect("every bad setting is reported at once", () =>
    Effect.gen(function*() {
      const problems = yield* problemsOf({ BODY_LIMIT: "lots", CORS_ORIGINS: "app.example" })
      assert.sameMembers(problems.map((problem) => problem.split(":")[0]), ["BODY_LIMIT", "CORS_ORIGINS"])
    }))
})

describe("the running service reads them", () => {
  const dataDirs: Array<string> = []
  afterAll(() => {
    for (const dir of dataDirs) Fs.rmSync(dir, { recursive: true, force: true })
  })

  it("BODY_LIMIT=100, CORS_ORIGINS and METRICS_TOKEN from the environment", async () => {
    const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-settings-"))
    dataDirs.push(dataDir)
    const server = await startServer({
      DATA_DIR: dataDir,
      BODY_LIMIT: "100",
      CORS_ORIGINS: "https://app.example",
      METRICS_TOKEN: "scrape-me-7f3a"
    })
    try {
      const post = (body: string) =>
        request(`${server.url}/v1/animals`, { method: "POST", headers: { "content-type": "application/json" }, body })
      const small = JSON.stringify({ name: "Tiny Lion", date_of_birth: "2020-01-01", species: "lion" })
      assert.isAtMost(small.length, 100)
      assert.strictEqual((await post(small)).status, 201)
      const large = await post(JSON.stringify({ name: "Lion ".repeat(20).trim(), date_of_birth: "2020-01-01", species: "lion" }))
      assert.strictEqual(large.status, 413, large.text)
      assert.strictEqual(large.json().limit, 100)

      const preflight = (origin: string) =>
        request(`${server.url}/v1/animals`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } })
      assert.strictEqual((await preflight("https://app.example")).headers.get("access-control-allow-origin"), "https://app.example")
      assert.isNull((await preflight("https://evil.example")).headers.get("access-control-allow-origin"))

      assert.strictEqual((await request(`${server.url}/metrics`)).status, 401)
      assert.strictEqual((await request(`${server.url}/metrics`, { headers: { authorization: "Bearer scrape-me-7f3a" } })).status, 200)
    } finally {
      await server.stop()
    }
    assert.notInclude(server.output(), "scrape-me-7f3a", "the token is never logged")
  }, 90_000)

  it("a port in use: exit 1 with one plain message naming the port", async () => {
    const blocker = Net.createServer()
    const port = await freePort()
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve))
    const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-settings-"))
    dataDirs.push(dataDir)
    try {
      const server = spawnServer({ DATA_DIR: dataDir }, port)
      const code = await exitWithin(server, 60_000)
      assert.strictEqual(code, 1, server.output())
      assert.match(server.output(), new RegExp(`${port}|port`, "i"))
      assert.notInclude(server.output(), "    at ", "no stack trace")
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  }, 90_000)
})

describe.skipIf(skipPostgres)("the running service and its database (PostgreSQL)", () => {
  it("a database down at start: exit 1 with one plain message naming the database", async () => {
    // A port nobody listens on: connections are refused at once.
    const url = new URL(process.env.TEST_DATABASE_URL!)
    url.port = String(await freePort())
    const server = spawnServer({ DATABASE_URL: url.toString(), DATABASE_CONNECT_TIMEOUT: "2 seconds" }, await freePort())
    const code = await exitWithin(server, 90_000)
    assert.strictEqual(code, 1, server.output())
    assert.match(server.output(), /database|PostgreSQL/i)
    assert.notInclude(server.output(), "    at ", "no stack trace")
  }, 120_000)

  it("the port opens only once the migrations are done", async () => {
    const schema = await createSchema("port_after_migrations")
    try {
      // A first start creates the migrations table; the lock on it then holds the second start's migrations.
      const first = await startServer({ DATABASE_URL: schemaUrl(schema) })
      assert.strictEqual(await first.stop(), 0, first.output())
      const lock = await holdLock(`LOCK TABLE "${schema}".effect_sql_migrations IN ACCESS EXCLUSIVE MODE`)
      const port = await freePort()
      const server = spawnServer({ DATABASE_URL: schemaUrl(schema) }, port)
      try {
        // Wait until the service asks for the lock (its migrator is at work), then the port must still be closed.
        await waitForLockWaiter(`"${schema}".effect_sql_migrations`)
        assert.isFalse(await accepts(port), "the port is closed while migrations wait")
        assert.isFalse(server.hasExited(), server.output())
      } finally {
        await lock.release()
      }
      await waitUntilHealthy(server, 60_000)
      assert.isTrue(await accepts(port))
      await server.stop()
    } finally {
      await dropSchema(schema)
    }
  }, 120_000)
})

/** Whether something accepts a TCP connection on 127.0.0.1:`port`. */
const accepts = async (port: number) => (await connectOutcome(port)) === "accepted"
