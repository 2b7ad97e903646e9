/**
 * The HTTP contract every collection shares: list (keyset pages, filters,
 * sort), capabilities (OPTIONS), create, get (conditional), replace, merge
 * patch and delete (both conditional on `If-Match`). A resource declares its
 * schemas and problems; the endpoints, headers and statuses come from here.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { RequiredScope, WriteAccess, writeScope } from "../Auth/WriteAccess.ts"
import { Idempotency, idempotencyHeaders } from "./Idempotency.ts"
import { DatabaseUnavailable, PreconditionFailed } from "../Errors.ts"
import { IntBetween } from "./Fields.ts"
import { article, capitalize } from "./Text.ts"
import {
  type ApiVersion,
  type Listable,
  listBodySchema,
  type ListEnvelope,
  maxPageSize,
  versionAnnotations,
  versionedName,
  versionedTitle,
  versionPath
} from "./Versions.ts"

export const defaultPageSize = 20

const limitDescription = `Page size, 1 to ${maxPageSize} (default ${defaultPageSize})`

const ETag = Schema.String.annotate({ description: "Strong entity tag of this version of the resource", examples: ["\"1\""] })
const LastModified = Schema.String.annotate({
  description: "When this changed last (RFC 9110 HTTP-date)",
  examples: ["Mon, 05 Jan 2026 10:00:00 GMT"]
})
const Allow = Schema.String.annotate({ description: "The methods this path supports", examples: ["GET, HEAD, POST, OPTIONS"] })

/**
 * The longest cursor we make: base64url of its JSON (a sort value and the
 * filters, each bounded) and of its signature stays well under this; longer is not ours.
 */
const maxCursorLength = 4096

/** The page controls every list takes. */
export const pageQuery = <const Sort extends ReadonlyArray<string>>(sortFields: Sort) => ({
  limit: Schema.optionalKey(
    IntBetween(1, maxPageSize).annotate({
      description: limitDescription,
      examples: [defaultPageSize]
    })
  ),
  cursor: Schema.optionalKey(Schema.String.check(
    Schema.isMaxLength(maxCursorLength),
    Schema.isPattern(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/u, { expected: "a cursor from a next link" })
  ).annotate({
    description: "Opaque position from the `next` link (v2: `next_cursor`) of the previous page; keeps the filters and sort it was made with"
  })),
  sort: Schema.optionalKey(
    Schema.Literals([...sortFields, ...sortFields.map((field) => `-${field}` as `-${Sort[number]}`)]).annotate({
      description: "Sort field, `-` for descending; ties are broken by id. Default `created_at`"
    })
  )
})

/**
 * Documents `limit` as what it decodes to, an integer from 1 to
 * `maxPageSize` (effect documents a query parameter by its string encoding,
 * without the bounds). An `OpenApi.Transform` over the finished document.
 */
