/**
 * The pieces every resource's representations are made of: its id, display
 * names, the fields the server sets, and the merge patch of its writable
 * fields. Each domain writes its own schemas out with them.
 */
import { Schema, SchemaAST } from "effect"
import { isName, Timestamp, Version } from "./Fields.ts"

/**
 * A UUID as the server writes it: in lower case. RFC 9562 lets readers accept
 * either case, but PostgreSQL would fold an upper-case id and the memory store
 * would not; one spelling keeps the two stores (and every client's cache keys)
 * in agreement, and an upper-case id is a 400 that says so.
 */
const lowerCaseUuid = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/

/**
 * A resource identifier: a lower-case UUID. Each collection brands its own
 * (`Shared/Ids.ts`), so ids of different collections do not mix.
 */
export const ResourceId = (description: string, example: string) =>
  // A UUID is 36 characters; saying so bounds the input for linters and generators.
  Schema.String.check(
    Schema.isPattern(lowerCaseUuid, {
      expected: "a UUID in lower case",
      toJsonSchema: () => ({ pattern: lowerCaseUuid.source, format: "uuid" })
    }),
    Schema.isMaxCodePoints(36)
  ).annotate({ description, examples: [example] })

/**
 * A name shown to people: `min` to 100 characters, counted as Unicode code
 * points (five emoji are five), as a person typed it (`isName`).
 */
export const DisplayName = (min: number, example: string) =>
  Schema.String.check(isName(min, 100)).annotate({
    description: `Name, ${min} to 100 characters (Unicode code points); ${nameRules}`,
    examples: [example]
  })

/** The rules of every name, as the documentation states them beside the `pattern`. */
export const nameRules =
  "not blank, no leading or trailing whitespace, no control characters (C0, DEL, C1) and no bidirectional overrides or isolates (U+202A to U+202E, U+2066 to U+2069)"

/**
 * The fields of a JSON Merge Patch (RFC 7396) of these writable fields: each
 * may be left out; `null` is allowed where the field is optional, and removes it.
 */
export type MergePatchFields<F extends Schema.Struct.Fields> = {
  readonly [K in keyof F]: F[K] extends Schema.optionalKey<infer S extends Schema.Constraint> ? Schema.optionalKey<Schema.NullOr<S>>
    : Schema.optionalKey<F[K]>
}

/** An optional field of a struct: its `schema` is the value's. */
const isOptionalKey = (field: Schema.Constraint): field is Schema.optionalKey<Schema.Top> =>
  SchemaAST.isOptional(field.ast) && "schema" in field

export const mergePatchFields = <F extends Schema.Struct.Fields>(fields: F): MergePatchFields<F> => {
  const patch: Record<string, Schema.Top> = {}
  for (const [key, field] of Object.entries(fields)) {
    patch[key] = isOptionalKey(field) ? Schema.optionalKey(Schema.NullOr(field.schema)) : Schema.optionalKey(field)
  }
  return patch as MergePatchFields<F>
}

/** What the server sets on every stored resource, after its writable fields. */
export const storedFields = { created_at: Timestamp, updated_at: Timestamp, version: Version }
