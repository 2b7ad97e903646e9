/**
 * The zookeepers endpoints: the shared resource handlers over the zookeepers
 * repository, and the animals in a zookeeper's care (listed, assigned,
 * unassigned).
 */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { animalsContract } from "../Animals/Animal.ts"
import { AnimalsRepository } from "../Animals/AnimalsRepository.ts"
import { Api } from "../Api.ts"
import { makeMembersHandler } from "../Http/RelationHttp.ts"
import { makeResourceHandlers } from "../Http/ResourceHttp.ts"
import { zookeepersContract } from "./Zookeeper.ts"
import { AnimalCare, ZookeepersRepository } from "./ZookeepersRepository.ts"

export const ZookeepersHttp = HttpApiBuilder.group(Api, "zookeepers", Effect.fn(function*(handlers) {
  const zookeepers = yield* ZookeepersRepository
  const { list } = yield* AnimalsRepository
  const care = yield* AnimalCare
  return handlers.handleAll({
    ...makeResourceHandlers(zookeepersContract, zookeepers),
    listAnimals: makeMembersHandler(zookeepers, animalsContract, list, "zookeeper_id"),
    assignAnimal: ({ params }) => care.link(params.id, params.animal_id),
    unassignAnimal: ({ params }) => care.unlink(params.id, params.animal_id)
  })
}))
