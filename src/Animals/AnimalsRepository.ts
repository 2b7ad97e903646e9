/**
 * Where animals are kept. The service speaks the domain's language (ids,
 * bodies, domain problems) and nothing of HTTP; the layers decide the storage.
 */
import { Clock, Context, Effect, Layer, Schema } from "effect"
import { SqlClient } from "effect/sql"
import type { DatabaseUnavailable } from "../Errors.ts"
import { mapSqlError, selectList, withoutNulls } from "../Repo/SqlResource.ts"
import { applyMergePatch } from "../Shared/MergePatch.ts"
import { Animal, AnimalAlreadyExists, type AnimalCreate, type AnimalId, AnimalNotFound, type AnimalPatch } from "./Animal.ts"

export class AnimalsRepository extends Context.Service<AnimalsRepository, {
  /** Every animal, oldest first. */
  readonly list: () => Effect.Effect<ReadonlyArray<Animal>, DatabaseUnavailable>
  readonly findById: (id: AnimalId) => Effect.Effect<Animal, AnimalNotFound | DatabaseUnavailable>
  /** Stores a new animal; the id is generated unless the body carries one. */
  readonly create: (input: AnimalCreate) => Effect.Effect<Animal, AnimalAlreadyExists | DatabaseUnavailable>
  /** Replaces every writable field of an existing animal. */
  readonly replace: (id: AnimalId, input: AnimalCreate) => Effect.Effect<Animal, AnimalNotFound | DatabaseUnavailable>
  /** Applies a JSON Merge Patch to an existing animal. */
  readonly patch: (id: AnimalId, patch: AnimalPatch) => Effect.Effect<Animal, AnimalNotFound | DatabaseUnavailable>
  readonly remove: (id: AnimalId) => Effect.Effect<void, AnimalNotFound | DatabaseUnavailable>
}>()("zoo-api/Animals/AnimalsRepository") {
  /**
   * PostgreSQL or PGlite through `SqlClient`: one SQL code path for both. The
   * database decides conflicts (primary key) and keeps versions (a trigger).
   */
  static readonly layer = Layer.effect(
    AnimalsRepository,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const columns = sql.literal(selectList({ columns: ["id", "name", "species", "nickname"], dates: ["date_of_birth"] }))
      const decodeAnimal = Schema.decodeUnknownEffect(Animal)
      const decodeRows = (rows: ReadonlyArray<Record<string, unknown>>) =>
        Effect.forEach(rows, (row) => decodeAnimal(withoutNulls(row)))
      /** The single row a write returned, or the animal was not there. */
      const single = (id: AnimalId) => (rows: ReadonlyArray<Animal>) =>
        rows.length === 0 ? Effect.fail(AnimalNotFound.of(id)) : Effect.succeed(rows[0]!)
      /** Every writable column, optional ones as NULL when absent: a full replacement. */
      const writable = (input: AnimalCreate) => ({
        name: input.name,
        date_of_birth: input.date_of_birth,
        species: input.species,
        nickname: input.nickname ?? null
      })

      const findById = Effect.fn("AnimalsRepository.findById")(function*(id: AnimalId) {
        const rows = yield* sql`SELECT ${columns} FROM animals WHERE id = ${id}`.pipe(
          Effect.flatMap(decodeRows),
          mapSqlError()
        )
        return yield* single(id)(rows)
      })

      return AnimalsRepository.of({
        list: Effect.fn("AnimalsRepository.list")(function*() {
          return yield* sql`SELECT ${columns} FROM animals ORDER BY created_at, id`.pipe(
            Effect.flatMap(decodeRows),
            mapSqlError()
          )
        }),
        findById,
        create: Effect.fn("AnimalsRepository.create")(function*(input: AnimalCreate) {
          // Ids are made here, not by the database: PostgreSQL 15 has no uuidv7().
          const id = input.id ?? (globalThis.crypto.randomUUID() as AnimalId)
          const rows = yield* sql`INSERT INTO animals ${sql.insert({ id, ...writable(input) })} RETURNING ${columns}`.pipe(
            Effect.flatMap(decodeRows),
            // The primary key decides, atomically: no read-then-write race.
            mapSqlError(() => AnimalAlreadyExists.of(id))
          )
          return rows[0]!
        }),
        replace: Effect.fn("AnimalsRepository.replace")(function*(id: AnimalId, input: AnimalCreate) {
          const rows = yield* sql`UPDATE animals SET ${sql.update(writable(input))} WHERE id = ${id} RETURNING ${columns}`.pipe(
            Effect.flatMap(decodeRows),
            mapSqlError()
          )
          return yield* single(id)(rows)
        }),
        patch: Effect.fn("AnimalsRepository.patch")(function*(id: AnimalId, patch: AnimalPatch) {
          // A merge patch is exactly an UPDATE of the keys present; null clears. One statement, no lost update.
          if (Object.keys(patch).length === 0) return yield* findById(id)
          const rows = yield* sql`UPDATE animals SET ${sql.update(patch)} WHERE id = ${id} RETURNING ${columns}`.pipe(
            Effect.flatMap(decodeRows),
            mapSqlError()
          )
          return yield* single(id)(rows)
        }),
        remove: Effect.fn("AnimalsRepository.remove")(function*(id: AnimalId) {
          const rows = yield* sql`DELETE FROM animals WHERE id = ${id} RETURNING id`.pipe(mapSqlError())
          if (rows.length === 0) return yield* AnimalNotFound.of(id)
        })
      })
    })
  )

  /** Keeps animals in a `Map`, for unit tests and for running without a database. */
  static readonly layerMemory = Layer.sync(AnimalsRepository, () => {
    const animals = new Map<string, Animal>()
    const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

    const findById = Effect.fn("AnimalsRepository.findById")(function*(id: AnimalId) {
      const animal = animals.get(id)
      if (animal === undefined) return yield* AnimalNotFound.of(id)
      return animal
    })

    const write = (current: Animal, fields: Omit<AnimalCreate, "id">) =>
      Effect.map(now, (updated_at) => {
        const next: Animal = {
          ...fields,
          id: current.id,
          created_at: current.created_at,
          updated_at,
          version: current.version + 1
        }
        animals.set(next.id, next)
        return next
      })

    return AnimalsRepository.of({
      list: () => Effect.sync(() => Array.from(animals.values())),
      findById,
      create: Effect.fn("AnimalsRepository.create")(function*(input: AnimalCreate) {
        const id = input.id ?? (globalThis.crypto.randomUUID() as AnimalId)
        if (animals.has(id)) return yield* AnimalAlreadyExists.of(id)
        const timestamp = yield* now
        const animal: Animal = { ...input, id, created_at: timestamp, updated_at: timestamp, version: 1 }
        animals.set(id, animal)
        return animal
      }),
      replace: Effect.fn("AnimalsRepository.replace")(function*(id: AnimalId, input: AnimalCreate) {
        const { id: _ignored, ...fields } = input
        return yield* write(yield* findById(id), fields)
      }),
      patch: Effect.fn("AnimalsRepository.patch")(function*(id: AnimalId, patch: AnimalPatch) {
        const current = yield* findById(id)
        const { id: _id, created_at: _c, updated_at: _u, version: _v, ...fields } = current
        return yield* write(current, applyMergePatch(fields, patch))
      }),
      remove: Effect.fn("AnimalsRepository.remove")(function*(id: AnimalId) {
        if (!animals.delete(id)) return yield* AnimalNotFound.of(id)
      })
    })
  })
}
