/**
 * A list's total comes from `collection_counts` (no filter, or one `in` /
 * `eq` filter) and must equal what counting the rows says, after any mix of
 * concurrent creates, moves between species and habitats, replacements and
 * deletes, on both databases.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import type { AnimalCreate, Species } from "../../src/Animals/Animal.ts"
import { AnimalsRepository } from "../../src/Animals/AnimalsRepository.ts"
import { HabitatsRepository } from "../../src/Habitats/HabitatsRepository.ts"
import { SqlRepositories } from "../../src/Repositories.ts"
import type { ListRequest } from "../../src/Repo/Repository.ts"
import { pgliteLayer, postgresLayer, skipPostgres } from "../support/Databases.ts"

const listing = (filters: Readonly<Record<string, unknown>>): ListRequest => ({
  limit: 1,
  sort: { field: "created_at", descending: false },
  after: undefined,
  filters
})

const species: ReadonlyArray<Species> = ["lion", "tiger", "zebra"]

const countsSuite = (name: string, database: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  layer(Layer.mergeAll(SqlRepositories, database).pipe(Layer.provideMerge(database)), { excludeTestServices: true })(
    `collection counts: ${name}`,
    (it) => {
      it.effect("totals equal the rows counted after concurrent creates, moves, replacements and deletes", () =>
        Effect.gen(function*() {
          const animals = yield* AnimalsRepository
          const habitats = yield* HabitatsRepository
          const sql = yield* SqlClient.SqlClient
          const [north, south] = yield* Effect.all([
            habitats.create({ name: "North Counts", climate: "polar", capacity: 100 }),
            habitats.create({ name: "South Counts", climate: "arid", capacity: 100 })
          ])
          const body = (i: number): AnimalCreate => ({
            name: `Counted ${i}`,
            date_of_birth: "2015-05-05",
            species: species[i % 3]!,
            ...(i % 4 === 0 ? {} : { habitat_id: i % 2 === 0 ? north.id : south.id })
          })
          const created = yield* Effect.all(Array.from({ length: 24 }, (_, i) => animals.create(body(i))), { concurrency: 8 })
          yield* Effect.all(
            created.map((animal, i) =>
              i % 5 === 0
                ? animals.remove(animal.id)
                : i % 5 === 1
                ? animals.patch(animal.id, { species: "zebra", habitat_id: north.id })
                : i % 5 === 2
                ? animals.patch(animal.id, { habitat_id: null })
                : i % 5 === 3
                ? animals.replace(animal.id, { ...body(i + 1), habitat_id: south.id })
                : animals.patch(animal.id, { species: animal.species })
            ),
            { concurrency: 8 }
          )
          yield* habitats.remove((yield* habitats.create({ name: "Gone Counts", climate: "arid", capacity: 1 })).id)

          const counted = (where: string, params: ReadonlyArray<unknown> = []) =>
            sql.unsafe<{ readonly n: number }>(`SELECT count(*)::int AS n FROM animals ${where}`, params).pipe(
              Effect.map((rows) => rows[0]!.n)
            )
          const total = (filters: Readonly<Record<string, unknown>>) => Effect.map(animals.list(listing(filters)), (page) => page.total)

          assert.strictEqual(yield* total({}), yield* counted(""))
          assert.strictEqual(yield* total({}), 24 - 5)
          for (const one of species) {
            assert.strictEqual(yield* total({ species: [one] }), yield* counted("WHERE species = $1", [one]), one)
          }
          assert.strictEqual(yield* total({ species: ["lion", "zebra", "lion"] }), yield* counted("WHERE species IN ('lion', 'zebra')"))
          assert.strictEqual(yield* total({ species: ["panda"] }), 0)
          for (const habitat of [north, south]) {
            assert.strictEqual(yield* total({ habitat_id: habitat.id }), yield* counted("WHERE habitat_id = $1", [habitat.id]))
          }
          // Two filters together are counted from the rows.
          assert.strictEqual(
            yield* total({ species: ["zebra"], habitat_id: north.id }),
            yield* counted("WHERE species = 'zebra' AND habitat_id = $1", [north.id])
          )
          const habitatTotal = yield* Effect.map(habitats.list(listing({})), (page) => page.total)
          assert.strictEqual(habitatTotal, 2)
          assert.strictEqual(yield* Effect.map(habitats.list(listing({ climate: ["polar"] })), (page) => page.total), 1)
        }))
    }
  )

describe("PGlite", () => {
  countsSuite("PGlite", pgliteLayer())
})

describe.skipIf(skipPostgres)("PostgreSQL (TEST_DATABASE_URL)", () => {
  countsSuite("PostgreSQL", postgresLayer("collection_counts"))
})
