/**
 * The OpenAPI document as served: what effect's generator writes from the
 * contract (`Api.ts`), completed with what it cannot know. The problems the
 * router and the edge answer by themselves (404, 405, 406, 413, 415, 429), the
 * `OPTIONS` the router answers, the `request_id` on every problem, example
 * problems, the page size's bounds, the `/v1` retirement headers,
 * `Idempotent-Replayed`, and the bodies "Try it" sends. Each step is an
 * `OpenApi.Transform` over the finished document; {@link documentApi} runs them in order.
 */
import { pipe, Schema } from "effect"
import { HttpApiError } from "effect/http-api"
import { animalProblemExamples } from "./Animals/Animal.ts"
import { writeAccessProblemExamples } from "./Auth/WriteAccess.ts"
import { DatabaseUnavailable, MethodNotAllowed, PreconditionFailed, unsupportedMediaTypeDetail } from "./Errors.ts"
import { habitatProblemExamples } from "./Habitats/Habitat.ts"
import { idempotencyProblemExamples, replayedStatus } from "./Idempotency.ts"
import { defaultPageSize, limitDescription } from "./Shared/ResourceApi.ts"
import { type ApiVersion, currentVersion, isDeprecated, maxPageSize } from "./Shared/Versions.ts"
import { zookeeperProblemExamples } from "./Zookeepers/Zookeeper.ts"

/** An OpenAPI response object for a problem schema (`#/components/schemas/<ref>`), with its example. */
const problem = (ref: string, description: string, example: unknown, headers?: Record<string, unknown>) => ({
  description,
  ...(headers && { headers }),
  content: { "application/problem+json": { schema: { $ref: `#/components/schemas/${ref}` }, example } }
})

/**
 * Documents the problems the router answers with by itself, for paths and
 * methods no operation declares: an unknown path (404), a known path with a
 * method it does not serve (405, with `Allow`), an `Accept` without JSON
 * (406) and, on every operation that takes a body, a body that is not JSON
 * (415, its `detail` naming the media types the operation takes).
 */
const addRouterProblems = (spec: Record<string, any>): Record<string, any> => {
  spec.components.schemas.UnsupportedMediaTypeEncoded = {
    type: "object",
    properties: {
      type: { type: "string" },
      title: { type: "string" },
      status: { type: "number", enum: [415] },
      detail: { type: "string" }
    },
    required: ["type", "title", "status", "detail"]
  }
  spec.components.responses = {
    ...spec.components.responses,
    RouteNotFound: problem("RouteNotFoundEncoded", "No resource exists at this path", {
      type: "/problems/route-not-found",
      title: "Not Found",
      status: 404,
      detail: "No resource at /v1/giraffes"
    }),
    NotAcceptable: problem("NotAcceptableEncoded", "`Accept` excludes JSON; this problem is sent as JSON anyway", {
      type: "/problems/not-acceptable",
      title: "Not Acceptable",
      status: 406,
      detail: "This resource is only available as application/json"
    }),
    UnsupportedMediaType: problem("UnsupportedMediaTypeEncoded", "A body that is not JSON (or merge-patch JSON where allowed)", {
      type: "about:blank",
      title: "Unsupported Media Type",
      status: 415,
      detail: unsupportedMediaTypeDetail(["application/json"])
    }),
    MethodNotAllowed: problem("MethodNotAllowedEncoded", "The path exists but does not support this method", {
      type: "/problems/method-not-allowed",
      title: "Method Not Allowed",
      status: 405,
      detail: "DELETE is not supported on /v1/animals",
      allow: ["GET", "HEAD", "POST", "OPTIONS"]
    }, { Allow: { description: "The methods this path supports", schema: { type: "string" } } })
  }
  for (const operations of Object.values<Record<string, any>>(spec.paths ?? {})) {
    for (const operation of Object.values<any>(operations)) {
      const accepted = Object.keys(operation?.requestBody?.content ?? {})
      if (accepted.length === 0) continue
      operation.responses["415"] = problem("UnsupportedMediaTypeEncoded", `A body that is not ${accepted.join(" or ")}`, {
        type: "about:blank",
        title: "Unsupported Media Type",
        status: 415,
        detail: unsupportedMediaTypeDetail(accepted)
      })
    }
  }
  return spec
}

/**
 * Documents the `OPTIONS` the router answers by itself on every known path
 * that declares none (204 with `Allow`), e.g. `/v2/habitats/{id}/animals`,
 * beside the path's other operations (their tags, parameters, 400 and 500).
 */
