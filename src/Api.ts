/**
 * The HTTP contract of the Zoo API: the groups of every domain
 * (`src/Animals/AnimalsApi.ts` ...) and the system probes, and what holds
 * for every endpoint. It imports nothing from the server, so clients
 * (`HttpApiClient`) and the OpenAPI document derive from it alone.
 */
import { HttpApi, HttpApiMiddleware, OpenApi } from "effect/http-api"
import { AnimalsApi, AnimalsApiV1 } from "./Animals/AnimalsApi.ts"
import { documentApi } from "./ApiDocument.ts"
import { ContentTooLarge, MethodNotAllowed, NotAcceptable, RouteNotFound, TooManyRequests } from "./Errors.ts"
import { HabitatsApi, HabitatsApiV1 } from "./Habitats/HabitatsApi.ts"
import { SystemApi } from "./SystemApi.ts"
import { ZookeepersApi, ZookeepersApiV1 } from "./Zookeepers/ZookeepersApi.ts"

export class Api extends HttpApi.make("zoo-api")
  // The current version first: the docs list its tags first.
  .add(AnimalsApi)
  .add(HabitatsApi)
  .add(ZookeepersApi)
  .add(AnimalsApiV1)
  .add(HabitatsApiV1)
  .add(ZookeepersApiV1)
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
  // What the generator cannot know: the edge's own problems, examples, retirement headers (`ApiDocument.ts`).
  .annotate(OpenApi.Transform, documentApi)
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
