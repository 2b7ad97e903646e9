/**
 * The rules between and within collections that every backend must keep
 * alike: unique fields (409), references to nothing (422), a habitat still
 * housing animals (409), and who cares for which animal (idempotent links
 * that go with either end). Each backend's test file runs this suite against
 * its own layer. The generic behaviour of a collection (CRUD, pages, filters,
 * preconditions) is `ResourceContract.ts`'s.
 */
import { assert, describe, layer } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import type { AnimalCreate } from "../../src/Animals/Animal.ts"
import { AnimalsRepository } from "../../src/Animals/AnimalsRepository.ts"
import type { HabitatCreate } from "../../src/Habitats/Habitat.ts"
import { HabitatsRepository } from "../../src/Habitats/HabitatsRepository.ts"
import type { ListRequest } from "../../src/Repo/Repository.ts"
import type { ZookeeperCreate } from "../../src/Zookeepers/Zookeeper.ts"
import { AnimalCare, ZookeepersRepository } from "../../src/Zookeepers/ZookeepersRepository.ts"

export type DomainRepositories = AnimalsRepository | HabitatsRepository | ZookeepersRepository | AnimalCare

const newId = () => globalThis.crypto.randomUUID()
/** Unique per call: the suite shares one database per file. */
const unique = (prefix: string) => `${prefix} ${newId().slice(0, 8)}`

const habitat = (overrides: Partial<HabitatCreate> = {}): HabitatCreate => ({
  name: unique("Savanna"),
  climate: "arid",
  capacity: 10,
  ...overrides
})
const zookeeper = (overrides: Partial<ZookeeperCreate> = {}): ZookeeperCreate => ({
  name: "Sam Keeper",
  email: `${newId().slice(0, 8)}@zoo.example`,
  hired_on: "2020-02-02",
  ...overrides
})
const animal = (overrides: Partial<AnimalCreate> = {}): AnimalCreate => ({
  name: "Ellie Elephant",
  date_of_birth: "2010-10-10",
  species: "elephant",
  ...overrides
})

const listing = (filters: Readonly<Record<string, unknown>>): ListRequest => ({
  limit: 100,
  sort: { field: "created_at", descending: false },
  after: undefined,
  filters
})

/** The ids of the animals a filter selects (the suite's rows are the only ones it names). */
const animalIds = (filters: Readonly<Record<string, unknown>>) =>
  Effect.flatMap(AnimalsRepository, (animals) => animals.list(listing(filters))).pipe(
    Effect.map((page) => page.items.map((item) => item.id))
  )

