/**
 * Filters, sorting and keyset cursors: declared once per collection, read by
 * the contract (query parameters), the capabilities document, and both
 * repository implementations (SQL and memory).
 */
import { Context, Effect, Option, Redacted, Result, Schema } from "effect"
import { Mac } from "effect/crypto"
import { Base64Url } from "effect/encoding"
import { isLengthBetween } from "./Fields.ts"

/**
 * How a filter compares a column: `in` (one of several values, the parameter
 * repeats), `eq`, `after` / `before` (exclusive bounds), `prefix`
 * (case-insensitive start of the text), `linked` (the row is linked to the
 * value through a link table, e.g. an animal to the zookeepers caring for it).
 */
export type FilterKind = "in" | "eq" | "after" | "before" | "prefix" | "linked"

/**
 * A many-to-many link table: each row links an owner to a member, e.g. a
 * zookeeper (`zookeeper_id`) to an animal in their care (`animal_id`).
 */
export interface LinkTable {
  readonly table: string
  readonly owner: string
  readonly member: string
}

interface FilterFields<S extends Schema.Top> {
  /** The column compared; for `linked`, the column the link table's member column names. */
  readonly column: string
  readonly schema: S
  /** The value type as the capabilities document names it. */
  readonly type: string
  readonly description: string
  /** For `in`: how many values the parameter may repeat (their number: a repeat adds nothing). */
  readonly maxValues?: number
}

export type Filter<S extends Schema.Top = Schema.Top> =
  | FilterFields<S> & { readonly kind: Exclude<FilterKind, "linked"> }
  | FilterFields<S> & { readonly kind: "linked"; readonly through: LinkTable }

export type Filters = Readonly<Record<string, Filter>>

/** Rows whose value is one of several (the parameter repeats); the capabilities name the type after the column. */
export const oneOfFilter = <S extends Schema.Top & { readonly literals: ReadonlyArray<unknown> }>(
  column: string,
  schema: S,
  description: string
) => ({ kind: "in", column, schema, type: column, description, maxValues: schema.literals.length }) as const

/**
 * Rows whose text starts with the value, ignoring case; no longer than the
 * longest text stored (100), and text a column can hold (its `pattern`): a
 * prefix may end in a space ("Leo "), so it is not held to the name rules.
 */
export const prefixFilter = (column: string, description: string) =>
  ({ kind: "prefix", column, schema: Schema.String.check(isLengthBetween(1, 100)), type: "string", description }) as const

/** The query-string fields of a set of filters. */
export type FilterQuery<F extends Filters> = {
  readonly [K in keyof F]: Schema.optionalKey<F[K]["kind"] extends "in" ? Schema.$Array<F[K]["schema"]> : F[K]["schema"]>
}

/** How many values a repeatable filter takes when its filter does not say. */
const maxFilterValues = 20

export const filterQuery = <F extends Filters>(filters: F): FilterQuery<F> => {
  const fields: Record<string, Schema.Top> = {}
  for (const [name, filter] of Object.entries(filters)) {
    const schema = filter.kind === "in"
      ? Schema.Array(filter.schema).check(Schema.isMaxLength(filter.maxValues ?? maxFilterValues))
      : filter.schema
    fields[name] = Schema.optionalKey(schema.annotate({ description: filter.description }))
  }
  return fields as FilterQuery<F>
}

/** The filters without the one a path fixes, e.g. an animals list under `/habitats/{id}` has no `habitat_id` filter. */
export const withoutFilter = <F extends Filters, K extends keyof F>(filters: F, name: K): Omit<F, K> => {
  const { [name]: _fixed, ...rest } = filters
  return rest
}

/**
 * The collections a list reads: its own, and the link tables its filters go
 * through, so its `Last-Modified` moves when a link is made or removed too.
 */
export const collectionsRead = (table: string, filters: Filters, values: Readonly<Record<string, unknown>>): Array<string> => [
  table,
  ...Object.entries(values).flatMap(([name, value]) => {
    const filter = filters[name]
    return filter?.kind === "linked" && value !== undefined ? [filter.through.table] : []
  })
]

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

/** The position after the last row of a page: its sort value (as the field's type: text or a number) and id. */
export interface Position {
  readonly value: string | number
  readonly id: string
}

/**
 * What a cursor carries. The sort and filters it was made with travel inside
 * it, so a client cannot combine a cursor with a different query by mistake.
 */
const CursorPayload = Schema.Struct({
  sort: Schema.String,
  filters: Schema.Record(Schema.String, Schema.Unknown),
  // Ids are UUIDs: a forged id must be refused here, not by the database (a 500).
  after: Schema.Struct({ value: Schema.Union([Schema.String, Schema.Number]), id: Schema.String.check(Schema.isUUID()) })
})
export type CursorPayload = typeof CursorPayload.Type

const CursorJson = Schema.fromJsonString(CursorPayload)
const decodeCursorJson = Schema.decodeUnknownOption(CursorJson)

