/**
 * The HTTP contract of the Zoo API: groups, endpoints, schemas and the
 * problems each endpoint can answer with. It imports nothing from the server,
 * so clients (`HttpApiClient`) and the OpenAPI document derive from it alone.
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiError, HttpApiGroup, HttpApiMiddleware, OpenApi } from "effect/http-api"
import { animalsContract } from "./Animals/Animal.ts"
import {
  addProblemExamples,
  addRouterProblems,
  DatabaseUnavailable,
  MethodNotAllowed,
  NotAcceptable,
  PreconditionFailed,
  RouteNotFound
} from "./Errors.ts"
import { habitatProblemExamples, habitatsContract } from "./Habitats/Habitat.ts"
import { makeLinkEndpoints, makeMembersEndpoint } from "./Shared/RelationApi.ts"
import { makeResourceGroup } from "./Shared/ResourceApi.ts"
import { zookeeperProblemExamples, zookeepersContract } from "./Zookeepers/Zookeeper.ts"

/** The animals collection: list, capabilities, create, get, replace, merge patch, delete. */
export class AnimalsApi extends makeResourceGroup(animalsContract) {}

/** The habitats collection, and the animals living in each habitat. */
export class HabitatsApi extends makeResourceGroup(habitatsContract).add(
  makeMembersEndpoint("listAnimals", habitatsContract, animalsContract, "habitat_id")
) {}

/** The zookeepers collection, and the animals in each one's care: listed, assigned, unassigned. */
export class ZookeepersApi extends makeResourceGroup(zookeepersContract).add(
  makeMembersEndpoint("listAnimals", zookeepersContract, animalsContract, "zookeeper_id"),
  ...makeLinkEndpoints({
    link: { name: "assignAnimal", summary: "Put an animal in a zookeeper's care" },
    unlink: { name: "unassignAnimal", summary: "Take an animal out of a zookeeper's care" }
  }, zookeepersContract, { ...animalsContract, param: "animal_id" })
) {}

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
  .add(AnimalsApi)
  .add(HabitatsApi)
  .add(ZookeepersApi)
  .add(SystemApi)
  // Every endpoint answers schema failures with a 400 problem listing each issue.
  .middleware(HttpApiMiddleware.ProblemDetails)
  .annotate(HttpApi.ParseOptions, { errors: "all" })
  // The document says `additionalProperties: false`; decoding agrees by rejecting unknown fields.
  .annotate(HttpApi.PayloadParseOptions, { errors: "all", onExcessProperty: "error" })
  .annotate(HttpApi.AdditionalSchemas, [RouteNotFound, MethodNotAllowed, NotAcceptable])
  .annotate(OpenApi.Transform, (spec) => addRouterProblems(addProblemExamples([
    ...animalsContract.problemExamples,
    ...habitatsContract.problemExamples,
    ...zookeepersContract.problemExamples,
    ...habitatProblemExamples,
    ...zookeeperProblemExamples,
    new HttpApiError.BadRequestProblem({
      detail: "Request validation failed",
      errors: [
        { path: ["payload", "name"], message: "Expected a string with between 5 and 100 code points, got \"Leo\"" },
        { path: ["payload", "species"], message: "Expected \"lion\" | \"tiger\" | \"elephant\" | \"monkey\" | \"zebra\" | \"panda\", got \"dragon\"" }
      ]
    }),
    new HttpApiError.InternalServerErrorProblem({}),
    DatabaseUnavailable.instance,
    new PreconditionFailed({ detail: "The resource changed since that ETag", etag: "\"3\"" }),
    new MethodNotAllowed({ detail: "DELETE is not supported on /v1/animals", allow: ["GET", "HEAD", "POST", "OPTIONS"] })
  ])(spec)))
  .annotateMerge(OpenApi.annotations({
    title: "Zoo API",
    version: "1.0.0",
    description: [
      "The animals, habitats and zookeepers of a zoo. Every error is an RFC 9457 problem (`application/problem+json`);",
      "a 400 lists every problem found in the request, each with its path.",
      "An unknown path answers 404 and a known path with an unsupported method answers 405 with an `Allow` header",
      "(see the `RouteNotFound` and `MethodNotAllowed` responses); an unexpected failure answers 500 with no detail."
    ].join(" "),
    servers: [{ url: "http://localhost:3000", description: "Local development" }]
  }))
{}
