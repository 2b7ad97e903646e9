/**
 * The animals endpoints, in every version: the shared resource handlers over
 * the animals repository.
 */
import { Effect, Layer } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { makeResourceHandlers, type ResourceDescription } from "../Http/ResourceHttp.ts"
import type { ApiVersion } from "../Shared/Versions.ts"
import { Animal, animalFilters, AnimalPage, animalSortFields } from "./Animal.ts"
import { AnimalsRepository } from "./AnimalsRepository.ts"

/** What the shared handlers read of the collection: its path segment, how it lists, how it encodes. */
export const animalsDescription = {
  name: "animals",
  Resource: Animal,
  Page: AnimalPage,
  filters: animalFilters,
  sortFields: animalSortFields
} satisfies ResourceDescription

const handlers = <V extends ApiVersion>(version: V) =>
  Effect.gen(function*() {
    return yield* makeResourceHandlers(animalsDescription, yield* AnimalsRepository, version)
  })

export const AnimalsHttp = Layer.mergeAll(
  HttpApiBuilder.group(Api, "animals", (group) => Effect.map(handlers(2), (all) => group.handleAll(all))),
  HttpApiBuilder.group(Api, "animalsV1", (group) => Effect.map(handlers(1), (all) => group.handleAll(all)))
)