/** The bytes of a cursor's part; `undefined` for text that is not unpadded base64url. */
const fromBase64Url = (text: string): Uint8Array<ArrayBuffer> | undefined =>
  // Copied into a buffer of its own: WebCrypto takes views of an `ArrayBuffer` only.
  Result.getOrUndefined(Result.map(Base64Url.decode(text), (bytes) => new Uint8Array(bytes)))

const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

/** The HMAC-SHA-256 key cursors are signed with, made from its secret once, when first used. */
export interface CursorKey {
  readonly key: Effect.Effect<Mac.Key>
}

/**
 * The key of a secret, kept with it: effect's `Mac` signs with it through
 * `node:crypto` on Node (`NodeCrypto.layerMac`, synchronous, where WebCrypto's
 * `subtle.sign` is a round trip through the thread pool) and through WebCrypto
 * on Deno and Bun, which imports the key once per key.
 */
export const cursorKey = (secret: Redacted.Redacted<string>): CursorKey => {
  let made: Mac.Key | undefined
  // A secret is never empty (`CURSOR_SECRET` has 32 characters at least), and only an empty one is refused.
  const make = Effect.orDie(Mac.key(Mac.hmacSha256, utf8.encode(Redacted.value(secret))))
  return { key: Effect.suspend(() => (made === undefined ? Effect.map(make, (key) => (made = key)) : Effect.succeed(made))) }
}

const developmentCursorSecret = Redacted.make("zoo-api development cursor secret")

/**
 * The key cursors are signed with (HMAC-SHA-256), so that an edited or
 * made-up cursor is a 400 before anything in it is used. Replicas behind one
 * load balancer must share its secret to resume each other's cursors:
 * `main.ts` sets it from `CURSOR_SECRET`, else from `DATABASE_URL` (which
 * every replica of one database shares), else (one process: PGlite or
 * memory) this default.
 */
export const CursorSecret = Context.Reference<CursorKey>("zoo-api/Shared/CursorSecret", {
  defaultValue: () => cursorKey(developmentCursorSecret)
})

/** The secret as configured: `CURSOR_SECRET`, else derived from the database all replicas share, else the default. */
export const cursorSecretFrom = (config: {
  readonly cursorSecret: Option.Option<Redacted.Redacted<string>>
  readonly databaseUrl: Option.Option<Redacted.Redacted<string>>
}): Redacted.Redacted<string> =>
  Option.match(config.cursorSecret, {
    onSome: (secret) => secret,
    onNone: () =>
      Option.match(config.databaseUrl, {
        onSome: (url) => Redacted.make(`zoo-api cursor secret for ${Redacted.value(url)}`),
        onNone: () => developmentCursorSecret
      })
  })

/**
 * Cursors, signed with the {@link CursorSecret} of the request's context by
 * effect's `Mac`, taken once, when the handlers are built.
 */
export const makeCursors = Effect.map(Mac.Mac, (mac) => ({
  /** Opaque to clients: `<base64url of JSON>.<base64url of its HMAC>`. Not a secret, only a signed position. */
  encode: Effect.fnUntraced(function*(payload: CursorPayload) {
    const key = yield* (yield* CursorSecret).key
    // Ours, typed: plain JSON, without a pass through the schema (5–10 µs a cursor).
    const json = utf8.encode(JSON.stringify(payload))
    // Signing with a key `Mac.key` made cannot fail.
    const tag = yield* Effect.orDie(mac.sign(key, json))
    return `${Base64Url.encode(json)}.${Base64Url.encode(tag)}`
  }),
  /** `undefined` for anything that is not a cursor we made (its signature does not hold): a 400 for the caller. */
  decode: Effect.fnUntraced(function*(cursor: string) {
    const [body, signature, ...rest] = cursor.split(".")
    const json = body === undefined ? undefined : fromBase64Url(body)
    const tag = signature === undefined ? undefined : fromBase64Url(signature)
    if (json === undefined || tag === undefined || rest.length > 0) return undefined
    const key = yield* (yield* CursorSecret).key
    if (!(yield* Effect.orDie(mac.verify(key, tag, json)))) return undefined
    let text: string
    try {
      text = strictUtf8.decode(json)
    } catch {
      return undefined
    }
    return Option.getOrUndefined(decodeCursorJson(text))
  })
}))

/**
 * For each sort field, whether a cursor's position is a value of the field,
 * by the field's own schema (its type, bounds and format): a position the
 * database could not compare (`"1e3"` for an integer, a timestamp in year 0)
 * is a 400 here, never a failed query. Checked even on a signed cursor: the
 * development secret is public.
 */
export const sortValueCheck = (fields: Readonly<Record<string, Schema.Top>>, sortFields: ReadonlyArray<string>) => {
  const checks = new Map<string, (value: unknown) => boolean>()
  for (const field of sortFields) {
    const schema = fields[field]
    if (schema === undefined) continue
    const decode = Schema.decodeUnknownOption(Schema.toType(schema))
    checks.set(field, (value) => Option.isSome(decode(value)))
  }
  return (field: string, value: unknown) => checks.get(field)?.(value) ?? false
}
