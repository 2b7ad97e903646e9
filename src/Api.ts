/**
 * The HTTP contract of the Zoo API: groups, endpoints, schemas and the
 * problems each endpoint can answer with. It imports nothing from the server,
 * so clients (`HttpApiClient`) and the OpenAPI document derive from it alone.
 */
import { pipe, Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiError, HttpApiGroup, HttpApiMiddleware, OpenApi } from "effect/http-api"
import { animalsContract } from "./Animals/Animal.ts"
import { writeAccessProblemExamples } from "./Auth/WriteAccess.ts"
import {
  addLimitProblems,
  addProblemExamples,
  addRequestIdToProblems,
  addRouterOptions,
  addRouterProblems,
  ContentTooLarge,
  DatabaseUnavailable,
  MethodNotAllowed,
  NotAcceptable,
  PreconditionFailed,
  RouteNotFound,
  TooManyRequests
} from "./Errors.ts"
import { habitatProblemExamples, habitatsContract } from "./Habitats/Habitat.ts"
import { documentReplays, idempotencyProblemExamples } from "./Shared/Idempotency.ts"
import { makeLinkEndpoints, makeMembersEndpoint } from "./Shared/RelationApi.ts"
import { documentPageQuery, makeResourceGroup } from "./Shared/ResourceApi.ts"
import { type ApiVersion, documentRetirement } from "./Shared/Versions.ts"
import { zookeeperProblemExamples, zookeepersContract } from "./Zookeepers/Zookeeper.ts"

// Each collection's group is made for a version (`Shared/Versions.ts`): `animals`
// under /v1 (deprecated) and `animalsV2` under /v2 share every schema; only
// their lists' bodies differ.

/** The animals collection: list, capabilities, create, get, replace, merge patch, delete. */
const animalsApi = <V extends ApiVersion>(version: V) => makeResourceGroup(animalsContract, version)

/** The habitats collection, and the animals living in each habitat. */
const habitatsApi = <V extends ApiVersion>(version: V) =>
  makeResourceGroup(habitatsContract, version).add(
    makeMembersEndpoint("listAnimals", habitatsContract, animalsContract, "habitat_id", version)
  )

/** The zookeepers collection, and the animals in each one's care: listed, assigned, unassigned. */
const zookeepersApi = <V extends ApiVersion>(version: V) =>
  makeResourceGroup(zookeepersContract, version).add(
    makeMembersEndpoint("listAnimals", zookeepersContract, animalsContract, "zookeeper_id", version),
    ...makeLinkEndpoints({
      link: { name: "assignAnimal", summary: "Put an animal in a zookeeper's care" },
      unlink: { name: "unassignAnimal", summary: "Take an animal out of a zookeeper's care" }
    }, zookeepersContract, { ...animalsContract, param: "animal_id" }, version)
  )

export class AnimalsApi extends animalsApi(1) {}
export class HabitatsApi extends habitatsApi(1) {}
export class ZookeepersApi extends zookeepersApi(1) {}
export class AnimalsApiV2 extends animalsApi(2) {}
export class HabitatsApiV2 extends habitatsApi(2) {}
export class ZookeepersApiV2 extends zookeepersApi(2) {}

const Health = Schema.Struct({
  status: Schema.Literals(["ok", "ready"]).annotate({ description: "`ok`: the process runs; `ready`: it can serve requests" })
}).annotate({ identifier: "Health" })

export class SystemApi extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("healthz", "/healthz", { success: Health })
      .annotate(OpenApi.Summary, "Liveness: the process is up")
      .annotate(OpenApi.Description, "Answers 200 while the process runs, whatever the database does. For restart decisions."),
    HttpApiEndpoint.get("readyz", "/readyz", { success: Health, error: DatabaseUnavailable })
      .annotate(OpenApi.Summary, "Readiness: the database answers")
      .annotate(OpenApi.Description, "503 while the database is unreachable. For load balancers: take the replica out, not down.")
  )
  .annotateMerge(OpenApi.annotations({ title: "System", description: "Probes for orchestrators and load balancers" }))
{}

