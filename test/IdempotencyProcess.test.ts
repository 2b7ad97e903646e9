/**
 * `Idempotency-Key` across processes: the service as it runs in production
 * (`node src/main.ts`), killed with SIGKILL around the commit of a keyed
 * write, and two replicas on one PostgreSQL sharing the keys.
 */
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterEach, assert, describe, it } from "vitest"
import { skipPostgres } from "./support/Databases.ts"
import { adminQuery, createSchema, dropSchema, holdLock, schemaUrl } from "./support/PostgresSchemas.ts"
import { testApiKey } from "./support/Credentials.ts"
import { request, type ServerProcess, startServer } from "./support/ServerProcess.ts"

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {})
})

const serve = async (env: Record<string, string>) => {
  const server = await startServer(env)
  cleanups.push(() => server.stop())
  return server
}

const freshSchema = async (label: string) => {
  const schema = await createSchema(label)
  cleanups.push(() => dropSchema(schema))
  return schema
}

const lion = (name: string) => JSON.stringify({ name, date_of_birth: "2020-01-01", species: "lion" })

const post = (url: string, key: string, body: string) =>
  request(`${url}/v2/animals`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": testApiKey, "idempotency-key": key },
    body,
    timeoutMs: 20_000
  })

const countNamed = async (url: string, name: string) =>
  Number((await request(`${url}/v2/animals?name=${encodeURIComponent(name)}`)).headers.get("x-total-count"))

/**
 * Sends a keyed POST over a bare socket and never reads the answer: the
 * client whose connection dropped. Resolves once `until` holds.
 */
const sendAndForget = async (url: string, key: string, body: string, until: () => Promise<boolean>) => {
  const { port } = new URL(url)
  const socket = Net.connect(Number(port), "127.0.0.1")
  cleanups.push(() => Promise.resolve(socket.destroy()))
  socket.on("error", () => {})
  socket.write(
    `POST /v2/animals HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-API-Key: ${testApiKey}\r\n` +
      `Idempotency-Key: ${key}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
  const deadline = Date.now() + 20_000
  while (!(await until())) {
    if (Date.now() > deadline) throw new Error("the write never reached the expected point")
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const slow = { timeout: 120_000 }

describe.skipIf(skipPostgres)("kill -9 on PostgreSQL", () => {
  it("after the commit, before the client read the answer: the retry on a new process is the replay, one row", async () => {
    const schema = await freshSchema("idem_kill_after")
    const env = { DATABASE_URL: schemaUrl(schema) }
    const first = await serve(env)
    const key = `kill-${globalThis.crypto.randomUUID()}`
    const name = `Kill After ${key.slice(5, 13)}`
    await sendAndForget(first.url, key, lion(name), async () => {
      const rows = await adminQuery<{ state: string }>(`SELECT state FROM "${schema}".idempotency_keys WHERE key = $1`, [key])
      return rows[0]?.state === "complete"
    })
    assert.isNull(await first.kill("SIGKILL"))

    const second = await serve(env)
    const retry = await post(second.url, key, lion(name))
    assert.strictEqual(retry.status, 201, retry.text)
    assert.strictEqual(retry.headers.get("idempotent-replayed"), "true")
    assert.strictEqual(retry.headers.get("location"), `/v2/animals/${retry.json().id}`)
    const stored = await request(`${second.url}/v2/animals/${retry.json().id}`)
    assert.deepStrictEqual(stored.json(), retry.json())
    assert.strictEqual(await countNamed(second.url, name), 1)
  }, slow.timeout)

  it("after the write, before the commit: neither the row nor the key survive; the retry runs once", async () => {
    const schema = await freshSchema("idem_kill_before")
    const env = { DATABASE_URL: schemaUrl(schema) }
    const first = await serve(env)
    // A first write makes the collection's change row, which every later insert updates in its transaction.
    const seed = await request(`${first.url}/v2/animals`, { method: "POST", headers: { "content-type": "application/json" }, body: lion("Seed Lion") })
    assert.strictEqual(seed.status, 201)
    const lock = await holdLock(`SELECT 1 FROM "${schema}".collection_changes WHERE collection = 'animals' FOR UPDATE`)
    cleanups.push(() => lock.release())
    const key = `kill-${globalThis.crypto.randomUUID()}`
    const name = `Kill Before ${key.slice(5, 13)}`
    // The keyed insert is in (its row written), waiting on the change row inside its transaction.
    await sendAndForget(first.url, key, lion(name), async () => {
      const waiting = await adminQuery<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO "animals"%'`
      )
      return (waiting[0]?.n ?? 0) > 0
    })
    assert.isNull(await first.kill("SIGKILL"))
    await lock.release()

    const second = await serve(env)
    assert.strictEqual(await countNamed(second.url, name), 0)
    const retry = await post(second.url, key, lion(name))
    assert.strictEqual(retry.status, 201, retry.text)
    assert.isNull(retry.headers.get("idempotent-replayed"))
    const again = await post(second.url, key, lion(name))
    assert.strictEqual(again.text, retry.text)
    assert.strictEqual(await countNamed(second.url, name), 1)
  }, slow.timeout)
})

