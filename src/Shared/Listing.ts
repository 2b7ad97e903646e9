/**
 * Filters, sorting and keyset cursors: declared once per collection, read by
 * the contract (query parameters), the capabilities document, and both
 * repository implementations (SQL and memory).
 */
import { Schema } from "effect"

/**
 * How a filter compares a column: `in` (one of several values, the parameter
 * repeats), `eq`, `after` / `before` (exclusive bounds), `prefix`
 * (case-insensitive start of the text).
 */
export type FilterKind = "in" | "eq" | "after" | "before" | "prefix"

export interface Filter<S extends Schema.Top = Schema.Top> {
  readonly kind: FilterKind
  readonly column: string
  readonly schema: S
  /** The value type as the capabilities document names it. */
  readonly type: string
  readonly description: string
}

export type Filters = Readonly<Record<string, Filter>>

/** The query-string fields of a set of filters. */
export type FilterQuery<F extends Filters> = {
  readonly [K in keyof F]: Schema.optionalKey<F[K]["kind"] extends "in" ? Schema.$Array<F[K]["schema"]> : F[K]["schema"]>
}

export const filterQuery = <F extends Filters>(filters: F): FilterQuery<F> => {
  const fields: Record<string, Schema.Top> = {}
  for (const [name, filter] of Object.entries(filters)) {
    const schema = filter.kind === "in" ? Schema.Array(filter.schema) : filter.schema
    fields[name] = Schema.optionalKey(schema.annotate({ description: filter.description }))
  }
  return fields as FilterQuery<F>
}

/** A sort order: a field and a direction; ties are always broken by id, ascending with the field. */
export interface Sort {
  readonly field: string
  readonly descending: boolean
}

export const parseSort = (sort: string | undefined): Sort =>
  sort === undefined
    ? { field: "created_at", descending: false }
    : sort.startsWith("-")
    ? { field: sort.slice(1), descending: true }
    : { field: sort, descending: false }

/** The position after the last row of a page: its sort value and id. */
export interface Position {
  readonly value: string
  readonly id: string
}

/**
 * What a cursor carries. The sort and filters it was made with travel inside
 * it, so a client cannot combine a cursor with a different query by mistake.
 */
const CursorPayload = Schema.Struct({
  sort: Schema.String,
  filters: Schema.Record(Schema.String, Schema.Unknown),
  after: Schema.Struct({ value: Schema.String, id: Schema.String })
})
export type CursorPayload = typeof CursorPayload.Type

const CursorJson = Schema.fromJsonString(CursorPayload)
const encodeCursorJson = Schema.encodeSync(CursorJson)
const decodeCursorJson = Schema.decodeUnknownOption(CursorJson)

const toBase64Url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")

const fromBase64Url = (text: string): string | undefined => {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"))
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
  } catch {
    return undefined
  }
}

/** Opaque to clients: base64url of JSON. Not a secret, only a position. */
export const encodeCursor = (payload: CursorPayload): string => toBase64Url(encodeCursorJson(payload))

/** `undefined` for anything that is not a cursor we made: a 400 for the caller. */
export const decodeCursor = (cursor: string): CursorPayload | undefined => {
  const json = fromBase64Url(cursor)
  if (json === undefined) return undefined
  const decoded = decodeCursorJson(json)
  return decoded._tag === "Some" ? decoded.value : undefined
}
