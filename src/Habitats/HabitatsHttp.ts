/**
 * The habitats endpoints, in every version: the shared resource handlers over
 * the habitats repository, and the animals living in a habitat.
 */
import { Effect, Layer } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { animalsContract } from "../Animals/Animal.ts"
import { AnimalsRepository } from "../Animals/AnimalsRepository.ts"
import { Api } from "../Api.ts"
import { makeMembersHandler } from "../Http/RelationHttp.ts"
import { makeResourceHandlers } from "../Http/ResourceHttp.ts"
import type { ApiVersion } from "../Shared/Versions.ts"
import { habitatsContract } from "./Habitat.ts"
import { HabitatsRepository } from "./HabitatsRepository.ts"

const handlers = <V extends ApiVersion>(version: V) =>
  Effect.gen(function*() {
    const habitats = yield* HabitatsRepository
    const { list } = yield* AnimalsRepository
    return {
      ...makeResourceHandlers(habitatsContract, habitats, version),
      listAnimals: makeMembersHandler(habitats, animalsContract, list, "habitat_id", version)
    }
  })

export const HabitatsHttp = Layer.mergeAll(
  HttpApiBuilder.group(Api, "habitats", (group) => Effect.map(handlers(1), (all) => group.handleAll(all))),
  HttpApiBuilder.group(Api, "habitatsV2", (group) => Effect.map(handlers(2), (all) => group.handleAll(all)))
)