describe("kill -9 on PGlite", () => {
  it("the outcome is durable with the write: after a restart the retry is the replay, one row", async () => {
    const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-api-idempotency-"))
    cleanups.push(() => Fs.promises.rm(root, { recursive: true, force: true }))
    const env = { DATA_DIR: Path.join(root, "data") }
    const first = await serve(env)
    const key = `kill-${globalThis.crypto.randomUUID()}`
    const name = `Kill Pglite ${key.slice(5, 13)}`
    const created = await post(first.url, key, lion(name))
    assert.strictEqual(created.status, 201, created.text)
    assert.isNull(await first.kill("SIGKILL"))

    const second = await serve(env)
    const retry = await post(second.url, key, lion(name))
    assert.strictEqual(retry.status, 201, retry.text)
    assert.strictEqual(retry.headers.get("idempotent-replayed"), "true")
    assert.strictEqual(retry.text, created.text)
    assert.strictEqual(retry.headers.get("location"), created.headers.get("location"))
    assert.strictEqual(await countNamed(second.url, name), 1)
  }, slow.timeout)
})

describe.skipIf(skipPostgres)("two replicas on one PostgreSQL", () => {
  it("the same key sent to both at once runs once; each replica then replays it", async () => {
    const schema = await freshSchema("idem_replicas")
    const env = { DATABASE_URL: schemaUrl(schema) }
    const replicas: ReadonlyArray<ServerProcess> = await Promise.all([serve(env), serve(env)])
    const [a, b] = replicas as [ServerProcess, ServerProcess]
    for (let round = 0; round < 8; round++) {
      const key = `replica-${globalThis.crypto.randomUUID()}`
      const name = `Replica ${round} ${key.slice(8, 16)}`
      const answers = await Promise.all([post(a.url, key, lion(name)), post(b.url, key, lion(name))])
      const ran = answers.filter((answer) => answer.status === 201 && answer.headers.get("idempotent-replayed") === null)
      assert.strictEqual(ran.length, 1, answers.map((answer) => `${answer.status} ${answer.text}`).join("\n"))
      for (const answer of answers) {
        if (answer.status === 201) assert.strictEqual(answer.text, ran[0]!.text)
        else assert.strictEqual(answer.json().type, "/problems/idempotency-key-in-flight")
      }
      for (const replica of replicas) {
        const retry = await post(replica.url, key, lion(name))
        assert.strictEqual(retry.text, ran[0]!.text)
        assert.strictEqual(retry.headers.get("idempotent-replayed"), "true")
      }
      assert.strictEqual(await countNamed(a.url, name), 1)
    }
  }, slow.timeout)
})
