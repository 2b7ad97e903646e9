/**
 * The bare effect `HttpApi` baseline of `npm run bench`: the service's own
 * `Animal` schemas, the same in-memory data as the raw baseline, the routes
 * the bench loads (GET by id, list, POST), and effect's defaults for the
 * rest: its router, its request logger and tracer, its empty 400 for a body
 * that does not decode. None of our middleware, no ETags, no problems: what
 * effect costs before the service adds anything. `node scripts/bench-bare-httpapi.ts PORT`.
 */
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Schema } from "effect"
import { HttpRouter } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiError, HttpApiGroup, HttpApiSchema } from "effect/http-api"
import { createServer } from "node:http"
import { Animal, AnimalCreate, AnimalId } from "../src/Animals/Animal.ts"

const port = Number(process.argv[2] ?? 3101)

class BareAnimals extends HttpApiGroup.make("animals")
  .add(
    HttpApiEndpoint.get("findById", "/v1/animals/:id", { params: { id: AnimalId }, success: Animal, error: HttpApiError.NotFound }),
    HttpApiEndpoint.get("list", "/v1/animals", {
      query: { limit: Schema.optional(Schema.NumberFromString) },
      success: HttpApiSchema.WithHeaders(Schema.Array(Animal), { "x-total-count": Schema.NumberFromString })
    }),
    HttpApiEndpoint.post("create", "/v1/animals", { payload: AnimalCreate, success: Animal.pipe(HttpApiSchema.status(201)) })
  )
{}

class BareApi extends HttpApi.make("bare").add(BareAnimals) {}

const animals = new Map<string, Animal>()

const AnimalsHandlers = HttpApiBuilder.group(BareApi, "animals", (handlers) =>
  handlers
    .handle("findById", ({ params }) => {
      const animal = animals.get(params.id)
      return animal === undefined ? Effect.fail(new HttpApiError.NotFound()) : Effect.succeed(animal)
    })
    .handle("list", ({ query }) => {
      const page = [...animals.values()].slice(0, Math.min(query.limit ?? 20, 100))
      return Effect.succeed(HttpApiSchema.withHeaders({ body: page, headers: { "x-total-count": animals.size } }))
    })
    .handle("create", ({ payload }) =>
      Effect.sync(() => {
        const now = new Date().toISOString()
        const animal: Animal = { ...payload, id: AnimalId.make(globalThis.crypto.randomUUID()), created_at: now, updated_at: now, version: 1 }
        animals.set(animal.id, animal)
        return animal
      })
    ))

HttpRouter.serve(HttpApiBuilder.layer(BareApi).pipe(Layer.provide(AnimalsHandlers))).pipe(
  Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" })),
  Layer.launch,
  NodeRuntime.runMain
)
