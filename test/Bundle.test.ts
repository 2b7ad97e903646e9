/**
 * The production build (`npm run build`): the bundle serves the API, the
 * docs page and its assets, on PostgreSQL and on the embedded database (a
 * chunk of its own, loaded only then).
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { build } from "rolldown"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import config from "../rolldown.config.ts"
import { skipPostgres } from "./support/Databases.ts"
import { createSchema, dropSchema, schemaUrl } from "./support/PostgresSchemas.ts"
import { postJson, request, startServer } from "./support/ServerProcess.ts"

const projectDir = Path.resolve(import.meta.dirname, "..")
// Inside the project, so the bundle's external packages resolve from its node_modules.
const outDir = Path.join(projectDir, "node_modules", ".cache", `zoo-bundle-${process.pid}`)
const main = Path.join(outDir, "main.js")

const lion = { name: "Bundled Lion", date_of_birth: "2020-01-01", species: "lion" }

beforeAll(async () => {
  await build({ ...config, output: { ...config.output, dir: outDir, sourcemap: false } })
}, 60_000)

afterAll(() => Fs.rmSync(outDir, { recursive: true, force: true }))

describe("the bundle", () => {
  it("serves the API, the docs page and its script on the embedded database", async () => {
    const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-bundle-"))
    const server = await startServer({ DATA_DIR: dataDir }, { main, timeoutMs: 60_000 })
    try {
      const created = await postJson(`${server.url}/v2/animals`, lion)
      assert.strictEqual(created.status, 201, created.text)
      const read = await request(`${server.url}/v2/animals/${created.json().id}`)
      assert.deepStrictEqual(read.json(), created.json())
      const docs = await request(`${server.url}/docs`)
      assert.strictEqual(docs.status, 200)
      assert.include(docs.text, "/docs/scalar.js")
      const script = await request(`${server.url}/docs/scalar.js`)
      assert.strictEqual(script.status, 200)
      assert.isAbove(script.text.length, 100_000)
    } finally {
      await server.stop()
      Fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }, 90_000)

  it.skipIf(skipPostgres)("serves PostgreSQL", async () => {
    const schema = await createSchema("bundle")
    const server = await startServer({ DATABASE_URL: schemaUrl(schema), LOG_LEVEL: "Debug" }, { main })
    try {
      const created = await postJson(`${server.url}/v1/animals`, lion)
      assert.strictEqual(created.status, 201, created.text)
      const list = await request(`${server.url}/v1/animals`)
      assert.deepStrictEqual(list.json(), [created.json()])
    } finally {
      await server.stop()
      await dropSchema(schema)
    }
  }, 60_000)
})
