/**
 * The API's versions (SPEC §5). `/v2` serves the same resources, handlers
 * and repositories as `/v1` with one breaking change: a list answers an
 * envelope `{ items, next_cursor, total }` instead of a bare array. `/v1`
 * keeps working, deprecated. What differs between versions is said here
 * once: group names and titles, paths, the list body, and deprecation.
 */
import { Schema } from "effect"
import { OpenApi } from "effect/http-api"
import { IntBetween } from "./Fields.ts"

export type ApiVersion = 1 | 2

/** Every version served, the current one first (so the docs show it first). */
export const apiVersions = [2, 1] as const satisfies ReadonlyArray<ApiVersion>

/** The version clients should use; the others are deprecated. */
export const currentVersion = 2 satisfies ApiVersion

const isDeprecated = (version: ApiVersion) => version !== currentVersion

/** `/v1/animals`, `/v2/animals`. */
export const versionPath = <V extends ApiVersion, const Path extends `/${string}`>(version: V, path: Path) =>
  `/v${version}${path}` as const

/** A group's identifier in a version: `animals` in v1 (where it began), `animalsV2` in v2. */
export type VersionedName<Name extends string, V extends ApiVersion> = V extends 1 ? Name : `${Name}V${V}`

export const versionedName = <const Name extends string, V extends ApiVersion>(name: Name, version: V) =>
  (version === 1 ? name : `${name}V${version}`) as VersionedName<Name, V>

/** A group's title (its tag in the docs): `Animals` in the current version, `Animals (v1, deprecated)` in the others. */
export const versionedTitle = (title: string, version: ApiVersion) =>
  isDeprecated(version) ? `${title} (v${version}, deprecated)` : title

/** The OpenAPI annotations of every operation of a version: `deprecated: true` for a retired one. */
export const versionAnnotations = (version: ApiVersion) =>
  OpenApi.annotations({ deprecated: isDeprecated(version) || undefined })

// ---------------------------------------------------------------------------
// Lists: a bare array in v1, an envelope in v2.
// ---------------------------------------------------------------------------

/** The most rows a page holds: `limit` is at most this. */
export const maxPageSize = 100

/** A page's rows: at most `maxPageSize`. */
const Rows = <S extends Schema.Top>(Resource: S) => Schema.Array(Resource).check(Schema.isMaxLength(maxPageSize))

/** The v2 list body: a page of rows, the cursor of the next page, and how many match over all pages. */
export const ListEnvelope = <S extends Schema.Top>(Resource: S, identifier: string) =>
  Schema.Struct({
    items: Rows(Resource).annotate({ description: "This page's rows, in the requested order" }),
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
  (version === 1 ? Rows(listable.Resource) : listable.Page) as ListBodySchema<S, V>

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

/**
 * Documents, on every response of every operation of a deprecated version,
 * the headers `Http/Deprecation.ts` sends there: `Deprecation`, `Sunset`
 * and the `successor-version` link. An `OpenApi.Transform` over the finished
 * document (the values come from the configuration, not from the contract).
 */
export const documentRetirement = (spec: Record<string, any>): Record<string, any> => {
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
