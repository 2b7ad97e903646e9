/**
 * The building blocks of every collection's endpoints: the list's page
 * controls and response headers, the capabilities document, ETag and
 * conditional headers, merge-patch bodies. Each domain's `*Api.ts` declares
 * its endpoints with them (list, capabilities, create, get, replace, merge
 * patch, delete), path by path.
 */
import { Schema } from "effect"
import { HttpApiSchema } from "effect/http-api"
import { IntBetween } from "./Fields.ts"
import { maxPageSize } from "./Versions.ts"

export const defaultPageSize = 20

export const limitDescription = `Page size, 1 to ${maxPageSize} (default ${defaultPageSize})`

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
 * A page of a list: its body (a JSON array in v1, the envelope in v2) and, in
 * both, the total, the collection's `Last-Modified` and the `next` link as headers.
 */
export const listSuccess = <S extends Schema.Top>(body: S) =>
  HttpApiSchema.WithHeaders(body, {
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

/** `OPTIONS` on a collection: what a client may do there, and the methods in `Allow`. */
export const capabilitiesSuccess = HttpApiSchema.WithHeaders(Capabilities, { allow: Allow })

/** `OPTIONS` on one resource: 204 with the methods in `Allow`. */
export const optionsSuccess = HttpApiSchema.WithHeaders(HttpApiSchema.NoContent, { allow: Allow })

/** One resource, with the validators a later conditional request sends back. */
export const resourceSuccess = <S extends Schema.Top>(Resource: S) =>
  HttpApiSchema.WithHeaders(Resource, { etag: ETag, "last-modified": LastModified })

/** A created resource: 201, where it lives now, and its validators. */
export const createdSuccess = <S extends Schema.Top>(Resource: S, location: string) =>
  HttpApiSchema.WithHeaders(Resource.pipe(HttpApiSchema.status(201)), {
    location: Schema.String.annotate({ description: location }),
    etag: ETag,
    "last-modified": LastModified
  })

/** A conditional GET whose `If-None-Match` holds: 304, no body. */
export const notModified = HttpApiSchema.WithHeaders(HttpApiSchema.Empty(304), { etag: ETag })

/** Both media types RFC 7396 allows for a merge patch body. */
export const mergePatch = <S extends Schema.Top>(schema: S) =>
  [schema.pipe(HttpApiSchema.asJson({ contentType: "application/merge-patch+json" })), schema] as const

/** An `If-Match` / `If-None-Match` value: one or a few ETags (ours are short), or `*`. */
const ETagList = Schema.String.check(Schema.isMaxLength(1024))

/** The headers of a conditional GET. */
export const conditionalRead = {
  "if-none-match": Schema.optionalKey(ETagList.annotate({ description: "Answer 304 if the ETag still matches" }))
}

/** The headers of a conditional write (replace, merge patch, delete). */
export const conditionalWrite = {
  "if-match": Schema.optionalKey(ETagList.annotate({
    description: "Only write if the resource still has this ETag (else 412); `*` only if it exists"
  }))
}

/** What the endpoints of every collection say of themselves, beyond their summary. */
export const endpointDescriptions = {
  list: "Keyset pages: follow the `next` link; no row is skipped or repeated when rows are added between pages.",
  capabilities: "The methods (also in `Allow`), the page sizes, and the filters and sort fields the list takes.",
  create: "The server generates the id unless the body carries one; an id that exists already is a 409.",
  get: "With `If-None-Match` naming the current ETag (or `*`), a 304 without a body.",
  options: "204 with the methods in `Allow`, whether or not the id exists.",
  replace: "Full replacement: optional fields left out are removed. An id in the body must equal the path id.",
  patch: "RFC 7396: fields left out keep their value, `null` removes an optional field.",
  delete: "With `If-Match`, only if the resource still has that ETag (else 412)."
} as const
