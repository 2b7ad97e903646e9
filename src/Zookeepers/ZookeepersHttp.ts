/**
 * The zookeepers endpoints, in every version: the shared resource handlers
 * over the zookeepers repository, and the animals in a zookeeper's care
 * (listed, assigned, unassigned).
 */
import { Effect, Layer } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { animalsDescription } from "../Animals/AnimalsHttp.ts"
import { AnimalsRepository } from "../Animals/AnimalsRepository.ts"
import { Api } from "../Api.ts"
import { makeMembersHandler } from "../Http/RelationHttp.ts"
import { makeResourceHandlers, type ResourceDescription } from "../Http/ResourceHttp.ts"
import type { ApiVersion } from "../Shared/Versions.ts"
import { Zookeeper, zookeeperFilters, ZookeeperPage, zookeeperSortFields } from "./Zookeeper.ts"
import { AnimalCare, ZookeepersRepository } from "./ZookeepersRepository.ts"

const zookeepersDescription = {
  name: "zookeepers",
  Resource: Zookeeper,
  Page: ZookeeperPage,
  filters: zookeeperFilters,
  sortFields: zookeeperSortFields
} satisfies ResourceDescription

const handlers = <V extends ApiVersion>(version: V) =>
  Effect.gen(function*() {
    const zookeepers = yield* ZookeepersRepository
    const { list } = yield* AnimalsRepository
    return {
      ...(yield* makeResourceHandlers(zookeepersDescription, zookeepers, version)),
      listAnimals: yield* makeMembersHandler(zookeepers, animalsDescription, list, "zookeeper_id", version)
    }
  })

// The care handlers are written in each group, so the group types their parameters.
export const ZookeepersHttp = Layer.mergeAll(
  HttpApiBuilder.group(Api, "zookeepers", (group) =>
    Effect.gen(function*() {
      const care = yield* AnimalCare
      return group.handleAll({
        ...(yield* handlers(2)),
        assignAnimal: ({ params }) => care.link(params.id, params.animal_id),
        unassignAnimal: ({ params }) => care.unlink(params.id, params.animal_id)
      })
    })),
  HttpApiBuilder.group(Api, "zookeepersV1", (group) =>
    Effect.gen(function*() {
      const care = yield* AnimalCare
      return group.handleAll({
        ...(yield* handlers(1)),
        assignAnimal: ({ params }) => care.link(params.id, params.animal_id),
        unassignAnimal: ({ params }) => care.unlink(params.id, params.animal_id)
      })
    }))
)