export class Api extends HttpApi.make("zoo-api")
  // The current version first: the docs list its tags first.
  .add(AnimalsApiV2)
  .add(HabitatsApiV2)
  .add(ZookeepersApiV2)
  .add(AnimalsApi)
  .add(HabitatsApi)
  .add(ZookeepersApi)
  .add(SystemApi)
  // Every endpoint answers schema failures with a 400 problem listing each issue.
  .middleware(HttpApiMiddleware.ProblemDetails)
  .annotate(HttpApi.ParseOptions, { errors: "all" })
  // The document says `additionalProperties: false`; decoding agrees by rejecting unknown fields.
  // `reportInput` lets a 400 tell `null` from a wrong type ("must not be null — it is required").
  .annotate(HttpApi.PayloadParseOptions, { errors: "all", onExcessProperty: "error", reportInput: true })
  // A query parameter the endpoint does not declare is a 400, so `?specie=lion` never lists everything.
  .annotate(HttpApi.QueryParseOptions, { errors: "all", onExcessProperty: "error" })
  .annotate(HttpApi.AdditionalSchemas, [RouteNotFound, MethodNotAllowed, NotAcceptable, ContentTooLarge, TooManyRequests])
  .annotate(OpenApi.Transform, (spec) => pipe(
    spec,
    addProblemExamples([
      ...animalsContract.problemExamples,
      ...habitatsContract.problemExamples,
      ...zookeepersContract.problemExamples,
      ...writeAccessProblemExamples,
      ...habitatProblemExamples,
      ...zookeeperProblemExamples,
      ...idempotencyProblemExamples,
      new HttpApiError.BadRequestProblem({
        detail: "Request validation failed",
        errors: [
          { path: ["payload", "name"], message: "\"name\": must be a string with between 5 and 100 code points" },
          { path: ["payload", "species"], message: "\"species\": must be one of \"lion\", \"tiger\", \"elephant\", \"monkey\", \"zebra\", \"panda\"" },
          { path: ["payload", "colour"], message: "\"colour\": unknown field" }
        ]
      }),
      new HttpApiError.InternalServerErrorProblem({}),
      DatabaseUnavailable.instance,
      PreconditionFailed.of({ version: 3 }),
      new MethodNotAllowed({ detail: "DELETE is not supported on /v1/animals", allow: ["GET", "HEAD", "POST", "OPTIONS"] })
    ]),
    addRouterOptions,
    addRouterProblems,
    addLimitProblems,
    addRequestIdToProblems,
    documentPageQuery,
    documentRetirement,
    documentReplays,
    documentServers,
    documentTryIt
  ))
  .annotateMerge(OpenApi.annotations({
    title: "Zoo API",
    version: "1.0.0",
    description: [
      "The animals, habitats and zookeepers of a zoo. Every error is an RFC 9457 problem (`application/problem+json`);",
      "a 400 lists every problem found in the request, each with its path.",
      "An unknown path answers 404 and a known path with an unsupported method answers 405 with an `Allow` header",
      "(see the `RouteNotFound` and `MethodNotAllowed` responses); an unexpected failure answers 500 with no detail.",
      "`/v2` is the current version. `/v1` is deprecated and differs only in its lists (a bare array, not the",
      "`{ items, next_cursor, total }` envelope); every `/v1` response carries `Deprecation`, `Sunset` and a",
      "`Link` to the same path under `/v2` (`rel=\"successor-version\"`)."
    ].join(" "),
    // Relative: the origin that serves this document, whatever the deployment (TLS is the proxy's).
    servers: [{ url: "/", description: "This service, wherever it runs (local, staging or production): the origin serving this document" }]
  }))
{}

/**
 * Request bodies that succeed as they are on a fresh service: no made-up
 * `habitat_id` (a 422), no name or e-mail the demo data (`npm run db:seed`)
 * or the README's walkthrough uses (a 409). "Try it" on `/docs` sends these.
 */
const writeExamples: Readonly<Record<string, unknown>> = {
  animals: { name: "Raja the Tiger", date_of_birth: "2018-05-20", species: "tiger", nickname: "Raja" },
  habitats: { name: "Arctic Shore", climate: "polar", capacity: 6 },
  zookeepers: { name: "Rita Ranger", email: "rita.ranger@zoo.example", hired_on: "2022-09-01" }
}

/** Merge patches that change one field, valid for any resource of the collection. */
const patchExamples: Readonly<Record<string, unknown>> = {
  animals: { nickname: "Sunny" },
  habitats: { capacity: 8 },
  zookeepers: { name: "Rita R. Ranger" }
}

/**
 * What the docs page's "Try it" fills in: the examples above as the bodies
 * of create, replace and merge patch, and no example values on query parameters
 * (Scalar switches every example on, so a list would send every filter and
 * find nothing). Descriptions and types stay: the document remains valid.
 */
function documentTryIt(spec: Record<string, any>): Record<string, any> {
  for (const [path, operations] of Object.entries<Record<string, any>>(spec.paths ?? {})) {
    const collection = /^\/v\d+\/(animals|habitats|zookeepers)(\/\{id\})?$/.exec(path)?.[1]
    for (const [method, operation] of Object.entries<any>(operations)) {
      for (const parameter of operation?.parameters ?? []) {
        if (parameter.in !== "query") continue
        delete parameter.schema?.examples
        delete parameter.schema?.items?.examples
      }
      if (collection === undefined) continue
      for (const content of Object.values<any>(operation?.requestBody?.content ?? {})) {
        content.example = method === "patch" ? patchExamples[collection] : writeExamples[collection]
      }
    }
  }
  return spec
}

/** Servers say who they are for (OWASP API9): this one is the public API. */
function documentServers(spec: Record<string, any>): Record<string, any> {
  spec.servers = spec.servers?.map((server: Record<string, unknown>) => ({ ...server, "x-internal": false }))
  return spec
}