const addRouterOptions = (spec: Record<string, any>): Record<string, any> => {
  const order = ["get", "head", "post", "put", "patch", "delete", "options"]
  for (const [path, operations] of Object.entries<Record<string, any>>(spec.paths ?? {})) {
    if (operations.options !== undefined) continue
    const methods = Object.keys(operations).filter((method) => order.includes(method))
    const sibling = operations[methods[0]!]
    if (sibling === undefined) continue
    const allow = [...new Set([...methods, ...(methods.includes("get") ? ["head"] : []), "options"])]
      .sort((a, b) => order.indexOf(a) - order.indexOf(b))
      .map((method) => method.toUpperCase())
      .join(", ")
    operations.options = {
      tags: sibling.tags,
      operationId: `${String(sibling.operationId).replace(/\.[^.]*$/, "")}.options${path.replace(/\{[^}]*\}/g, "").replace(/\W+/g, "_")}`,
      summary: "Methods allowed on this path",
      description: `204 with the methods in \`Allow\` (${allow}).`,
      parameters: (sibling.parameters ?? []).filter((parameter: any) => parameter.in === "path"),
      security: [],
      ...(sibling.deprecated === true && { deprecated: true }),
      responses: {
        "204": {
          description: "The methods this path supports, in `Allow`",
          headers: { Allow: { schema: { type: "string", description: "The methods this path supports" }, required: true } }
        },
        // A path id that is not one is its 400, whatever the method (`Http/Problems.ts`).
        ...(path.includes("{") && sibling.responses?.["400"] !== undefined && { "400": sibling.responses["400"] }),
        ...(sibling.responses?.["500"] !== undefined && { "500": sibling.responses["500"] })
      }
    }
  }
  return spec
}

/** Routes that are never rate limited (`src/Http/RateLimit.ts`): no 429, no `RateLimit-*` headers. */
const unlimitedPaths = new Set(["/healthz", "/readyz"])

/**
 * Documents the limits the edge enforces on every operation: 429 (with
 * `Retry-After`) and the `RateLimit-*` headers on 2xx and 4xx responses, sent
 * while `RATE_LIMIT` is set, and 413 on every operation that takes a body.
 */
const addLimitProblems = (spec: Record<string, any>): Record<string, any> => {
  const count = (description: string) => ({ description, schema: { type: "integer", format: "int32", minimum: 0, maximum: 2_147_483_647 } })
  spec.components.headers = {
    ...spec.components.headers,
    "RateLimit-Limit": count("Requests allowed per window for this client (only while rate limiting is on)"),
    "RateLimit-Remaining": count("Requests left in the current window (only while rate limiting is on)"),
    "RateLimit-Reset": count("Seconds until the window resets (only while rate limiting is on)"),
    "Retry-After": count("Seconds to wait before the next request")
  }
  const rateLimitHeaders = {
    "RateLimit-Limit": { $ref: "#/components/headers/RateLimit-Limit" },
    "RateLimit-Remaining": { $ref: "#/components/headers/RateLimit-Remaining" },
    "RateLimit-Reset": { $ref: "#/components/headers/RateLimit-Reset" }
  }
  spec.components.responses = {
    ...spec.components.responses,
    TooManyRequests: problem("TooManyRequestsEncoded", "Rate limit exceeded (only while `RATE_LIMIT` is set): retry after `Retry-After` seconds", {
      type: "/problems/too-many-requests",
      title: "Too Many Requests",
      status: 429,
      detail: "More than 100 requests in 1s; retry in 1 s"
    }, { "Retry-After": { $ref: "#/components/headers/Retry-After" }, ...rateLimitHeaders }),
    ContentTooLarge: problem("ContentTooLargeEncoded", "The request body is larger than `BODY_LIMIT`; the connection is closed", {
      type: "/problems/content-too-large",
      title: "Content Too Large",
      status: 413,
      detail: "The request body is larger than 1048576 bytes",
      limit: 1048576
    }, { ...rateLimitHeaders })
  }
  for (const [path, operations] of Object.entries<Record<string, any>>(spec.paths ?? {})) {
    if (unlimitedPaths.has(path)) continue
    for (const operation of Object.values<any>(operations)) {
      if (operation?.responses === undefined) continue
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        if (/^[24]/.test(status) && response.$ref === undefined) response.headers = { ...response.headers, ...rateLimitHeaders }
      }
      operation.responses["429"] = { $ref: "#/components/responses/TooManyRequests" }
      if (operation.requestBody !== undefined) operation.responses["413"] = { $ref: "#/components/responses/ContentTooLarge" }
      // In status order, as the generator writes them.
      operation.responses = Object.fromEntries(Object.entries(operation.responses).sort(([a], [b]) => a.localeCompare(b)))
    }
  }
  return spec
}

