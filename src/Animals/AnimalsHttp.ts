/**
 * The animals endpoints, in every version: the shared resource handlers over
 * the animals repository.
 */
import { Effect, Layer } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { makeResourceHandlers } from "../Http/ResourceHttp.ts"
import type { ApiVersion } from "../Shared/Versions.ts"
import { animalsContract } from "./Animal.ts"
import { AnimalsRepository } from "./AnimalsRepository.ts"

const handlers = <V extends ApiVersion>(version: V) =>
  Effect.gen(function*() {
    return makeResourceHandlers(animalsContract, yield* AnimalsRepository, version)
  })

export const AnimalsHttp = Layer.mergeAll(
  HttpApiBuilder.group(Api, "animals", (group) => Effect.map(handlers(1), (all) => group.handleAll(all))),
  HttpApiBuilder.group(Api, "animalsV2", (group) => Effect.map(handlers(2), (all) => group.handleAll(all)))
)
