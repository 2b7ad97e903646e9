/**
 * `npm run db:migrate` and `npm run db:seed` against a real database: each
 * exits 0, and a second run changes nothing (the migrations are applied once,
 * the demo rows are not inserted twice).
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { skipPostgres } from "./support/Databases.ts"
import { adminQuery, createSchema, dropSchema, schemaUrl } from "./support/PostgresSchemas.ts"
import { runToExit } from "./support/ServerProcess.ts"

/** Runs `scripts/<name>.ts` with exactly these service settings, to its end. */
const runScript = (name: string, env: Record<string, string>) => runToExit(`scripts/${name}.ts`, env)

describe("db:migrate on PGlite (DATA_DIR)", () => {
  const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "zoo-scripts-"))
  afterAll(() => Fs.rmSync(dataDir, { recursive: true, force: true }))

  it("applies the migrations, and a second run exits 0 as well", async () => {
    for (const run of ["first", "second"]) {
      const { code, output } = await runScript("migrate", { DATA_DIR: dataDir })
      assert.strictEqual(code, 0, `${run} run: ${output}`)
      assert.include(output, "Migrations applied", `${run} run`)
    }
  }, 150_000)
})

describe.skipIf(skipPostgres)("db:migrate and db:seed on PostgreSQL", () => {
  let schema: string
  beforeAll(async () => {
    schema = await createSchema("scripts")
  })
  afterAll(async () => {
    if (schema) await dropSchema(schema)
  })

  const migrations = async () =>
    (await adminQuery<{ migration_id: number }>(`SELECT migration_id FROM "${schema}".effect_sql_migrations ORDER BY migration_id`))
      .map((row) => Number(row.migration_id))

  /** Rows in every table the seed writes to. */
  const counts = async () => {
    const result: Record<string, number> = {}
    for (const table of ["animals", "habitats", "zookeepers", "zookeeper_animals"]) {
      const [row] = await adminQuery<{ count: string }>(`SELECT count(*) AS count FROM "${schema}".${table}`)
      result[table] = Number(row!.count)
    }
    return result
  }

  it("db:migrate twice: exit 0 both times, each migration recorded once", async () => {
    const first = await runScript("migrate", { DATABASE_URL: schemaUrl(schema) })
    assert.strictEqual(first.code, 0, first.output)
    const applied = await migrations()
    assert.isAbove(applied.length, 0)
    assert.deepStrictEqual(applied, [...new Set(applied)])
    const second = await runScript("migrate", { DATABASE_URL: schemaUrl(schema) })
    assert.strictEqual(second.code, 0, second.output)
    assert.deepStrictEqual(await migrations(), applied)
  }, 150_000)

  it("db:seed twice: exit 0 both times; the second run adds no rows", async () => {
    const first = await runScript("seed", { DATABASE_URL: schemaUrl(schema) })
    assert.strictEqual(first.code, 0, first.output)
    const seeded = await counts()
    assert.isAbove(seeded.animals!, 0, JSON.stringify(seeded))
    const second = await runScript("seed", { DATABASE_URL: schemaUrl(schema) })
    assert.strictEqual(second.code, 0, second.output)
    assert.deepStrictEqual(await counts(), seeded)
  }, 150_000)
})
