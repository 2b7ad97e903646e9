/**
 * `npm run db:seed`: inserts demo animals into the configured database.
 * Idempotent: the demo rows have fixed ids, and an id that exists is skipped.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import type { AnimalCreate, AnimalId } from "../src/Animals/Animal.ts"
import { AnimalsRepository } from "../src/Animals/AnimalsRepository.ts"
import * as Database from "../src/Repo/Database.ts"

const demoAnimals: ReadonlyArray<AnimalCreate> = [
  { id: "5d0c6a3e-1b2f-4c3d-8e4f-5a6b7c8d9e01" as AnimalId, name: "Leo the Lion", date_of_birth: "2016-04-12", species: "lion", nickname: "Leo" },
  { id: "5d0c6a3e-1b2f-4c3d-8e4f-5a6b7c8d9e02" as AnimalId, name: "Shere Khan", date_of_birth: "2014-09-01", species: "tiger" },
  { id: "5d0c6a3e-1b2f-4c3d-8e4f-5a6b7c8d9e03" as AnimalId, name: "Dumbo Elephant", date_of_birth: "2010-01-30", species: "elephant", nickname: "Dumbo" },
  { id: "5d0c6a3e-1b2f-4c3d-8e4f-5a6b7c8d9e04" as AnimalId, name: "Curious George", date_of_birth: "2019-07-04", species: "monkey", nickname: "George" },
  { id: "5d0c6a3e-1b2f-4c3d-8e4f-5a6b7c8d9e05" as AnimalId, name: "Marty Zebra", date_of_birth: "2018-03-15", species: "zebra", nickname: "Marty" },
  { id: "5d0c6a3e-1b2f-4c3d-8e4f-5a6b7c8d9e06" as AnimalId, name: "Po the Panda", date_of_birth: "2020-11-11", species: "panda", nickname: "Po" }
]

const seed = Effect.gen(function*() {
  const animals = yield* AnimalsRepository
  let inserted = 0
  for (const animal of demoAnimals) {
    const created = yield* animals.create(animal).pipe(
      Effect.as(true),
      Effect.catchTag("AnimalAlreadyExists", () => Effect.succeed(false))
    )
    if (created) inserted++
  }
  yield* Effect.logInfo(`Seeded ${inserted} animals (${demoAnimals.length - inserted} already there)`)
})

seed.pipe(
  Effect.provide(AnimalsRepository.layer.pipe(Layer.provide(Database.layer))),
  NodeRuntime.runMain
)
