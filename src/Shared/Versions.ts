/**
 * The API's versions. `/v2` serves the same resources, handlers and
 * repositories as `/v1` with one breaking change: a list answers an envelope
 * `{ items, next_cursor, total }` instead of a bare array. `/v1` keeps
 * working, deprecated. What the handlers need to tell the versions apart is
 * here: paths, the list body, which version is current.
 */
import { Schema } from "effect"
import { IntBetween } from "./Fields.ts"

export type ApiVersion = 1 | 2

/** Every version served, the current one first (so the docs show it first). */
export const apiVersions = [2, 1] as const satisfies ReadonlyArray<ApiVersion>

/** The version clients should use; the others are deprecated. */
export const currentVersion = 2 satisfies ApiVersion

/** Every version but the current one is deprecated. */
export const isDeprecated = (version: ApiVersion) => version !== currentVersion

/** `/v1/animals`, `/v2/animals`. */
export const versionPath = <V extends ApiVersion, const Path extends `/${string}`>(version: V, path: Path) =>
  `/v${version}${path}` as const

// ---------------------------------------------------------------------------
// Lists: a bare array in v1, an envelope in v2.
// ---------------------------------------------------------------------------

/** The most rows a page holds: `limit` is at most this. */
export const maxPageSize = 100

/** A page's rows, the v1 list body: at most `maxPageSize`. */
export const PageRows = <S extends Schema.Top>(Resource: S) => Schema.Array(Resource).check(Schema.isMaxLength(maxPageSize))

/** The v2 list body: a page of rows, the cursor of the next page, and how many match over all pages. */
export const ListEnvelope = <S extends Schema.Top>(Resource: S, identifier: string) =>
  Schema.Struct({
    items: PageRows(Resource).annotate({ description: "This page's rows, in the requested order" }),
    next_cursor: Schema.NullOr(Schema.String).annotate({
      description: "Pass as `cursor`, with the same filters and sort, for the next page; `null` on the last page"
    }),
    total: IntBetween(0, Number.MAX_SAFE_INTEGER).annotate({
      description: "How many rows match the filters, over all pages"
    })
  }).annotate({ identifier, description: "A page of a list: rows, the next page's cursor, the total" })

export type ListEnvelope<S extends Schema.Top> = ReturnType<typeof ListEnvelope<S>>

/** The schema of a list's body in a version. */
export type ListBodySchema<S extends Schema.Top, V extends ApiVersion> = V extends 1 ? Schema.$Array<S> : ListEnvelope<S>

/** What a collection offers the list of every version: its resource, and its (one) envelope schema. */
export interface Listable<S extends Schema.Top> {
  readonly Resource: S
  readonly Page: ListEnvelope<S>
}

export const listBodySchema = <S extends Schema.Top, V extends ApiVersion>(listable: Listable<S>, version: V) =>
  (version === 1 ? PageRows(listable.Resource) : listable.Page) as ListBodySchema<S, V>

/** What a list handler found: the rows, the total, and the cursor after the last row while there are more. */
export interface ListPage<R> {
  readonly items: ReadonlyArray<R>
  readonly total: number
  readonly nextCursor: string | undefined
}

/** A list's body in a version, as a handler returns it. */
export type ListBody<R, V extends ApiVersion> = V extends 1 ? ReadonlyArray<R>
  : { readonly items: ReadonlyArray<R>; readonly next_cursor: string | null; readonly total: number }

export const listBody = <R, V extends ApiVersion>(version: V, page: ListPage<R>) =>
  (version === 1
    ? page.items
    : { items: page.items, next_cursor: page.nextCursor ?? null, total: page.total }) as ListBody<R, V>