export const documentPageQuery = (spec: Record<string, any>): Record<string, any> => {
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
 * A page of a list: a JSON array in v1, the envelope in v2; in both, the
 * total, the collection's `Last-Modified` and the `next` link as headers.
 */
export const listSuccess = <S extends Schema.Top, V extends ApiVersion>(listable: Listable<S>, version: V) =>
  HttpApiSchema.WithHeaders(listBodySchema(listable, version), {
    "x-total-count": Schema.NumberFromString.annotate({ description: "How many match the filters, over all pages" }),
    "last-modified": Schema.optionalKey(LastModified.annotate({ description: "Last create, update or delete in the collection" })),
    link: Schema.optionalKey(Schema.String.annotate({ description: "`<url>; rel=\"next\"` while there are more" }))
  })

/** What `OPTIONS` on a collection answers: what a client may do there. */
export const Capabilities = Schema.Struct({
  methods: Schema.Array(Schema.String),
  default_page_size: IntBetween(1, maxPageSize),
  max_page_size: IntBetween(1, maxPageSize),
  filters: Schema.Array(Schema.Struct({
    name: Schema.String,
    type: Schema.String.annotate({ description: "The filter's value type, as in the OpenAPI parameter" }),
    repeatable: Schema.Boolean,
    description: Schema.String
  })),
  sort: Schema.Array(Schema.String)
}).annotate({ identifier: "Capabilities", description: "What a client may do on this collection" })
export type Capabilities = typeof Capabilities.Type

/** Both media types RFC 7396 allows for a merge patch body. */
const mergePatch = <S extends Schema.Top>(schema: S) =>
  [schema.pipe(HttpApiSchema.asJson({ contentType: "application/merge-patch+json" })), schema] as const

/** An `If-Match` / `If-None-Match` value: one or a few ETags (ours are short), or `*`. */
const ETagList = Schema.String.check(Schema.isMaxLength(1024))

const conditionalWrite = {
  "if-match": Schema.optionalKey(ETagList.annotate({
    description: "Only write if the resource still has this ETag (else 412); `*` only if it exists"
  }))
}

export interface ResourceContract<
  Name extends string,
  Id extends Schema.Top,
  Resource extends Schema.Top,
  Create extends Schema.Top,
  Patch extends Schema.Top,
  Query extends Schema.Struct.Fields,
  NotFound extends Schema.Top,
  IdTaken extends Schema.Top,
  WriteErrors extends ReadonlyArray<Schema.Top>,
  DeleteErrors extends ReadonlyArray<Schema.Top>
> {
  /** The collection's name and path segment, e.g. `animals`. */
  readonly name: Name
  /** Singular noun for summaries, e.g. `animal`. */
  readonly singular: string
  readonly description: string
  readonly Id: Id
  readonly Resource: Resource
  /** The v2 list envelope of the resource. */
  readonly Page: ListEnvelope<Resource>
  readonly Create: Create
  readonly Patch: Patch
  /** Filters, sort and page fields of the list's query string. */
  readonly query: Query
  readonly NotFound: NotFound
  /** A create named an id that exists (409). */
  readonly IdTaken: IdTaken
  /** Problems of create, replace and patch beyond not-found (unique fields taken, unknown references). */
  readonly writeErrors: WriteErrors
  /** Problems of delete beyond not-found (e.g. still referenced). */
  readonly deleteErrors: DeleteErrors
}

/**
 * The group of endpoints for one collection in one version, under
 * `/v<version>/<name>`: `animals` (v1, deprecated) and `animalsV2` share every
 * schema and differ only in the list's body.
 */
export const makeResourceGroup = <
  const Name extends string,
  Id extends Schema.Top,
  Resource extends Schema.Top,
  Create extends Schema.Top,
  Patch extends Schema.Top,
  Query extends Schema.Struct.Fields,
  NotFound extends Schema.Top,
  IdTaken extends Schema.Top,
  const WriteErrors extends ReadonlyArray<Schema.Top>,
  const DeleteErrors extends ReadonlyArray<Schema.Top>,
  V extends ApiVersion
>(
  contract: ResourceContract<Name, Id, Resource, Create, Patch, Query, NotFound, IdTaken, WriteErrors, DeleteErrors>,
  version: V
) => {
  const { NotFound, Resource, singular } = contract
  const params = { id: contract.Id }
  const single = HttpApiSchema.WithHeaders(Resource, { etag: ETag, "last-modified": LastModified })
  return HttpApiGroup.make(versionedName(contract.name, version))
    .add(
      HttpApiEndpoint.get("list", "/", {
        query: contract.query,
        success: listSuccess(contract, version),
        error: DatabaseUnavailable
      }).annotate(OpenApi.Summary, `List ${contract.name}`)
        .annotate(OpenApi.Description, "Keyset pages: follow the `next` link; no row is skipped or repeated when rows are added between pages."),
      HttpApiEndpoint.options("capabilities", "/", {
        success: HttpApiSchema.WithHeaders(Capabilities, { allow: Allow })
      }).annotate(OpenApi.Summary, `What can be done with ${contract.name}`)
        .annotate(OpenApi.Description, "The methods (also in `Allow`), the page sizes, and the filters and sort fields the list takes."),
      HttpApiEndpoint.post("create", "/", {
        headers: idempotencyHeaders,
        payload: contract.Create,
        success: HttpApiSchema.WithHeaders(Resource.pipe(HttpApiSchema.status(201)), {
          location: Schema.String.annotate({ description: `URL of the new ${singular}` }),
          etag: ETag,
          "last-modified": LastModified
        }),
        // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
        error: [contract.IdTaken, ...contract.writeErrors, DatabaseUnavailable]
      }).middleware(Idempotency)
        .middleware(WriteAccess)
        .annotate(OpenApi.Summary, `Create ${article(singular)}`)
        .annotate(OpenApi.Description, "The server generates the id unless the body carries one; an id that exists already is a 409."),
      HttpApiEndpoint.get("get", "/:id", {
        params,
        headers: {
          "if-none-match": Schema.optionalKey(ETagList.annotate({ description: "Answer 304 if the ETag still matches" }))
        },
        success: [
          single,
          HttpApiSchema.WithHeaders(HttpApiSchema.Empty(304), { etag: ETag })
        ],
        // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
        error: [NotFound, DatabaseUnavailable]
      }).annotate(OpenApi.Summary, `Get ${article(singular)}`)
        .annotate(OpenApi.Description, "With `If-None-Match` naming the current ETag (or `*`), a 304 without a body."),
      HttpApiEndpoint.options("options", "/:id", {
        params,
        success: HttpApiSchema.WithHeaders(HttpApiSchema.NoContent, { allow: Allow })
      }).annotate(OpenApi.Summary, `Methods allowed on ${article(singular)}`)
        .annotate(OpenApi.Description, "204 with the methods in `Allow`, whether or not the id exists."),
      HttpApiEndpoint.put("replace", "/:id", {
        params,
        headers: conditionalWrite,
        payload: contract.Create,
        success: single,
        // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
        error: [NotFound, PreconditionFailed, ...contract.writeErrors, DatabaseUnavailable]
      }).middleware(WriteAccess)
        .annotate(OpenApi.Summary, `Replace ${article(singular)}`)
        .annotate(OpenApi.Description, "Full replacement: optional fields left out are removed. An id in the body must equal the path id."),
      HttpApiEndpoint.patch("patch", "/:id", {
        params,
        headers: { ...conditionalWrite, ...idempotencyHeaders },
        payload: mergePatch(contract.Patch),
        success: single,
        // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
        error: [NotFound, PreconditionFailed, ...contract.writeErrors, DatabaseUnavailable]
      }).middleware(Idempotency)
        .middleware(WriteAccess)
        .annotate(OpenApi.Summary, `Update ${article(singular)} (JSON Merge Patch)`)
        .annotate(OpenApi.Description, "RFC 7396: fields left out keep their value, `null` removes an optional field."),
      HttpApiEndpoint.delete("delete", "/:id", {
        params,
        headers: conditionalWrite,
        success: HttpApiSchema.NoContent,
        // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
        error: [NotFound, PreconditionFailed, ...contract.deleteErrors, DatabaseUnavailable]
      }).middleware(WriteAccess)
        .annotate(OpenApi.Summary, `Delete ${article(singular)}`)
        .annotate(OpenApi.Description, "With `If-Match`, only if the resource still has that ETag (else 412).")
    )
    .prefix(versionPath(version, `/${contract.name}`))
    // Writes (the endpoints with WriteAccess) need `write:<collection>` of a bearer token, in every version.
    .annotate(RequiredScope, writeScope(contract.name))
    .annotateEndpointsMerge(versionAnnotations(version))
    .annotateMerge(OpenApi.annotations({ title: versionedTitle(capitalize(contract.name), version), description: contract.description }))
}
