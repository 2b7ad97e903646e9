/**
 * The habitats endpoints, in every version: the shared resource handlers over
 * the habitats repository, and the animals living in a habitat.
 */
import { Effect, Layer } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { animalsDescription } from "../Animals/AnimalsHttp.ts"
import { AnimalsRepository } from "../Animals/AnimalsRepository.ts"
import { Api } from "../Api.ts"
import { makeMembersHandler } from "../Http/RelationHttp.ts"
import { makeResourceHandlers, type ResourceDescription } from "../Http/ResourceHttp.ts"
import type { ApiVersion } from "../Shared/Versions.ts"
import { Habitat, habitatFilters, HabitatPage, habitatSortFields } from "./Habitat.ts"
import { HabitatsRepository } from "./HabitatsRepository.ts"

const habitatsDescription = {
  name: "habitats",
  Resource: Habitat,
  Page: HabitatPage,
  filters: habitatFilters,
  sortFields: habitatSortFields
} satisfies ResourceDescription

const handlers = <V extends ApiVersion>(version: V) =>
  Effect.gen(function*() {
    const habitats = yield* HabitatsRepository
    const { list } = yield* AnimalsRepository
    return {
      ...(yield* makeResourceHandlers(habitatsDescription, habitats, version)),
      listAnimals: yield* makeMembersHandler(habitats, animalsDescription, list, "habitat_id", version)
    }
  })

export const HabitatsHttp = Layer.mergeAll(
  HttpApiBuilder.group(Api, "habitats", (group) => Effect.map(handlers(2), (all) => group.handleAll(all))),
  HttpApiBuilder.group(Api, "habitatsV1", (group) => Effect.map(handlers(1), (all) => group.handleAll(all)))
)
