/**
 * Where animals are kept. The service speaks the domain's language (ids,
 * bodies, domain problems) and nothing of HTTP; the layers decide the storage.
 */
import { Clock, Context, Effect, Layer } from "effect"
import { type Animal, AnimalAlreadyExists, type AnimalCreate, type AnimalId, AnimalNotFound, type AnimalPatch } from "./Animal.ts"
import { applyMergePatch } from "../Shared/MergePatch.ts"

export class AnimalsRepository extends Context.Service<AnimalsRepository, {
  /** Every animal, oldest first. */
  readonly list: () => Effect.Effect<ReadonlyArray<Animal>>
  readonly findById: (id: AnimalId) => Effect.Effect<Animal, AnimalNotFound>
  /** Stores a new animal; the id is generated unless the body carries one. */
  readonly create: (input: AnimalCreate) => Effect.Effect<Animal, AnimalAlreadyExists>
  /** Replaces every writable field of an existing animal. */
  readonly replace: (id: AnimalId, input: AnimalCreate) => Effect.Effect<Animal, AnimalNotFound>
  /** Applies a JSON Merge Patch to an existing animal. */
  readonly patch: (id: AnimalId, patch: AnimalPatch) => Effect.Effect<Animal, AnimalNotFound>
  readonly remove: (id: AnimalId) => Effect.Effect<void, AnimalNotFound>
}>()("zoo-api/Animals/AnimalsRepository") {
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
