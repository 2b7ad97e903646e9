/**
 * The animals endpoints: HTTP in, repository calls, HTTP out. Status codes and
 * problem bodies come from the contract in `Api.ts`.
 */
import { Effect } from "effect"
import { HttpApiBuilder, HttpApiError, HttpApiSchema } from "effect/http-api"
import { Api } from "../Api.ts"
import { etagOf } from "../Shared/Http.ts"
import type { Animal } from "./Animal.ts"
import { AnimalsRepository } from "./AnimalsRepository.ts"

const withETag = (animal: Animal) => HttpApiSchema.withHeaders({ body: animal, headers: { etag: etagOf(animal) } })

export const AnimalsHttp = HttpApiBuilder.group(
  Api,
  "animals",
  Effect.fn(function*(handlers) {
    const animals = yield* AnimalsRepository
    return handlers
      .handle("list", () => animals.list())
      .handle("create", ({ payload }) =>
        Effect.map(animals.create(payload), (animal) =>
          HttpApiSchema.withHeaders({
            body: animal,
            headers: { location: `/v1/animals/${animal.id}`, etag: etagOf(animal) }
          })))
      .handle("get", ({ params }) => Effect.map(animals.findById(params.id), withETag))
      .handle("replace", ({ params, payload }) =>
        payload.id !== undefined && payload.id !== params.id
          ? Effect.fail(
            new HttpApiError.BadRequestProblem({
              detail: "Request validation failed",
              errors: [{ path: ["payload", "id"], message: `Expected the path id ${params.id}, got ${payload.id}` }]
            })
          )
          : Effect.map(animals.replace(params.id, payload), withETag))
      .handle("patch", ({ params, payload }) => Effect.map(animals.patch(params.id, payload), withETag))
      .handle("delete", ({ params }) => animals.remove(params.id))
  })
)
