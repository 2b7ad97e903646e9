/**
 * The representations every resource has, made from its writable fields: the
 * body of a create or a replacement, the body of a merge patch, and the
 * stored resource as reads return it.
 */
import { Schema, SchemaAST } from "effect"
import { isName, Timestamp, Version } from "./Fields.ts"
import { article, capitalize } from "./Text.ts"

/**
 * A UUID as the server writes it: in lower case. RFC 9562 lets readers accept
 * either case, but PostgreSQL would fold an upper-case id and the memory store
 * would not; one spelling keeps the two stores (and every client's cache keys)
 * in agreement, and an upper-case id is a 400 that says so.
 */
const lowerCaseUuid = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/

/** A resource identifier: a lower-case UUID, branded so ids of different collections do not mix. */
export const ResourceId = <const Brand extends string>(brand: Brand, description: string, example: string) =>
  // A UUID is 36 characters; saying so bounds the input for linters and generators.
  Schema.String.check(
    Schema.isPattern(lowerCaseUuid, {
      expected: "a UUID in lower case",
      toJsonSchema: () => ({ pattern: lowerCaseUuid.source, format: "uuid" })
    }),
    Schema.isMaxCodePoints(36)
  ).pipe(
    // `brand` is one literal per collection; the library's single-key check cannot resolve a type parameter.
    Schema.brand<Brand>(brand as never),
    Schema.annotate({ description, examples: [example as any] })
  )

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

export const mergePatchFields = <F extends Schema.Struct.Fields>(fields: F): MergePatchFields<F> => {
  const patch: Record<string, Schema.Top> = {}
  for (const [key, field] of Object.entries(fields)) {
    patch[key] = SchemaAST.isOptional(field.ast)
      ? Schema.optionalKey(Schema.NullOr((field as unknown as Schema.optionalKey<Schema.Top>).schema))
      : Schema.optionalKey(field)
  }
  return patch as MergePatchFields<F>
}

/**
 * The three representations of a resource named `Name` (the OpenAPI
 * identifiers are `<Name>Create`, `<Name>Patch` and `<Name>`). Optional
 * fields are `optionalKey`: absent or a value, never `null`, because `null`
 * means "remove" in a merge patch.
 */
export const resourceSchemas = <const Name extends string, Id extends Schema.Top, const F extends Schema.Struct.Fields>(
  name: Name,
  options: {
    /** Singular noun for descriptions, e.g. `animal`. */
    readonly singular: string
    readonly description: string
    readonly Id: Id
    readonly fields: F
  }
) => {
  const { Id, fields, singular } = options
  return {
    /** The body of `POST` and `PUT`: the writable fields, and the id when the client chooses it. */
    Create: Schema.Struct({ id: Schema.optionalKey(Id), ...fields }).annotate({
      identifier: `${name}Create`,
      description: `${capitalize(article(singular))} to create, or the full replacement of one`
    }),
    /** The body of `PATCH`: every field optional; `null` removes an optional field and is an error on a required one. */
    Patch: Schema.Struct(mergePatchFields(fields)).annotate({
      identifier: `${name}Patch`,
      description: `A JSON Merge Patch (RFC 7396) of ${article(singular)}: fields left out keep their value, null removes an optional one`
    }),
    /** The stored resource, as every read returns it. */
    Resource: Schema.Struct({ id: Id, ...fields, created_at: Timestamp, updated_at: Timestamp, version: Version }).annotate({
      identifier: name,
      description: options.description
    })
  }
}
