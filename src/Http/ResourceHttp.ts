/**
 * The handlers every collection shares, over its `ResourceRepository`:
 * keyset pages with `Link` / `X-Total-Count` / `Last-Modified`, the
 * capabilities document, conditional GET (304) and conditional writes (412).
 */
import { Effect, type Schema } from "effect"
import { HttpRouter, type HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiError, HttpApiSchema } from "effect/http-api"
import { type Capabilities, defaultPageSize } from "../Shared/ResourceApi.ts"
import { etagOf, ifMatchVersions, noneMatchHit } from "../Shared/Http.ts"
import { type CursorPayload, type Filters, makeCursors, parseSort, sortValueCheck } from "../Shared/Listing.ts"
import type { ListRequest, Page, ResourceRepository, Stored } from "../Repo/Repository.ts"
import { type ApiVersion, type Listable, listBody, listBodySchema, maxPageSize, versionPath } from "../Shared/Versions.ts"
import { HttpDates } from "./HttpDates.ts"
import { jsonResponse, makeJsonEncoder } from "./JsonBody.ts"

/** A resource's schema: what it decodes to is a stored resource. */
type StoredSchema = Schema.Top & { readonly Type: Stored; readonly fields: Readonly<Record<string, Schema.Top>> }

const collectionAllow = "GET, HEAD, POST, OPTIONS"
const itemAllow = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"

/**
 * What the handlers read of a collection. `Resource` is the schema its
 * endpoints answer with: the handlers encode exactly its `Type`, so the
 * repository they are given must store that type.
 */
export interface ResourceDescription<S extends StoredSchema = StoredSchema> extends Listable<S> {
  /** The collection's name and path segment. */
  readonly name: string
  readonly filters: Filters
  readonly sortFields: ReadonlyArray<string>
}

/** A row's value of a sort field, as a cursor carries it: a number (`capacity`) or text. */
const sortValueOf = (row: Stored, field: string): string | number => {
  const value = (row as Stored & Readonly<Record<string, unknown>>)[field]
  return typeof value === "number" ? value : String(value)
}

/** The fields a list can sort by, with their schemas: the resource's own. */
const sortValueChecks = (description: ResourceDescription) => sortValueCheck(description.Resource.fields, description.sortFields)

/** A 400 about one field, named in its message as every 400 names it: `"cursor": expected ...`. */
const badRequest = (path: ReadonlyArray<string>, message: string) =>
  new HttpApiError.BadRequestProblem({
    detail: "Request validation failed",
    errors: [{ path, message: `"${path.at(-1)}": ${message.charAt(0).toLowerCase()}${message.slice(1)}` }]
  })

/** The query values of the filters only, without page controls or absent ones. */
const filterValues = (filters: Filters, query: Readonly<Record<string, unknown>>) => {
  const values: Record<string, unknown> = {}
  for (const name of Object.keys(filters)) {
    if (query[name] !== undefined) values[name] = query[name]
  }
  return values
}

/**
 * The path of the request, rebuilt from its route and its (validated)
 * parameters: `/v1/habitats/:id/animals` with the id. A header never
 * carries the path text a client sent.
 */
const routePath = Effect.map(
  HttpRouter.RouteContext,
  ({ route, params }) => route.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ""))
)

/** The `next` link: the same query (filters, sort, limit) with the cursor after the last row. */
const nextLink = (
  path: string,
  query: Pick<CursorPayload, "filters" | "sort">,
  limit: number,
  cursor: string
) => {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query.filters)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item))
  }
  params.set("sort", query.sort)
  params.set("limit", String(limit))
  params.set("cursor", cursor)
  return `<${path}?${params}>; rel="next"`
}

/** One resource's response: its body, and the validators a later conditional request sends back. */
const singleResponse = <R extends Stored>(encode: (resource: R) => string, dates: HttpDates["Service"]) =>
(resource: R, status = 200, headers: Readonly<Record<string, string>> = {}) =>
  jsonResponse(encode(resource), status, {
    ...headers,
    etag: etagOf(resource),
    "last-modified": dates.of(resource.updated_at)
  })

/**
 * The list handler of a collection over any way of listing it: its own
 * `GET /`, or the members list of a relation, whose path fixes one filter
 * (`fixed`, e.g. `habitat_id` under `/habitats/{id}/animals`); a fixed filter
 * stays out of the cursor and the `next` link, since the path carries it.
 * The body is the version's (`listBody`: an array in v1, the envelope in v2,
 * whose `next_cursor` is the `next` link's cursor); the headers are the same.
 */
