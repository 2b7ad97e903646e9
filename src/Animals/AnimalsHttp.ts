/**
 * The animals endpoints: the shared resource handlers over the animals repository.
 */
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../Api.ts"
import { makeResourceHandlers } from "../Http/ResourceHttp.ts"
import { animalsContract } from "./Animal.ts"
import { AnimalsRepository } from "./AnimalsRepository.ts"

export const AnimalsHttp = HttpApiBuilder.group(Api, "animals", Effect.fn(function*(handlers) {
  return handlers.handleAll(makeResourceHandlers(animalsContract, yield* AnimalsRepository))
}))
