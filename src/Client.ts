/**
 * The typed client of the Zoo API, derived from the contract in `Api.ts`:
 * every endpoint is a method, every problem a tagged error, every schema
 * checked on both sides. Usable from any Effect program (Node, Deno, Bun,
 * browsers) with a `fetch`-based `HttpClient`.
 *
 * ```ts
 * const zoo = yield* ZooClient
 * const page = yield* zoo.animals.list({ query: { species: ["lion"] } }) // /v2: { items, next_cursor, total }
 * ```
 *
 * `zoo.animals`, `zoo.habitats` and `zoo.zookeepers` call the current `/v2`;
 * `zoo.animalsV1` and the others the deprecated `/v1`. The ids, bodies and
 * problems are exported here too, to type what a program passes and catches.
 *
 * Writes that may be retried take an `Idempotency-Key` per call, in their
 * `headers` (creates, merge patches, assigning and unassigning): a retry with
 * the same key answers the first outcome instead of writing again.
 *
 * ```ts
 * const key = crypto.randomUUID() // one per intended write, reused by its retries
 * // A dropped connection, a 503 or a 409 in flight: safe to send again, it runs at most once.
 * const created = yield* zoo.animals.create({ headers: { "idempotency-key": key }, payload }).pipe(Effect.retry({ times: 3 }))
 * ```
 */
import { Context, Layer, Redacted } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import { Api } from "./Api.ts"

export { Api } from "./Api.ts"
export {
  Animal,
  AnimalAlreadyExists,
  AnimalCreate,
  AnimalNotFound,
  AnimalPatch,
  HabitatFull,
  Species,
  UnknownHabitat
} from "./Animals/Animal.ts"
export { DatabaseUnavailable, PreconditionFailed } from "./Errors.ts"
export {
  Climate,
  Habitat,
  HabitatAlreadyExists,
  HabitatCreate,
  HabitatNameTaken,
  HabitatNotFound,
  HabitatOccupied,
  HabitatOverCapacity,
  HabitatPatch
} from "./Habitats/Habitat.ts"
export { IdempotencyKeyInFlight, IdempotencyKeyReused } from "./Idempotency.ts"
export { AnimalId, HabitatId, ZookeeperId } from "./Shared/Ids.ts"
export {
  Zookeeper,
  ZookeeperAlreadyExists,
  ZookeeperCreate,
  ZookeeperEmailTaken,
  ZookeeperNotFound,
  ZookeeperPatch
} from "./Zookeepers/Zookeeper.ts"

export interface ZooClientOptions {
  /** Where the API lives, e.g. `http://localhost:3000`. */
  readonly baseUrl: string
  /** Sent as `X-API-Key` on every request (writes need one). */
  readonly apiKey?: Redacted.Redacted<string> | undefined
}

export class ZooClient extends Context.Service<ZooClient, HttpApiClient.ForApi<typeof Api>>()("zoo-api/Client") {
  /** A client over `fetch`. */
  static readonly layer = (options: ZooClientOptions) =>
    Layer.effect(
      ZooClient,
      HttpApiClient.make(Api, {
        baseUrl: options.baseUrl,
        transformClient: options.apiKey === undefined
          ? undefined
          : HttpClient.mapRequest(HttpClientRequest.setHeader("x-api-key", Redacted.value(options.apiKey)))
      })
    ).pipe(Layer.provide(FetchHttpClient.layer))
}
