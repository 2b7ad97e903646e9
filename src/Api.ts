/**
 * The HTTP contract of the Zoo API: groups, endpoints, schemas and the
 * problems each endpoint can answer with. It imports nothing from the server,
 * so clients (`HttpApiClient`) and the OpenAPI document derive from it alone.
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiError, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, OpenApi } from "effect/http-api"
import {
  Animal,
  AnimalAlreadyExists,
  AnimalCreate,
  AnimalId,
  AnimalNotFound,
  AnimalPatch,
  animalProblemExamples
} from "./Animals/Animal.ts"
import { addProblemExamples, addRouterProblems, DatabaseUnavailable, MethodNotAllowed, RouteNotFound } from "./Errors.ts"

/** A strong ETag made from the row version. */
const ETag = Schema.String.annotate({ description: "Strong entity tag of this version of the resource", examples: ["\"1\""] })

/** A single resource together with its ETag. */
const WithETag = <S extends Schema.Top>(schema: S) => HttpApiSchema.WithHeaders(schema, { etag: ETag })

const idParams = { id: AnimalId }

/** Both media types RFC 7396 allows for a merge patch body. */
const mergePatch = <S extends Schema.Top>(schema: S) => [
  schema.pipe(HttpApiSchema.asJson({ contentType: "application/merge-patch+json" })),
  schema
] as const

export class AnimalsApi extends HttpApiGroup.make("animals")
  .add(
    HttpApiEndpoint.get("list", "/", {
      success: Schema.Array(Animal).annotate({ description: "Every animal, oldest first" }),
      error: DatabaseUnavailable
    }).annotate(OpenApi.Summary, "List animals"),
    HttpApiEndpoint.post("create", "/", {
      payload: AnimalCreate,
      success: HttpApiSchema.WithHeaders(Animal.pipe(HttpApiSchema.status(201)), {
        location: Schema.String.annotate({ description: "URL of the new animal", examples: ["/v1/animals/0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f"] }),
        etag: ETag
      }),
      error: [AnimalAlreadyExists, DatabaseUnavailable]
    }).annotate(OpenApi.Summary, "Create an animal")
      .annotate(OpenApi.Description, "The server generates the id unless the body carries one; an id that exists already is a 409."),
    HttpApiEndpoint.get("get", "/:id", {
      params: idParams,
      success: WithETag(Animal),
      error: [AnimalNotFound, DatabaseUnavailable]
    }).annotate(OpenApi.Summary, "Get an animal"),
    HttpApiEndpoint.put("replace", "/:id", {
      params: idParams,
      payload: AnimalCreate,
      success: WithETag(Animal),
      error: [AnimalNotFound, DatabaseUnavailable]
    }).annotate(OpenApi.Summary, "Replace an animal")
      .annotate(OpenApi.Description, "Full replacement: optional fields left out are removed. An id in the body must equal the path id."),
    HttpApiEndpoint.patch("patch", "/:id", {
      params: idParams,
      payload: mergePatch(AnimalPatch),
      success: WithETag(Animal),
      error: [AnimalNotFound, DatabaseUnavailable]
    }).annotate(OpenApi.Summary, "Update an animal (JSON Merge Patch)")
      .annotate(OpenApi.Description, "RFC 7396: fields left out keep their value, `null` removes an optional field."),
    HttpApiEndpoint.delete("delete", "/:id", {
      params: idParams,
      success: HttpApiSchema.NoContent,
      error: [AnimalNotFound, DatabaseUnavailable]
    }).annotate(OpenApi.Summary, "Delete an animal")
  )
  .prefix("/v1/animals")
  .annotateMerge(OpenApi.annotations({ title: "Animals", description: "The animals living in the zoo" }))
{}

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
  .add(SystemApi)
  // Every endpoint answers schema failures with a 400 problem listing each issue.
  .middleware(HttpApiMiddleware.ProblemDetails)
  .annotate(HttpApi.ParseOptions, { errors: "all" })
  // The document says `additionalProperties: false`; decoding agrees by rejecting unknown fields.
  .annotate(HttpApi.PayloadParseOptions, { errors: "all", onExcessProperty: "error" })
  .annotate(HttpApi.AdditionalSchemas, [RouteNotFound, MethodNotAllowed])
  .annotate(OpenApi.Transform, (spec) => addRouterProblems(addProblemExamples([
    ...animalProblemExamples,
    new HttpApiError.BadRequestProblem({
      detail: "Request validation failed",
      errors: [
        { path: ["payload", "name"], message: "Expected a string with between 5 and 100 code points, got \"Leo\"" },
        { path: ["payload", "species"], message: "Expected \"lion\" | \"tiger\" | \"elephant\" | \"monkey\" | \"zebra\" | \"panda\", got \"dragon\"" }
      ]
    }),
    new HttpApiError.InternalServerErrorProblem({}),
    DatabaseUnavailable.instance,
    new MethodNotAllowed({ detail: "DELETE is not supported on /v1/animals", allow: ["GET", "HEAD", "POST", "OPTIONS"] })
  ])(spec)))
  .annotateMerge(OpenApi.annotations({
    title: "Zoo API",
    version: "1.0.0",
    description: [
      "The animals of a zoo. Every error is an RFC 9457 problem (`application/problem+json`);",
      "a 400 lists every problem found in the request, each with its path.",
      "An unknown path answers 404 and a known path with an unsupported method answers 405 with an `Allow` header",
      "(see the `RouteNotFound` and `MethodNotAllowed` responses); an unexpected failure answers 500 with no detail."
    ].join(" "),
    servers: [{ url: "http://localhost:3000", description: "Local development" }]
  }))
{}
