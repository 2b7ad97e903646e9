/**
 * The habitats endpoints: the shared resource handlers over the habitats
 * repository, and the animals living in a habitat.
 */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { animalsContract } from "../Animals/Animal.ts"
import { AnimalsRepository } from "../Animals/AnimalsRepository.ts"
import { Api } from "../Api.ts"
import { makeMembersHandler } from "../Http/RelationHttp.ts"
import { makeResourceHandlers } from "../Http/ResourceHttp.ts"
import { habitatsContract } from "./Habitat.ts"
import { HabitatsRepository } from "./HabitatsRepository.ts"

export const HabitatsHttp = HttpApiBuilder.group(Api, "habitats", Effect.fn(function*(handlers) {
  const habitats = yield* HabitatsRepository
  const { list } = yield* AnimalsRepository
  return handlers.handleAll({
    ...makeResourceHandlers(habitatsContract, habitats),
    listAnimals: makeMembersHandler(habitats, animalsContract, list, "habitat_id")
  })
}))
