/**
 * Every error a client can see, as RFC 9457 problem classes.
 *
 * Each class is a `Schema` error that carries its HTTP status and its problem
 * `type`, so the repositories can fail with it without knowing about HTTP and
 * the OpenAPI document lists it, with an example, on each endpoint that
 * declares it.
 */
import { Schema } from "effect"
import { HttpApiError } from "effect/http-api"
import { IntBetween } from "./Shared/Fields.ts"
import { etagOf } from "./Shared/Http.ts"
import { article, capitalize } from "./Shared/Text.ts"

/** Problem `type` URIs are relative references, resolved against the API's own origin. */
export const problemType = <const Slug extends string>(slug: Slug) => `/problems/${slug}` as const

/** The extension every problem about one resource carries: which id it was about. */
export const resourceIdField = { id: Schema.String.annotate({ description: "The id the request named" }) }

/**
 * A problem about one resource, named by its id: a class whose `of(id)`
 * makes the instance, detail included, so repositories can pass `of` around.
 */
export const ResourceProblem = <const Tag extends string, const Type extends string, const Status extends number>(
  tag: Tag,
  declaration: HttpApiError.ProblemDeclaration<Type, Status>,
  detail: (id: string) => string
) => {
  class Problem extends HttpApiError.Problem<Problem>()(tag, declaration, resourceIdField) {
    static readonly of = (id: string) => new Problem({ id, detail: detail(id) })
  }
  return Problem
}

/** No resource of the collection has the id (404). `resource` is singular: `animal`. */
export const NotFoundProblem = <const Tag extends string, const Resource extends string>(tag: Tag, resource: Resource) =>
  ResourceProblem(tag, {
    type: problemType(`${resource}-not-found`),
    status: 404,
    title: "Resource not found"
  }, (id) => `No ${resource} has the id ${id}`)

/** A create named an id that is taken (409). */
export const AlreadyExistsProblem = <const Tag extends string, const Resource extends string>(tag: Tag, resource: Resource) =>
  ResourceProblem(tag, {
    type: problemType(`${resource}-already-exists`),
    status: 409,
    title: "Resource already exists"
  }, (id) => `${capitalize(article(resource))} with the id ${id} already exists`)

/** A write referred to a resource, by id, that does not exist (422): the request is well-formed but cannot be carried out. */
export const UnknownReferenceProblem = <const Tag extends string, const Resource extends string>(tag: Tag, resource: Resource) =>
  ResourceProblem(tag, {
    type: problemType(`unknown-${resource}`),
    status: 422,
    title: "Referenced resource not found"
  }, (id) => `No ${resource} has the id ${id}`)

/**
 * A write gave a unique field a value another resource holds (409). The
 * problem names the field and carries the value.
 */
export const FieldTakenProblem = <const Tag extends string, const Resource extends string, const Field extends string>(
  tag: Tag,
  resource: Resource,
  field: Field
) => {
  class Taken extends HttpApiError.Problem<Taken>()(tag, {
    type: problemType(`${resource}-${field}-taken`),
    status: 409,
    title: "Value already taken"
  }, {
    field: Schema.Literal(field).annotate({ description: "The unique field" }),
    value: Schema.String.annotate({ description: "The value the request gave it" })
  }) {
    static readonly of = (value: string) => new Taken({ field, value, detail: `Another ${resource} has the ${field} ${value}` })
  }
  return Taken
}

// ---------------------------------------------------------------------------
// Problems the HTTP layer produces by itself (unknown path, wrong method, ...).
// Domain problems live next to their domain, e.g. `src/Animals/Animal.ts`.
// ---------------------------------------------------------------------------

export class RouteNotFound extends HttpApiError.Problem<RouteNotFound>()("RouteNotFound", {
  type: problemType("route-not-found"),
  status: 404,
  title: "Not Found"
}) {}

export class MethodNotAllowed extends HttpApiError.Problem<MethodNotAllowed>()("MethodNotAllowed", {
  type: problemType("method-not-allowed"),
  status: 405,
  title: "Method Not Allowed"
}, {
  allow: Schema.Array(Schema.String).annotate({ description: "The methods this path supports" })
}) {}

/** `If-Match` named a version that is not the current one: someone else wrote first. */
export class PreconditionFailed extends HttpApiError.Problem<PreconditionFailed>()("PreconditionFailed", {
  type: problemType("precondition-failed"),
  status: 412,
  title: "Precondition Failed"
}, {
  etag: Schema.String.annotate({ description: "The current ETag of the resource", examples: ["\"3\""] })
}) {
  /** The problem of a write whose `If-Match` no longer holds: `current` is the resource as it is. */
  static readonly of = (current: { readonly version: number }) =>
    new PreconditionFailed({ detail: "The resource changed since that ETag", etag: etagOf(current) })
}

/** The database did not answer (down, unreachable, or too slow). Clients may retry. */
export class DatabaseUnavailable extends HttpApiError.Problem<DatabaseUnavailable>()("DatabaseUnavailable", {
  type: problemType("database-unavailable"),
  status: 503,
  title: "Service Unavailable"
}) {
  static readonly instance = new DatabaseUnavailable({ detail: "The database is not available; try again shortly" })
}

export class NotAcceptable extends HttpApiError.Problem<NotAcceptable>()("NotAcceptable", {
  type: problemType("not-acceptable"),
  status: 406,
  title: "Not Acceptable"
}) {}

/** The request body is larger than `BODY_LIMIT`; the connection is closed. */
export class ContentTooLarge extends HttpApiError.Problem<ContentTooLarge>()("ContentTooLarge", {
  type: problemType("content-too-large"),
  status: 413,
  title: "Content Too Large"
}, {
  limit: IntBetween(0, Number.MAX_SAFE_INTEGER).annotate({ description: "The largest request body accepted, in bytes" })
}) {}

/** The client made more requests than `RATE_LIMIT` allows in the window; `Retry-After` says when to come back. */
export class TooManyRequests extends HttpApiError.Problem<TooManyRequests>()("TooManyRequests", {
  type: problemType("too-many-requests"),
  status: 429,
  title: "Too Many Requests"
}) {}

/** The title for statuses whose problem carries nothing but its status (RFC 9457 `about:blank`). */
export const statusTitles: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable"
}

/** A 415 says which bodies the endpoint takes: its `Content-Type` must be one of them. */
export const unsupportedMediaTypeDetail = (accepted: Iterable<string> | undefined) => {
  const types = [...(accepted ?? [])]
  return `The body must be sent as ${types.length === 0 ? "application/json" : types.join(" or ")}`
}

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
export const addRouterProblems = (spec: Record<string, any>): Record<string, any> => {
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
export const addRouterOptions = (spec: Record<string, any>): Record<string, any> => {
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
export const addLimitProblems = (spec: Record<string, any>): Record<string, any> => {
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
export const addProblemExamples = (problems: ReadonlyArray<{ readonly _tag: string }>) => {
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
export const addRequestIdToProblems = (spec: Record<string, any>): Record<string, any> => {
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