export const domainRulesContract = <E>(name: string, repositories: Layer.Layer<DomainRepositories, E>) =>
  layer(repositories, { excludeTestServices: true })(`Domain rules: ${name}`, (it) => {
    describe("habitats", () => {
      it.effect("a taken name is HabitatNameTaken on create, replace and patch, and changes nothing", () =>
        Effect.gen(function*() {
          const habitats = yield* HabitatsRepository
          const savanna = yield* habitats.create(habitat())
          const jungle = yield* habitats.create(habitat({ name: unique("Jungle"), climate: "tropical" }))
          const errors = yield* Effect.all([
            habitats.create(habitat({ name: savanna.name })).pipe(Effect.flip),
            habitats.replace(jungle.id, habitat({ name: savanna.name })).pipe(Effect.flip),
            habitats.patch(jungle.id, { name: savanna.name }).pipe(Effect.flip)
          ])
          for (const error of errors) {
            assert.deepInclude(error, { _tag: "HabitatNameTaken", field: "name", value: savanna.name, status: 409 })
          }
          assert.deepStrictEqual(yield* habitats.findById(jungle.id), jungle)
        }))

      it.effect("a taken id is HabitatAlreadyExists, even with a taken name too", () =>
        Effect.gen(function*() {
          const habitats = yield* HabitatsRepository
          const savanna = yield* habitats.create(habitat())
          const error = yield* habitats.create(habitat({ id: savanna.id })).pipe(Effect.flip)
          assert.deepInclude(error, { _tag: "HabitatAlreadyExists", id: savanna.id })
        }))

      it.effect("a habitat keeps its own name through a replacement", () =>
        Effect.gen(function*() {
          const habitats = yield* HabitatsRepository
          const savanna = yield* habitats.create(habitat())
          const replaced = yield* habitats.replace(savanna.id, habitat({ name: savanna.name, capacity: 20 }))
          assert.deepInclude(replaced, { name: savanna.name, capacity: 20, version: 2 })
        }))

      it.effect("a habitat with animals is HabitatOccupied on delete; once they moved out it can go", () =>
        Effect.gen(function*() {
          const habitats = yield* HabitatsRepository
          const animals = yield* AnimalsRepository
          const savanna = yield* habitats.create(habitat())
          const ellie = yield* animals.create(animal({ habitat_id: savanna.id }))
          const error = yield* habitats.remove(savanna.id).pipe(Effect.flip)
          assert.deepInclude(error, { _tag: "HabitatOccupied", id: savanna.id, status: 409 })
          assert.deepStrictEqual(yield* habitats.findById(savanna.id), savanna)

          yield* animals.patch(ellie.id, { habitat_id: null })
          yield* habitats.remove(savanna.id)
          assert.strictEqual((yield* habitats.findById(savanna.id).pipe(Effect.flip))._tag, "HabitatNotFound")
        }))

      it.effect("a stale If-Match on an occupied habitat is a 412, as for any delete", () =>
        Effect.gen(function*() {
          const habitats = yield* HabitatsRepository
          const savanna = yield* habitats.create(habitat())
          yield* (yield* AnimalsRepository).create(animal({ habitat_id: savanna.id }))
          const error = yield* habitats.remove(savanna.id, [savanna.version + 1]).pipe(Effect.flip)
          assert.strictEqual(error._tag, "PreconditionFailed")
        }))
    })

    describe("zookeepers", () => {
      it.effect("a taken email, in any letter case, is ZookeeperEmailTaken on create, replace and patch", () =>
        Effect.gen(function*() {
          const zookeepers = yield* ZookeepersRepository
          const sam = yield* zookeepers.create(zookeeper())
          const kim = yield* zookeepers.create(zookeeper({ name: "Kim Keeper" }))
          const shouted = sam.email.toUpperCase()
          const errors = yield* Effect.all([
            zookeepers.create(zookeeper({ email: shouted })).pipe(Effect.flip),
            zookeepers.replace(kim.id, zookeeper({ email: shouted })).pipe(Effect.flip),
            zookeepers.patch(kim.id, { email: shouted }).pipe(Effect.flip)
          ])
          for (const error of errors) {
            assert.deepInclude(error, { _tag: "ZookeeperEmailTaken", field: "email", value: shouted, status: 409 })
          }
          assert.deepStrictEqual(yield* zookeepers.findById(kim.id), kim)
        }))

      it.effect("an email is kept as written, and its owner may change its letter case", () =>
        Effect.gen(function*() {
          const zookeepers = yield* ZookeepersRepository
          const email = `Sam.${newId().slice(0, 8)}@Zoo.Example`
          const sam = yield* zookeepers.create(zookeeper({ email }))
          assert.strictEqual(sam.email, email)
          const patched = yield* zookeepers.patch(sam.id, { email: email.toLowerCase() })
          assert.strictEqual(patched.email, email.toLowerCase())
        }))
    })

    describe("an animal's habitat", () => {
      it.effect("an unknown habitat_id is UnknownHabitat (422) on create, replace and patch, and changes nothing", () =>
        Effect.gen(function*() {
          const animals = yield* AnimalsRepository
          const ellie = yield* animals.create(animal())
          const nowhere = newId() as AnimalCreate["habitat_id"] & string
          const id = newId() as AnimalCreate["id"] & string
          const errors = yield* Effect.all([
            animals.create(animal({ id, habitat_id: nowhere })).pipe(Effect.flip),
            animals.replace(ellie.id, animal({ habitat_id: nowhere })).pipe(Effect.flip),
            animals.patch(ellie.id, { habitat_id: nowhere }).pipe(Effect.flip)
          ])
          for (const error of errors) {
            assert.deepInclude(error, { _tag: "UnknownHabitat", id: nowhere, status: 422 })
          }
          assert.deepStrictEqual(yield* animals.findById(ellie.id), ellie)
          assert.strictEqual((yield* animals.findById(id).pipe(Effect.flip))._tag, "AnimalNotFound")
        }))

      it.effect("habitat_id is kept, selects with the habitat_id filter, and goes with a null patch", () =>
        Effect.gen(function*() {
          const animals = yield* AnimalsRepository
          const savanna = yield* (yield* HabitatsRepository).create(habitat())
          const ellie = yield* animals.create(animal({ habitat_id: savanna.id }))
          const stray = yield* animals.create(animal())
          assert.strictEqual(ellie.habitat_id, savanna.id)
          assert.isUndefined(stray.habitat_id)
          assert.deepStrictEqual(yield* animalIds({ habitat_id: savanna.id }), [ellie.id])

          const moved = yield* animals.patch(ellie.id, { habitat_id: null })
          assert.notProperty(moved, "habitat_id")
          assert.deepStrictEqual(yield* animalIds({ habitat_id: savanna.id }), [])
        }))
    })

    describe("who cares for which animal", () => {
      it.effect("link and unlink are idempotent; zookeeper_id selects the animals in one's care", () =>
        Effect.gen(function*() {
          const care = yield* AnimalCare
          const animals = yield* AnimalsRepository
          const sam = yield* (yield* ZookeepersRepository).create(zookeeper())
          const [ellie, leo] = yield* Effect.all([animals.create(animal()), animals.create(animal({ name: "Leo the Lion", species: "lion" }))])
          yield* care.link(sam.id, ellie.id)
          yield* care.link(sam.id, ellie.id)
          yield* care.link(sam.id, leo.id)
          assert.sameMembers(yield* animalIds({ zookeeper_id: sam.id }), [ellie.id, leo.id])
          assert.strictEqual((yield* animals.list(listing({ zookeeper_id: sam.id }))).total, 2)

          yield* care.unlink(sam.id, ellie.id)
          yield* care.unlink(sam.id, ellie.id)
          assert.deepStrictEqual(yield* animalIds({ zookeeper_id: sam.id }), [leo.id])
        }))

      it.effect("an animal may have several zookeepers; the filters combine", () =>
        Effect.gen(function*() {
          const care = yield* AnimalCare
          const zookeepers = yield* ZookeepersRepository
          const savanna = yield* (yield* HabitatsRepository).create(habitat())
          const [sam, kim] = yield* Effect.all([zookeepers.create(zookeeper()), zookeepers.create(zookeeper())])
          const animals = yield* AnimalsRepository
          const ellie = yield* animals.create(animal({ habitat_id: savanna.id }))
          const leo = yield* animals.create(animal({ name: "Leo the Lion", species: "lion" }))
          yield* Effect.all([care.link(sam.id, ellie.id), care.link(kim.id, ellie.id), care.link(kim.id, leo.id)])
          assert.deepStrictEqual(yield* animalIds({ zookeeper_id: sam.id }), [ellie.id])
          assert.sameMembers(yield* animalIds({ zookeeper_id: kim.id }), [ellie.id, leo.id])
          assert.deepStrictEqual(yield* animalIds({ zookeeper_id: kim.id, habitat_id: savanna.id }), [ellie.id])
          assert.deepStrictEqual(yield* animalIds({ zookeeper_id: kim.id, species: ["lion"] }), [leo.id])
        }))

      it.effect("an unknown zookeeper is ZookeeperNotFound, else an unknown animal AnimalNotFound", () =>
        Effect.gen(function*() {
          const care = yield* AnimalCare
          const sam = yield* (yield* ZookeepersRepository).create(zookeeper())
          const ellie = yield* (yield* AnimalsRepository).create(animal())
          const [nobody, nothing] = [newId(), newId()]
          for (const operation of [care.link, care.unlink]) {
            assert.deepInclude(yield* operation(nobody, ellie.id).pipe(Effect.flip), { _tag: "ZookeeperNotFound", id: nobody })
            assert.deepInclude(yield* operation(sam.id, nothing).pipe(Effect.flip), { _tag: "AnimalNotFound", id: nothing })
            assert.deepInclude(yield* operation(nobody, nothing).pipe(Effect.flip), { _tag: "ZookeeperNotFound", id: nobody })
          }
        }))

      it.effect("concurrent links of one pair all succeed, and make one link", () =>
        Effect.gen(function*() {
          const care = yield* AnimalCare
          const sam = yield* (yield* ZookeepersRepository).create(zookeeper())
          const ellie = yield* (yield* AnimalsRepository).create(animal())
          yield* Effect.all(Array.from({ length: 10 }, () => care.link(sam.id, ellie.id)), { concurrency: "unbounded" })
          assert.deepStrictEqual(yield* animalIds({ zookeeper_id: sam.id }), [ellie.id])
        }))

      it.effect("a link goes with either end: a new row with the same id starts with none", () =>
        Effect.gen(function*() {
          const care = yield* AnimalCare
          const zookeepers = yield* ZookeepersRepository
          const animals = yield* AnimalsRepository
          const sam = yield* zookeepers.create(zookeeper())
          const ellie = yield* animals.create(animal())
          yield* care.link(sam.id, ellie.id)
          yield* animals.remove(ellie.id)
          yield* animals.create(animal({ id: ellie.id }))
          assert.deepStrictEqual(yield* animalIds({ zookeeper_id: sam.id }), [])

          yield* care.link(sam.id, ellie.id)
          yield* zookeepers.remove(sam.id)
          yield* zookeepers.create(zookeeper({ id: sam.id }))
          assert.deepStrictEqual(yield* animalIds({ zookeeper_id: sam.id }), [])
        }))

      it.effect("the Last-Modified of one's animals moves when a link is made or removed", () =>
        Effect.gen(function*() {
          const care = yield* AnimalCare
          const animals = yield* AnimalsRepository
          const sam = yield* (yield* ZookeepersRepository).create(zookeeper())
          const ellie = yield* animals.create(animal())
          yield* Effect.sleep("5 millis")
          const before = new Date().toISOString()
          yield* care.link(sam.id, ellie.id)
          const linked = (yield* animals.list(listing({ zookeeper_id: sam.id }))).lastModified
          assert.isAtLeast(Date.parse(linked!), Date.parse(before))

          yield* Effect.sleep("5 millis")
          const beforeUnlink = new Date().toISOString()
          yield* care.unlink(sam.id, ellie.id)
          const unlinked = (yield* animals.list(listing({ zookeeper_id: sam.id }))).lastModified
          assert.isAtLeast(Date.parse(unlinked!), Date.parse(beforeUnlink))
        }))
    })
  })
