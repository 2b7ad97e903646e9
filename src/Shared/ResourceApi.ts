/**
 * The HTTP contract every collection shares: list (keyset pages, filters,
 * sort), capabilities (OPTIONS), create, get (conditional), replace, merge
 * patch and delete (both conditional on `If-Match`). A resource declares its
 * schemas and problems; the endpoints, headers and statuses come from here.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { DatabaseUnavailable, PreconditionFailed } from "../Errors.ts"

export const defaultPageSize = 20
export const maxPageSize = 100

const ETag = Schema.String.annotate({ description: "Strong entity tag of this version of the resource", examples: ["\"1\""] })
const LastModified = Schema.String.annotate({
  description: "When this changed last (RFC 9110 HTTP-date)",
  examples: ["Mon, 05 Jan 2026 10:00:00 GMT"]
})
const Allow = Schema.String.annotate({ description: "The methods this path supports", examples: ["GET, HEAD, POST, OPTIONS"] })

/** The page controls every list takes. */
export const pageQuery = <const Sort extends ReadonlyArray<string>>(sortFields: Sort) => ({
  limit: Schema.optionalKey(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: maxPageSize })).annotate({
      description: `Page size, 1 to ${maxPageSize} (default ${defaultPageSize})`,
      examples: [defaultPageSize]
    })
  ),
  cursor: Schema.optionalKey(Schema.String.annotate({
    description: "Opaque position from the `next` link of the previous page; keeps the filters and sort it was made with"
  })),
  sort: Schema.optionalKey(
    Schema.Literals([...sortFields, ...sortFields.map((field) => `-${field}` as `-${Sort[number]}`)]).annotate({
      description: "Sort field, `-` for descending; ties are broken by id. Default `created_at`"
    })
  )
})

/** A page of a list: a JSON array, with the total, the collection's `Last-Modified` and the `next` link as headers. */
export const listSuccess = <S extends Schema.Top>(Resource: S) =>
  HttpApiSchema.WithHeaders(Schema.Array(Resource), {
    "x-total-count": Schema.NumberFromString.annotate({ description: "How many match the filters, over all pages" }),
    "last-modified": Schema.optionalKey(LastModified.annotate({ description: "Last create, update or delete in the collection" })),
    link: Schema.optionalKey(Schema.String.annotate({ description: "`<url>; rel=\"next\"` while there are more" }))
  })

/** What `OPTIONS` on a collection answers: what a client may do there. */
export const Capabilities = Schema.Struct({
  methods: Schema.Array(Schema.String),
  default_page_size: Schema.Int,
  max_page_size: Schema.Int,
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

const conditionalWrite = {
  "if-match": Schema.optionalKey(Schema.String.annotate({
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

/** The group of endpoints for one collection, under `/v1/<name>`. */
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
  const DeleteErrors extends ReadonlyArray<Schema.Top>
>(contract: ResourceContract<Name, Id, Resource, Create, Patch, Query, NotFound, IdTaken, WriteErrors, DeleteErrors>) => {
  const { NotFound, Resource, singular } = contract
  const params = { id: contract.Id }
  const single = HttpApiSchema.WithHeaders(Resource, { etag: ETag, "last-modified": LastModified })
  return HttpApiGroup.make(contract.name)
    .add(
      HttpApiEndpoint.get("list", "/", {
        query: contract.query,
        success: listSuccess(Resource),
        error: DatabaseUnavailable
      }).annotate(OpenApi.Summary, `List ${contract.name}`)
        .annotate(OpenApi.Description, "Keyset pages: follow the `next` link; no row is skipped or repeated when rows are added between pages."),
      HttpApiEndpoint.options("capabilities", "/", {
        success: HttpApiSchema.WithHeaders(Capabilities, { allow: Allow })
      }).annotate(OpenApi.Summary, `What can be done with ${contract.name}`),
      HttpApiEndpoint.post("create", "/", {
        payload: contract.Create,
        success: HttpApiSchema.WithHeaders(Resource.pipe(HttpApiSchema.status(201)), {
          location: Schema.String.annotate({ description: `URL of the new ${singular}` }),
          etag: ETag,
          "last-modified": LastModified
        }),
        // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
        error: [contract.IdTaken, ...contract.writeErrors, DatabaseUnavailable]
      }).annotate(OpenApi.Summary, `Create ${article(singular)}`)
        .annotate(OpenApi.Description, "The server generates the id unless the body carries one; an id that exists already is a 409."),
      HttpApiEndpoint.get("get", "/:id", {
        params,
        headers: {
          "if-none-match": Schema.optionalKey(Schema.String.annotate({ description: "Answer 304 if the ETag still matches" }))
        },
        success: [
          single,
          HttpApiSchema.WithHeaders(HttpApiSchema.Empty(304), { etag: ETag })
        ],
        // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
        error: [NotFound, DatabaseUnavailable]
      }).annotate(OpenApi.Summary, `Get ${article(singular)}`),
      HttpApiEndpoint.options("options", "/:id", {
        params,
        success: HttpApiSchema.WithHeaders(HttpApiSchema.NoContent, { allow: Allow })
      }).annotate(OpenApi.Summary, `Methods allowed on ${article(singular)}`),
      HttpApiEndpoint.put("replace", "/:id", {
        params,
        headers: conditionalWrite,
        payload: contract.Create,
        success: single,
        // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
        error: [NotFound, PreconditionFailed, ...contract.writeErrors, DatabaseUnavailable]
      }).annotate(OpenApi.Summary, `Replace ${article(singular)}`)
        .annotate(OpenApi.Description, "Full replacement: optional fields left out are removed. An id in the body must equal the path id."),
      HttpApiEndpoint.patch("patch", "/:id", {
        params,
        headers: conditionalWrite,
        payload: mergePatch(contract.Patch),
        success: single,
        // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
        error: [NotFound, PreconditionFailed, ...contract.writeErrors, DatabaseUnavailable]
      }).annotate(OpenApi.Summary, `Update ${article(singular)} (JSON Merge Patch)`)
        .annotate(OpenApi.Description, "RFC 7396: fields left out keep their value, `null` removes an optional field."),
      HttpApiEndpoint.delete("delete", "/:id", {
        params,
        headers: conditionalWrite,
        success: HttpApiSchema.NoContent,
        // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
        error: [NotFound, PreconditionFailed, ...contract.deleteErrors, DatabaseUnavailable]
      }).annotate(OpenApi.Summary, `Delete ${article(singular)}`)
    )
    .prefix(`/v1/${contract.name}`)
    .annotateMerge(OpenApi.annotations({ title: capitalize(contract.name), description: contract.description }))
}

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`)
const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1)