/**
 * Adds a response example to every `application/problem+json` response whose
 * schema is one of the given problems, or named examples when it is any of
 * several. Effect's generator drops class-level examples, so this runs as an
 * `OpenApi.Transform` over the finished document.
 */
const addProblemExamples = (problems: ReadonlyArray<{ readonly _tag: string }>) => {
  const examples = new Map(problems.map((problem) => [
    `#/components/schemas/${problem._tag}Encoded`,
    Schema.encodeUnknownSync(problem.constructor as Schema.Codec<unknown, unknown>)(problem)
  ]))
  return (spec: Record<string, any>): Record<string, any> => {
    for (const operations of Object.values<Record<string, any>>(spec.paths ?? {})) {
      for (const operation of Object.values<any>(operations)) {
        for (const response of Object.values<any>(operation?.responses ?? {})) {
          const content = response?.content?.["application/problem+json"]
          if (content === undefined) continue
          // One problem: its example. Several with one status (`anyOf`): one named example each.
          const refs: ReadonlyArray<string> = content.schema?.anyOf?.map((schema: any) => schema.$ref) ?? [content.schema?.$ref]
          const found = refs.flatMap((ref) => (examples.has(ref) ? [[ref, examples.get(ref)] as const] : []))
          if (content.schema?.anyOf === undefined && found.length === 1) content.example = found[0]![1]
          else if (found.length > 0) {
            content.examples = Object.fromEntries(found.map(([ref, value]) => [ref.replace(/^#\/components\/schemas\/(.*)Encoded$/, "$1"), { value }]))
          }
        }
      }
    }
    return spec
  }
}

/**
 * Every problem body carries the request's id (the edge adds it to each, with
 * `instance`), so every problem schema declares it: the schemas say
 * `additionalProperties: false`, and a client that validates bodies against
 * them must not refuse the `request_id` it needs to report a failure. Adds it,
 * required, to each schema an `application/problem+json` response names.
 */
const addRequestIdToProblems = (spec: Record<string, any>): Record<string, any> => {
  const refs = new Set<string>()
  const collect = (response: any) => {
    const content = response?.content?.["application/problem+json"]
    for (const member of content?.schema?.anyOf ?? [content?.schema]) if (typeof member?.$ref === "string") refs.add(member.$ref)
    // The examples show a body as sent: with its request id.
    if (content?.example !== undefined) content.example = { ...content.example, request_id: requestIdSchema.examples[0] }
    for (const example of Object.values<any>(content?.examples ?? {})) example.value = { ...example.value, request_id: requestIdSchema.examples[0] }
  }
  for (const operations of Object.values<Record<string, any>>(spec.paths ?? {})) {
    for (const operation of Object.values<any>(operations)) for (const response of Object.values<any>(operation?.responses ?? {})) collect(response)
  }
  for (const response of Object.values<any>(spec.components?.responses ?? {})) collect(response)
  for (const ref of refs) {
    const schema = spec.components?.schemas?.[ref.replace("#/components/schemas/", "")]
    if (schema === undefined) continue
    schema.properties = { ...schema.properties, request_id: requestIdSchema }
    schema.required = [...new Set([...(schema.required ?? []), "request_id"])]
  }
  return spec
}

/** `X-Request-Id` as accepted from a client (1 to 128 of `[A-Za-z0-9._-]`) or generated (a UUID). */
const requestIdSchema = {
  type: "string",
  minLength: 1,
  maxLength: 128,
  pattern: "^[A-Za-z0-9._-]+$",
  description: "The request's id, as in its `X-Request-Id` response header: quote it when reporting a problem",
  examples: ["0f8fad5b-d9cb-469f-a165-70867728950e"]
}

/**
 * Documents `limit` as what it decodes to, an integer from 1 to
 * `maxPageSize` (effect documents a query parameter by its string encoding,
 * without the bounds). An `OpenApi.Transform` over the finished document.
 */
const documentPageQuery = (spec: Record<string, any>): Record<string, any> => {
  for (const operations of Object.values<Record<string, any>>(spec.paths ?? {})) {
    for (const operation of Object.values<any>(operations)) {
      for (const parameter of operation?.parameters ?? []) {
        if (parameter.in !== "query" || parameter.name !== "limit") continue
        parameter.schema = {
          type: "integer",
          format: "int32",
          minimum: 1,
          maximum: maxPageSize,
          default: defaultPageSize,
          description: limitDescription
        }
      }
    }
  }
  return spec
}

/**
 * Documents, on every response of every operation of a deprecated version,
 * the headers `Http/Deprecation.ts` sends there: `Deprecation`, `Sunset`
 * and the `successor-version` link. An `OpenApi.Transform` over the finished
 * document (the values come from the configuration, not from the contract).
 */
const documentRetirement = (spec: Record<string, any>): Record<string, any> => {
  const header = (description: string, example: string) => ({
    description,
    schema: { type: "string", maxLength: 64, examples: [example] }
  })
  spec.components.headers = {
    ...spec.components.headers,
    Deprecation: header("RFC 9745: when this version was (or will be) deprecated, as `@` and epoch seconds", "@1796083200"),
    Sunset: header("RFC 8594: when this version may stop answering (HTTP-date)", "Tue, 01 Jun 2027 00:00:00 GMT"),
    SuccessorLink: {
      description: "`<the same path under /v" + currentVersion + ">; rel=\"successor-version\"`, after any other link (such as `rel=\"next\"`)",
      schema: { type: "string", maxLength: 8192, examples: ["</v" + currentVersion + "/animals>; rel=\"successor-version\""] }
    }
  }
  for (const [path, operations] of Object.entries<Record<string, any>>(spec.paths ?? {})) {
    const version = /^\/v(\d+)\//.exec(path)?.[1]
    if (version === undefined || !isDeprecated(Number(version) as ApiVersion)) continue
    for (const operation of Object.values<any>(operations)) {
      for (const response of Object.values<any>(operation?.responses ?? {})) {
        if (response.$ref !== undefined) continue
        response.headers = {
          ...response.headers,
          deprecation: { $ref: "#/components/headers/Deprecation" },
          sunset: { $ref: "#/components/headers/Sunset" },
          link: response.headers?.link === undefined
            ? { $ref: "#/components/headers/SuccessorLink" }
            : { ...response.headers.link, description: "The `next` link while there are more pages, then the `successor-version` link" }
        }
      }
    }
  }
  return spec
}

/**
 * Documents `Idempotent-Replayed` on every response of an operation that
 * takes `Idempotency-Key` (a replay can be any outcome that was stored). An
 * `OpenApi.Transform` over the finished document.
 */
const documentReplays = (spec: Record<string, any>): Record<string, any> => {
  spec.components.headers = {
    ...spec.components.headers,
    "Idempotent-Replayed": {
      description: "`true` when this response is the stored outcome of an earlier request with the same `Idempotency-Key`",
      schema: { type: "string", enum: ["true"] }
    }
  }
  for (const operations of Object.values<Record<string, any>>(spec.paths ?? {})) {
    for (const operation of Object.values<any>(operations)) {
      if (!operation?.parameters?.some((parameter: any) => parameter.in === "header" && parameter.name === "idempotency-key")) continue
      for (const [status, response] of Object.entries<any>(operation.responses ?? {})) {
        if (!replayedStatus(Number(status)) || response.$ref !== undefined) continue
        response.headers = { ...response.headers, "Idempotent-Replayed": { $ref: "#/components/headers/Idempotent-Replayed" } }
      }
    }
  }
  return spec
}

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

/** One of each problem a client can meet, shown as the example of the responses that declare it. */
const problemExamples = [
  ...animalProblemExamples,
  ...habitatProblemExamples,
  ...zookeeperProblemExamples,
  ...writeAccessProblemExamples,
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
]

/** Every step, in the order they must run: examples first, then what reads or extends the responses. */
const addExamples = addProblemExamples(problemExamples)

export const documentApi = (spec: Record<string, any>): Record<string, any> => pipe(
  spec,
  addExamples,
  addRouterOptions,
  addRouterProblems,
  addLimitProblems,
  addRequestIdToProblems,
  documentPageQuery,
  documentRetirement,
  documentReplays,
  documentServers,
  documentTryIt
)
