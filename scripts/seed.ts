/**
 * `npm run db:seed`: inserts demo habitats, animals and zookeepers into the
 * configured database, and puts some animals in the zookeepers' care.
 * Idempotent: the demo rows have fixed ids, an id that exists is skipped, and
 * a care assignment made twice is made once.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import type { AnimalCreate, AnimalId } from "../src/Animals/Animal.ts"
import { AnimalsRepository } from "../src/Animals/AnimalsRepository.ts"
import type { HabitatCreate, HabitatId } from "../src/Habitats/Habitat.ts"
import { HabitatsRepository } from "../src/Habitats/HabitatsRepository.ts"
import { SqlRepositories } from "../src/Http/App.ts"
import * as Config from "../src/Config.ts"
import * as Database from "../src/Repo/Database.ts"
import type { ZookeeperCreate, ZookeeperId } from "../src/Zookeepers/Zookeeper.ts"
import { AnimalCare, ZookeepersRepository } from "../src/Zookeepers/ZookeepersRepository.ts"

const savanna = "2c7e9a10-4b3d-4e5f-9a6b-7c8d9e0f1a01" as HabitatId
const bambooForest = "2c7e9a10-4b3d-4e5f-9a6b-7c8d9e0f1a02" as HabitatId
const rainforest = "2c7e9a10-4b3d-4e5f-9a6b-7c8d9e0f1a03" as HabitatId

const demoHabitats: ReadonlyArray<HabitatCreate> = [
  { id: savanna, name: "Savanna", climate: "arid", capacity: 12 },
  { id: bambooForest, name: "Bamboo Forest", climate: "temperate", capacity: 4 },
  { id: rainforest, name: "Rainforest", climate: "tropical", capacity: 20 }
]

const demoAnimals: ReadonlyArray<AnimalCreate> = [
  { id: "5d0c6a3e-1b2f-4c3d-8e4f-5a6b7c8d9e01" as AnimalId, name: "Leo the Lion", date_of_birth: "2016-04-12", species: "lion", nickname: "Leo", habitat_id: savanna },
  { id: "5d0c6a3e-1b2f-4c3d-8e4f-5a6b7c8d9e02" as AnimalId, name: "Shere Khan", date_of_birth: "2014-09-01", species: "tiger", habitat_id: rainforest },
  { id: "5d0c6a3e-1b2f-4c3d-8e4f-5a6b7c8d9e03" as AnimalId, name: "Dumbo Elephant", date_of_birth: "2010-01-30", species: "elephant", nickname: "Dumbo", habitat_id: savanna },
  { id: "5d0c6a3e-1b2f-4c3d-8e4f-5a6b7c8d9e04" as AnimalId, name: "Curious George", date_of_birth: "2019-07-04", species: "monkey", nickname: "George", habitat_id: rainforest },
  { id: "5d0c6a3e-1b2f-4c3d-8e4f-5a6b7c8d9e05" as AnimalId, name: "Marty Zebra", date_of_birth: "2018-03-15", species: "zebra", nickname: "Marty", habitat_id: savanna },
  { id: "5d0c6a3e-1b2f-4c3d-8e4f-5a6b7c8d9e06" as AnimalId, name: "Po the Panda", date_of_birth: "2020-11-11", species: "panda", nickname: "Po", habitat_id: bambooForest }
]

const demoZookeepers: ReadonlyArray<ZookeeperCreate> = [
  { id: "8e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a01" as ZookeeperId, name: "Sam Keeper", email: "sam.keeper@zoo.example", hired_on: "2015-03-01" },
  { id: "8e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a02" as ZookeeperId, name: "Kim Warden", email: "kim.warden@zoo.example", hired_on: "2019-09-16" }
]

/** Who cares for whom: Sam for the savanna, Kim for the rest. */
const demoCare = demoAnimals.map((animal) => [demoZookeepers[animal.habitat_id === savanna ? 0 : 1]!.id!, animal.id!] as const)

/** Creates the rows whose id is new; an id that exists (`IdTaken`) is skipped. */
const insertNew = <Row extends { readonly id?: string | undefined }, E extends { readonly _tag: string }>(
  collection: string,
  create: (row: Row) => Effect.Effect<unknown, E>,
  idTaken: E["_tag"],
  rows: ReadonlyArray<Row>
) =>
  Effect.forEach(rows, (row) =>
    create(row).pipe(
      Effect.as(1),
      Effect.catchIf((error) => error._tag === idTaken, () => Effect.succeed(0))
    )).pipe(
      Effect.map((created) => created.reduce((sum, n) => sum + n, 0)),
      Effect.tap((inserted) => Effect.logInfo(`Seeded ${inserted} ${collection} (${rows.length - inserted} already there)`))
    )

const seed = Effect.gen(function*() {
  // Habitats first: animals refer to them.
  yield* insertNew("habitats", (yield* HabitatsRepository).create, "HabitatAlreadyExists", demoHabitats)
  yield* insertNew("animals", (yield* AnimalsRepository).create, "AnimalAlreadyExists", demoAnimals)
  yield* insertNew("zookeepers", (yield* ZookeepersRepository).create, "ZookeeperAlreadyExists", demoZookeepers)
  const care = yield* AnimalCare
  yield* Effect.forEach(demoCare, ([zookeeper, animal]) => care.link(zookeeper, animal))
  yield* Effect.logInfo(`Seeded ${demoCare.length} care assignments`)
})

Config.load.pipe(
  Effect.flatMap((config) => seed.pipe(Effect.provide(SqlRepositories.pipe(Layer.provide(Database.layer(config)))))),
  NodeRuntime.runMain
)
