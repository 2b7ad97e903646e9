/**
 * What every `AnimalsRepository` must do, whatever stores the animals. Each
 * backend's test file runs this same suite against its own layer.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import type { AnimalCreate, AnimalId } from "../../src/Animals/Animal.ts"
import { AnimalsRepository } from "../../src/Animals/AnimalsRepository.ts"

const elephant: AnimalCreate = { name: "Ellie Elephant", date_of_birth: "2010-10-10", species: "elephant" }
const newId = () => globalThis.crypto.randomUUID() as AnimalId
const firstHundred = { limit: 100, sort: { field: "created_at", descending: false }, after: undefined, filters: {} }

export const animalsRepositoryContract = <E>(name: string, repositoryLayer: Layer.Layer<AnimalsRepository, E>) =>
  layer(repositoryLayer, { excludeTestServices: true })(`AnimalsRepository contract: ${name}`, (it) => {
    it.effect("create generates an id, sets version 1 and equal timestamps", () =>
      Effect.gen(function*() {
        const repository = yield* AnimalsRepository
        const animal = yield* repository.create(elephant)
        assert.match(animal.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
        assert.deepInclude(animal, { ...elephant, version: 1 })
        assert.strictEqual(animal.created_at, animal.updated_at)
        assert.isFalse(Number.isNaN(Date.parse(animal.created_at)))
        assert.deepStrictEqual(yield* repository.findById(animal.id), animal)
      }))

    it.effect("create keeps a client id and refuses it a second time", () =>
      Effect.gen(function*() {
        const repository = yield* AnimalsRepository
        const id = newId()
        const animal = yield* repository.create({ ...elephant, id })
        assert.strictEqual(animal.id, id)
        const error = yield* repository.create({ ...elephant, id, name: "Other Elephant" }).pipe(Effect.flip)
        assert.deepInclude(error, { _tag: "AnimalAlreadyExists", id })
        assert.strictEqual((yield* repository.findById(id)).name, elephant.name)
      }))

    it.effect("list returns what was created, ordered by creation time", () =>
      Effect.gen(function*() {
        const repository = yield* AnimalsRepository
        const first = yield* repository.create(elephant)
        const second = yield* repository.create({ ...elephant, name: "Second Elephant" })
        const ids = (yield* repository.list(firstHundred)).items.map((animal) => animal.id)
        // Rows created in the same millisecond are ordered by id instead.
        assert.isAtLeast(ids.indexOf(first.id), 0)
        if (first.created_at < second.created_at) assert.isBelow(ids.indexOf(first.id), ids.indexOf(second.id))
        else assert.isAtLeast(ids.indexOf(second.id), 0)
      }))

    it.effect("replace sets every field, removes left-out optional ones, bumps version", () =>
      Effect.gen(function*() {
        const repository = yield* AnimalsRepository
        const animal = yield* repository.create({ ...elephant, nickname: "Ellie" })
        const replaced = yield* repository.replace(animal.id, { name: "Tina Tiger", date_of_birth: "2012-12-12", species: "tiger" })
        assert.deepInclude(replaced, { id: animal.id, name: "Tina Tiger", species: "tiger", version: 2, created_at: animal.created_at })
        assert.isUndefined(replaced.nickname)
        assert.deepStrictEqual(yield* repository.findById(animal.id), replaced)
      }))

    it.effect("patch merges: absent keeps, value sets, null removes", () =>
      Effect.gen(function*() {
        const repository = yield* AnimalsRepository
        const animal = yield* repository.create({ ...elephant, nickname: "Ellie" })
        const renamed = yield* repository.patch(animal.id, { name: "Eleanor Elephant" })
        assert.deepInclude(renamed, { name: "Eleanor Elephant", nickname: "Ellie", version: 2 })
        const cleared = yield* repository.patch(animal.id, { nickname: null })
        assert.isUndefined(cleared.nickname)
        assert.strictEqual(cleared.version, 3)
      }))

    it.effect("remove deletes; the animal is then not found", () =>
      Effect.gen(function*() {
        const repository = yield* AnimalsRepository
        const animal = yield* repository.create(elephant)
        yield* repository.remove(animal.id)
        assert.strictEqual((yield* repository.findById(animal.id).pipe(Effect.flip))._tag, "AnimalNotFound")
        assert.isFalse((yield* repository.list(firstHundred)).items.some((a) => a.id === animal.id))
      }))

    describe("an unknown id is AnimalNotFound everywhere", () => {
      it.effect("findById, replace, patch, remove", () =>
        Effect.gen(function*() {
          const repository = yield* AnimalsRepository
          const id = newId()
          const errors = yield* Effect.all([
            repository.findById(id).pipe(Effect.flip),
            repository.replace(id, elephant).pipe(Effect.flip),
            repository.patch(id, { name: "Nobody Here" }).pipe(Effect.flip),
            repository.remove(id).pipe(Effect.flip)
          ])
          for (const error of errors) {
            assert.deepInclude(error, { _tag: "AnimalNotFound", id })
          }
        }))
    })

    it.effect("concurrent creates of one id: exactly one wins", () =>
      Effect.gen(function*() {
        const repository = yield* AnimalsRepository
        const id = newId()
        const results = yield* Effect.all(
          Array.from({ length: 20 }, () => Effect.result(repository.create({ ...elephant, id }))),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(results.filter((result) => result._tag === "Success").length, 1)
      }))
  })