export const makeListHandler = <S extends StoredSchema, E, V extends ApiVersion>(
  description: ResourceDescription<S>,
  list: (request: ListRequest) => Effect.Effect<Page<S["Type"]>, E>,
  version: V
) =>
  Effect.map(Effect.all([HttpDates, makeCursors]), ([dates, cursors]) => {
    const isSortValue = sortValueChecks(description)
    const encodeBody = makeJsonEncoder(listBodySchema(description, version))
    return Effect.fnUntraced(function*({ query }: {
      readonly query: { readonly limit?: number; readonly cursor?: string; readonly sort?: string }
      readonly request: HttpServerRequest.HttpServerRequest
    }, fixed: Readonly<Record<string, unknown>> = {}) {
      const limit = query.limit ?? defaultPageSize
      const sort = query.sort ?? "created_at"
      const filters = filterValues(description.filters, query)
      let after: CursorPayload["after"] | undefined
      if (query.cursor !== undefined) {
        const cursor = yield* cursors.decode(query.cursor)
        if (cursor === undefined) return yield* badRequest(["query", "cursor"], "Expected a cursor from a next link, unchanged")
        // The cursor is a position in one ordering of one result set: another query cannot resume it.
        if (cursor.sort !== sort || JSON.stringify(cursor.filters) !== JSON.stringify(filters)) {
          return yield* badRequest(["query", "cursor"], "The cursor belongs to a different sort or filter")
        }
        if (!isSortValue(parseSort(sort).field, cursor.after.value)) {
          return yield* badRequest(["query", "cursor"], `Expected a cursor from a next link: its position is not a ${parseSort(sort).field}`)
        }
        after = cursor.after
      }
      const parsedSort = parseSort(sort)
      const page = yield* list({ limit, sort: parsedSort, after, filters: { ...filters, ...fixed } })
      const last = page.items.at(-1)
      const nextCursor = page.hasMore && last !== undefined
        ? yield* cursors.encode({ sort, filters, after: { value: sortValueOf(last, parsedSort.field), id: last.id } })
        : undefined
      return jsonResponse(encodeBody(listBody(version, { items: page.items, total: page.total, nextCursor })), 200, {
        "x-total-count": String(page.total),
        ...(page.lastModified !== undefined && { "last-modified": dates.of(page.lastModified) }),
        ...(nextCursor !== undefined && { link: nextLink(yield* routePath, { sort, filters }, limit, nextCursor) })
      })
    })
  })

export const makeResourceHandlers = <
  S extends StoredSchema,
  Create extends { readonly id?: string | undefined },
  Patch,
  NotFound,
  IdTaken,
  WriteError,
  DeleteError,
  V extends ApiVersion
>(
  description: ResourceDescription<S>,
  repository: ResourceRepository<S["Type"], Create, Patch, NotFound, IdTaken, WriteError, DeleteError>,
  version: V
) =>
  Effect.gen(function*() {
    const capabilities: Capabilities = {
      methods: collectionAllow.split(", "),
      default_page_size: defaultPageSize,
      max_page_size: maxPageSize,
      filters: Object.entries(description.filters).map(([name, filter]) => ({
        name,
        type: filter.type,
        repeatable: filter.kind === "in",
        description: filter.description
      })),
      sort: description.sortFields.flatMap((field) => [field, `-${field}`])
    }
    const single = singleResponse(makeJsonEncoder(description.Resource), yield* HttpDates)

    return {
      list: yield* makeListHandler(description, repository.list, version),
      capabilities: () => Effect.succeed(HttpApiSchema.withHeaders({ body: capabilities, headers: { allow: collectionAllow } })),
      create: ({ payload }: { readonly payload: Create }) =>
        Effect.map(repository.create(payload), (resource) =>
          single(resource, 201, { location: versionPath(version, `/${description.name}/${resource.id}`) })),
      get: ({ params, headers }: { readonly params: { readonly id: string }; readonly headers: { readonly "if-none-match"?: string } }) =>
        Effect.map(repository.findById(params.id), (resource) =>
          noneMatchHit(headers["if-none-match"], etagOf(resource))
            ? HttpServerResponse.empty({ status: 304, headers: { etag: etagOf(resource) } })
            : single(resource)),
      options: () => Effect.succeed(HttpApiSchema.withHeaders({ body: undefined, headers: { allow: itemAllow } })),
      replace: ({ params, headers, payload }: {
        readonly params: { readonly id: string }
        readonly headers: { readonly "if-match"?: string }
        readonly payload: Create
      }) =>
        payload.id !== undefined && payload.id !== params.id
          ? Effect.fail(badRequest(["payload", "id"], `Expected the path id ${params.id}, got ${payload.id}`))
          : Effect.map(repository.replace(params.id, payload, ifMatchVersions(headers["if-match"])), (resource) => single(resource)),
      patch: ({ params, headers, payload }: {
        readonly params: { readonly id: string }
        readonly headers: { readonly "if-match"?: string }
        readonly payload: Patch
      }) => Effect.map(repository.patch(params.id, payload, ifMatchVersions(headers["if-match"])), (resource) => single(resource)),
      delete: ({ params, headers }: { readonly params: { readonly id: string }; readonly headers: { readonly "if-match"?: string } }) =>
        repository.remove(params.id, ifMatchVersions(headers["if-match"]))
    }
  })
