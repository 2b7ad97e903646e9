/**
 * fast-check arbitraries for the fuzz suite (`test/Fuzz.test.ts`), derived
 * from the field rules README.md states: for each rule, values it accepts and
 * values it must refuse; and one table describing the three collections by
 * those rules, from which every property makes its bodies, patches, query
 * strings and paths. Besides: hostile JSON documents, bytes, paths and header
 * values, and the check every response must pass.
 *
 * Hostile bodies are JSON *text*, put together by hand (`objectText`): only
 * text can hold what `JSON.stringify` never writes, such as `1e400`, a
 * 400-digit number, a key twice, or `__proto__` as a plain key.
 */
import { assert } from "@effect/vitest"
import fc from "fast-check"

// ---------------------------------------------------------------------------
// Field rules
// ---------------------------------------------------------------------------

/** What a field accepts, as README.md words it. */
export type Rule =
  | { readonly kind: "text"; readonly min: number; readonly max: number }
  | { readonly kind: "oneOf"; readonly values: ReadonlyArray<string> }
  | { readonly kind: "pastDate" }
  | { readonly kind: "int"; readonly min: number; readonly max: number }
  | { readonly kind: "email" }
  /** A UUID of a version from 1 to 8 (the contract's ids). */
  | { readonly kind: "uuid" }
  /** The id of a row of another collection (the rows the property made beforehand). */
  | { readonly kind: "reference"; readonly collection: string }

export interface Field {
  readonly rule: Rule
  /** May be left out; `null` removes it in a merge patch (and is refused anywhere else). */
  readonly optional?: boolean
  /** No two rows may share it: `uniquely` rewrites generated values so that none do. */
  readonly unique?: boolean
}

/** Ids of existing rows, by collection, for `reference` fields. */
export type Refs = Readonly<Record<string, ReadonlyArray<string>>>

/**
 * A list's filter as README.md states it: the values it takes (`species`,
 * `climate`: one of the field's values; `uuid`; `date`: a real calendar date;
 * `string`: 1 to 100 code points) and, for one that repeats, how often.
 */
export interface FuzzFilter {
  readonly type: "species" | "climate" | "uuid" | "date" | "string"
  readonly maxValues?: number
}

/** The species and climates README.md lists, written out here (not read from `src`). */
export const species = ["lion", "tiger", "elephant", "monkey", "zebra", "panda"] as const
export const climates = ["tropical", "arid", "temperate", "polar", "aquatic"] as const

/** One collection as the fuzz properties see it, by hand: its filters, sort fields and field rules. */
export interface FuzzCollection {
  readonly name: string
  readonly filters: Readonly<Record<string, FuzzFilter>>
  readonly sortFields: ReadonlyArray<string>
  readonly fields: Readonly<Record<string, Field>>
  /** A body known to be valid (once `uniquely` made it unique): the health check's write. */
  readonly example: Readonly<Record<string, unknown>>
}

export const fuzzCollections: ReadonlyArray<FuzzCollection> = [
  {
    name: "animals",
    filters: {
      species: { type: "species", maxValues: species.length },
      habitat_id: { type: "uuid" },
      zookeeper_id: { type: "uuid" },
      born_after: { type: "date" },
      born_before: { type: "date" },
      name: { type: "string" }
    },
    sortFields: ["name", "date_of_birth", "created_at"],
    fields: {
      name: { rule: { kind: "text", min: 5, max: 100 } },
      date_of_birth: { rule: { kind: "pastDate" } },
      species: { rule: { kind: "oneOf", values: species } },
      nickname: { rule: { kind: "text", min: 1, max: 100 }, optional: true },
      habitat_id: { rule: { kind: "reference", collection: "habitats" }, optional: true }
    },
    example: { name: "Leo the Lion", date_of_birth: "2019-04-12", species: "lion" }
  },
  {
    name: "habitats",
    filters: { climate: { type: "climate", maxValues: climates.length }, name: { type: "string" } },
    sortFields: ["name", "capacity", "created_at"],
    fields: {
      name: { rule: { kind: "text", min: 2, max: 100 }, unique: true },
      climate: { rule: { kind: "oneOf", values: climates } },
      capacity: { rule: { kind: "int", min: 1, max: 1000 } }
    },
    example: { name: "Savanna", climate: "arid", capacity: 12 }
  },
  {
    name: "zookeepers",
    filters: { name: { type: "string" } },
    sortFields: ["name", "hired_on", "created_at"],
    fields: {
      name: { rule: { kind: "text", min: 2, max: 100 } },
      email: { rule: { kind: "email" }, unique: true },
      hired_on: { rule: { kind: "pastDate" } }
    },
    example: { name: "Sam Keeper", email: "sam.keeper@zoo.example", hired_on: "2020-02-02" }
  }
]

export const collectionNamed = (name: string): FuzzCollection => fuzzCollections.find((c) => c.name === name)!

/** The fields the server sets; a client never writes them. */
export const serverFields = ["id", "created_at", "updated_at", "version"] as const

/** `id`, optional on create and replace (where it must be the path's). */
const idField: Field = { rule: { kind: "uuid" }, optional: true }

// ---------------------------------------------------------------------------
// Valid values
// ---------------------------------------------------------------------------

/**
 * Code points the storage and transport layers are likeliest to get wrong:
 * controls, line and paragraph separators, BOM, noncharacters, combining and
 * bidi marks, astral ones, characters whose case mapping changes their
 * length, and the ones that mean something in SQL `LIKE`, URLs or JSON.
 */
const awkwardCodePoints = [
  "\u0001", "\t", "\n", "\r", "\u001f", "\u007f", "\u0085", "\u00a0", "\u2028", "\u2029", "\ufeff", "\ufffd", "\ufffe",
  "\uffff", "\u{10ffff}", "\u{1f981}", "\u0301", "\u202e", "\u200d", "İ", "ß", "ǅ", "ﬀ", "Σ", "'", "\"", "\\", "%", "_",
  "*", "?", "&", "=", "+", "#", "/", " "
]

/** One code point (never U+0000, never half a surrogate pair): text fields count in code points. */
const codePoint = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  // Any code point of any plane ("binary" never makes half a surrogate pair).
  { weight: 3, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom(...awkwardCodePoints) }
).filter((c) => c !== "\u0000")

/** Text of `min` to `max` code points that every backend must store as sent (a leading U+FEFF is refused). */
export const text = (min: number, max: number) =>
  fc.string({ unit: codePoint, minLength: min, maxLength: max }).filter((value) => !value.startsWith("\ufeff"))

/**
 * Names (every `name`, `nickname`) as SPEC §3 has them: text a person typed,
 * so no leading or trailing whitespace, no C0/C1 control characters, no
 * bidirectional overrides or isolates.
 */
const notInNames = /^\s|\s$|[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u
export const nameText = (min: number, max: number) => text(min, max).filter((value) => !notInNames.test(value))

/** Text a name refuses though it can be stored: padded, with a control character or a bidirectional override. */
const unnamely = (valid: fc.Arbitrary<string>) =>
  fc.oneof(
    valid.map((value) => ` ${value}`),
    valid.map((value) => `${value}\t`),
    insertInto(valid, fc.constantFrom("\u0001", "\n", "\u007f", "\u0085", "\u202e", "\u2066"))
  )

const isoDay = (date: Date) => date.toISOString().slice(0, 10)

/** `YYYY-MM-DD` from 0001-01-01 to today (fast-check favours both ends), and leap days. */
export const pastDate = fc.oneof(
  fc.date({ min: new Date("0001-01-01T00:00:00.000Z"), max: new Date(), noInvalidDate: true }).map(isoDay),
  fc.constantFrom("0004-02-29", "1600-02-29", "2000-02-29", "2024-02-29", "0099-12-31")
)

/** An address the HTML form rule accepts: fast-check's are RFC 5321 ones (ASCII, dotted domain); room left for `uniquely`. */
const email = fc.emailAddress().filter((address) => address.length <= 240)

/** A UUID in the canonical (lower-case) form, of a version the contract accepts (1 to 8). */
export const uuid = fc.uuid({ version: [1, 2, 3, 4, 5, 6, 7, 8] })

export const validValue = (rule: Rule, refs: Refs): fc.Arbitrary<unknown> => {
  switch (rule.kind) {
    case "text":
      return nameText(rule.min, rule.max)
    case "oneOf":
      return fc.constantFrom(...rule.values)
    case "pastDate":
      return pastDate
    case "int":
      return fc.integer({ min: rule.min, max: rule.max })
    case "email":
      return email
    case "uuid":
      return uuid
    case "reference":
      return fc.constantFrom(...refs[rule.collection]!)
  }
}

/** A create or replace body: every required field, each optional one or not, and sometimes a client-chosen id. */
export const validBody = (collection: FuzzCollection, refs: Refs, withId = true): fc.Arbitrary<Record<string, unknown>> => {
  const fields: Record<string, Field> = withId ? { id: idField, ...collection.fields } : collection.fields
  return fc.record(
    Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, validValue(field.rule, refs)])),
    { requiredKeys: Object.entries(fields).filter(([, field]) => !field.optional).map(([name]) => name) }
  )
}

/** A merge patch: any subset of the fields, `null` (remove) for optional ones. */
export const validPatch = (collection: FuzzCollection, refs: Refs): fc.Arbitrary<Record<string, unknown>> =>
  fc.record(
    Object.fromEntries(Object.entries(collection.fields).map(([name, field]) => {
      const value = validValue(field.rule, refs)
      return [name, field.optional ? fc.oneof(value, fc.constant(null)) : value]
    })),
    { requiredKeys: [] }
  )

let uniqueCounter = 0

/**
 * `body` with its unique fields (and a client-chosen id) rewritten so that no
 * other body of the run has them: generators repeat values, and a repeat
 * would be a 409, not the round trip under test. Still valid by the rules.
 */
export const uniquely = <B extends Readonly<Record<string, unknown>>>(collection: FuzzCollection, body: B): B => {
  const n = ++uniqueCounter
  const result: Record<string, unknown> = { ...body }
  for (const [name, field] of Object.entries(collection.fields)) {
    const value = result[name]
    if (!field.unique || typeof value !== "string") continue
    result[name] = field.rule.kind === "email"
      ? `u${n}.${value}`
      // A text rule: a numbered prefix, cut back to the maximum in code points.
      : [...`${n}~${value}`].slice(0, field.rule.kind === "text" ? field.rule.max : undefined).join("")
  }
  // The last group of a UUID carries no version or variant bits.
  if (typeof result.id === "string") result.id = `${result.id.slice(0, 24)}${n.toString(16).padStart(12, "0")}`
  return result as B
}

// ---------------------------------------------------------------------------
// Invalid values (as JSON text)
// ---------------------------------------------------------------------------

const json = (value: unknown) => JSON.stringify(value)

/** Numbers as JSON text that no JavaScript number holds exactly: overflow, underflow, 2^64, 400 digits, -0. */
export const hugeNumber = fc.constantFrom(
  "1e400",
  "-1e400",
  "1e-400",
  "18446744073709551616",
  "9007199254740993",
  `1${"0".repeat(400)}`,
  `-${"9".repeat(400)}`,
  `0.${"0".repeat(400)}1`,
  "-0"
)

/** `[[[…]]]` or `{"a":{"a":…}}`, thousands of levels deep. */
export const deepNesting = fc.record({
  depth: fc.constantFrom(1_000, 10_000, 100_000),
  objects: fc.boolean()
}).map(({ depth, objects }) => (objects ? `${"{\"a\":".repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}${"]".repeat(depth)}`))

/**
 * JSON values no field accepts: wrong types, huge numbers, deep nesting (no
 * plain small numbers: an integer field takes some). `null` is added where
 * the rule refuses it.
 */
const wrongType = fc.oneof(
  fc.constantFrom("true", "false", "[]", "{}", "[\"lion\"]", "{\"__proto__\":{\"polluted\":1}}"),
  hugeNumber,
  deepNesting,
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }).map(json)
)

/** Inserts `inserted` between two code points of `value` (never inside a surrogate pair). */
const insertInto = (value: fc.Arbitrary<string>, inserted: fc.Arbitrary<string>) =>
  fc.tuple(value, inserted, fc.nat()).map(([text, piece, at]) => {
    const points = [...text]
    points.splice(at % (points.length + 1), 0, piece)
    return points.join("")
  })

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code))

/** Dates that do not exist, are written otherwise, or are in the future. */
const badDate = fc.oneof(
  fc.constantFrom(
    "2023-02-29", "1900-02-29", "2021-04-31", "2021-13-01", "2021-00-10", "2021-01-00", "0000-01-01", "10000-01-01",
    "2021-1-1", "20210101", "2021/01/01", "2021-01-01T00:00:00Z", " 2021-01-01", "2021-01-01 ", "٢٠٢١-٠١-٠١",
    "２０２１-０１-０１", "9999-12-31", ""
  ),
  fc.date({ min: new Date(Date.now() + 2 * 86_400_000), max: new Date("9999-12-31T00:00:00.000Z"), noInvalidDate: true }).map(isoDay),
  fc.string({ maxLength: 12 })
)

/** Values a rule refuses, as JSON text. */
export const invalidValue = (rule: Rule): fc.Arbitrary<string> => {
  const specific: fc.Arbitrary<string> = (() => {
    switch (rule.kind) {
      case "text": {
        const valid = nameText(rule.min, rule.max)
        return fc.oneof(
          text(0, rule.min - 1),
          text(rule.max + 1, rule.max + 20),
          unnamely(valid),
          // What PostgreSQL cannot store, or UTF-8 cannot encode.
          insertInto(valid, fc.constant("\u0000")),
          insertInto(valid, loneSurrogate)
        ).map(json)
      }
      case "oneOf":
        return fc.oneof(
          fc.constantFrom(...rule.values).chain((value) => fc.constantFrom(value.toUpperCase(), ` ${value}`, `${value}\u0000`, `${value}s`)),
          fc.string().filter((value) => !rule.values.includes(value))
        ).map(json)
      case "pastDate":
        return badDate.map(json)
      case "int":
        return fc.oneof(
          fc.integer({ max: rule.min - 1 }).map(json),
          fc.integer({ min: rule.max + 1 }).map(json),
          fc.double({ min: rule.min, max: rule.max, noNaN: true }).filter((n) => !Number.isInteger(n)).map(json),
          fc.integer({ min: rule.min, max: rule.max }).map((n) => json(String(n))),
          hugeNumber
        )
      case "email":
        return fc.oneof(
          fc.constantFrom(
            "keeper", "keeper@zoo", "@zoo.example", "keeper@", "keeper@.example", "kéeper@zoo.example", "keeper@zoo..example",
            "\"keeper\"@zoo.example", "keeper @zoo.example", "keeper@zoo.example\u0000", `${"k".repeat(250)}@zoo.example`, ""
          ),
          fc.string().filter((value) => !value.includes("@"))
        ).map(json)
      case "uuid":
      case "reference":
        return invalidUuid
    }
  })()
  return fc.oneof({ weight: 3, arbitrary: specific }, { weight: 1, arbitrary: wrongType })
}

/** Strings that are not a UUID the contract accepts, as JSON text. */
const invalidUuid = fc.oneof(
  fc.constantFrom(
    "not-a-uuid", "{0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f}", "0b9d2c4e7f1a4e0b9c1d2a3b4c5d6e7f", "0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7",
    "0b9d2c4e-7f1a-9e0b-9c1d-2a3b4c5d6e7f", "0b9d2c4e-7f1a-4e0b-7c1d-2a3b4c5d6e7f", "0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f\u0000", ""
  ),
  uuid.map((id) => `${id}x`)
).map(json)

// ---------------------------------------------------------------------------
// Hostile bodies
// ---------------------------------------------------------------------------

/** A JSON object as its members in order, each value already JSON text: keys may repeat. */
export type Members = ReadonlyArray<readonly [key: string, value: string]>

export const objectText = (members: Members) => `{${members.map(([key, value]) => `${json(key)}:${value}`).join(",")}}`

/** What the body is for: a create or replace (every required field, no `null`) or a merge patch. */
export type BodyMode = "create" | "patch"

/** Keys no collection has, some of them special to JavaScript objects. */
const excessKey = fc.oneof(
  fc.constantFrom(
    "__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty", "created_at", "updated_at", "version",
    "Name", "name ", "", "\u0000", "𝒩ame"
  ),
  fc.string()
)

/**
 * A body made invalid on purpose: a valid one, then one to three changes,
 * each of which alone makes it a 400 naming that key: a field set to a value
 * its rule refuses (replacing the valid one, or after it as a repeated key,
 * which the last occurrence wins), a required field left out, or a key the
 * schema does not have. Returns the text and the keys the 400 must name.
 */
export const invalidBody = (collection: FuzzCollection, mode: BodyMode, refs: Refs) => {
  const fields: Record<string, Field> = mode === "create" ? { id: idField, ...collection.fields } : collection.fields
  const names = Object.keys(fields)
  const wrong = fc.constantFrom(...names).chain((key) => {
    const field = fields[key]!
    // `null` is refused on create and replace, and on required fields in a patch.
    const refusesNull = mode === "create" || !field.optional
    const value = refusesNull ? fc.oneof({ weight: 5, arbitrary: invalidValue(field.rule) }, fc.constant("null")) : invalidValue(field.rule)
    return fc.record({ kind: fc.constant("wrong" as const), key: fc.constant(key), value, repeat: fc.boolean() })
  })
  const required = names.filter((name) => !fields[name]!.optional)
  const missing = fc.record({ kind: fc.constant("missing" as const), key: fc.constantFrom(...required) })
  const excess = fc.record({
    kind: fc.constant("excess" as const),
    // In a patch, `id` is not a field either.
    key: excessKey.filter((key) => !Object.hasOwn(fields, key)),
    value: fc.oneof(fc.jsonValue({ maxDepth: 2 }).map(json), wrongType)
  })
  const change = mode === "create" && required.length > 0 ? fc.oneof(wrong, missing, excess) : fc.oneof(wrong, excess)
  const base = mode === "create" ? validBody(collection, refs, false) : validPatch(collection, refs)
  return fc.tuple(base, fc.array(change, { minLength: 1, maxLength: 3 })).map(([body, changes]) => {
    let members: Array<readonly [string, string]> = Object.entries(uniquely(collection, body)).map(([key, value]) => [key, json(value)])
    for (const change of changes) {
      if (change.kind === "missing") members = members.filter(([key]) => key !== change.key)
      else if (change.kind === "excess" || change.repeat) members.push([change.key, change.value])
      else members = [...members.filter(([key]) => key !== change.key), [change.key, change.value]]
    }
    return { text: objectText(members), keys: [...new Set(changes.map((change) => change.key))] }
  })
}

/**
 * JSON text that is no body of any endpoint: not an object, not JSON at all
 * (cut short, quoted wrongly, JavaScript rather than JSON), empty, or nested
 * thousands of levels deep.
 */
export const hostileDocument = (collection: FuzzCollection, refs: Refs) =>
  fc.oneof(
    fc.constantFrom("null", "true", "0", "\"animal\"", "[]", "[{}]", "\"\"", "", " ", "\n"),
    hugeNumber,
    fc.jsonValue().filter((value) => typeof value !== "object" || value === null || Array.isArray(value)).map(json),
    validBody(collection, refs).map((body) => json([body])),
    deepNesting.filter((text) => text.startsWith("[")),
    fc.constantFrom(
      "{", "}", "{\"name\":}", "{'name':'Leo the Lion'}", "{\"name\":\"Leo\",}", "{name:\"Leo\"}", "{\"capacity\":NaN}",
      "{\"capacity\":Infinity}", "{\"capacity\":0x10}", "{\"capacity\":01}", "{\"capacity\":+1}", "{\"a\":1}/*x*/",
      "{\"name\":\"\\ud800\\\"}", "{\"name\":\"\\x41\"}", "{\"name\":\"tab\there\"}"
    ),
    // A valid body cut short.
    fc.tuple(validBody(collection, refs), fc.nat()).map(([body, at]) => {
      const text = json(body)
      return text.slice(0, at % text.length)
    })
  ).filter((text) => {
    try {
      const value: unknown = JSON.parse(text)
      return typeof value !== "object" || value === null || Array.isArray(value)
    } catch {
      return true
    }
  })

/** Byte sequences that are not UTF-8: stray continuation, overlong, surrogates, past U+10FFFF, cut short, never-valid bytes. */
export const invalidUtf8 = fc.oneof(
  fc.constantFrom(
    [0x80], [0xbf], [0xc0, 0xaf], [0xc1, 0xbf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0xa6], [0xfe], [0xff], [0xff, 0xfe]
  ),
  fc.array(fc.integer({ min: 0x80, max: 0xff }), { minLength: 1, maxLength: 4 })
).map((bytes) => Uint8Array.from(bytes))

/** A valid body's UTF-8 with invalid bytes put somewhere in it (mostly inside a string: strings are most of a body). */
export const bodyWithInvalidUtf8 = (collection: FuzzCollection, refs: Refs) =>
  fc.tuple(validBody(collection, refs), invalidUtf8, fc.nat()).map(([body, bad, at]) => {
    const bytes = new TextEncoder().encode(json(uniquely(collection, body)))
    const cut = at % (bytes.length + 1)
    return Uint8Array.from([...bytes.subarray(0, cut), ...bad, ...bytes.subarray(cut)])
  })

// ---------------------------------------------------------------------------
// Query strings, paths and headers
// ---------------------------------------------------------------------------

/** Percent-encodes the UTF-8 of `value` (a lone surrogate becomes U+FFFD, as in any URL). */
export const percentEncode = (value: string) =>
  [...new TextEncoder().encode(value)].map((byte) => {
    const char = String.fromCharCode(byte)
    return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
  }).join("")

/** Percent-escapes that decode to nothing sensible: NUL, not hex, cut short, invalid or overlong UTF-8, an encoded slash. */
export const percentJunk = fc.constantFrom("%00", "%ZZ", "%", "%2", "%C0%AF", "%ED%A0%80", "%FF", "%E2%82", "%2F", "%2e%2e", "%u0041", "%25", "%0A")

/** A query parameter as sent: its value either percent-encoded, or raw (junk escapes kept as they are). */
export interface QueryParam {
  readonly name: string
  readonly value: string
  readonly raw?: boolean
  /**
   * Whether the contract accepts this value for this name alone: `true`,
   * `false` (a 400 naming it: a refused value, or a name the list does not
   * read), or `undefined` where either answer is right (a forged cursor).
   */
  readonly valid: boolean | undefined
}

export const queryString = (params: ReadonlyArray<QueryParam>) =>
  params.map(({ name, raw, value }) => `${percentEncode(name)}=${raw ? value : percentEncode(value)}`).join("&")

const param = (name: string, value: fc.Arbitrary<string>, valid: boolean | undefined) =>
  value.map((v): QueryParam => ({ name, value: v, valid }))

const hostileText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 20 }),
  insertInto(text(1, 10), fc.constantFrom("\u0000", "\ud800")),
  text(101, 120),
  hugeNumber,
  fc.constant("")
)

/** Text no value of `values` is (a generated string could, by rare chance, be one). */
const noneOf = (values: ReadonlyArray<string>, arbitrary: fc.Arbitrary<string>) => arbitrary.filter((value) => !values.includes(value))

/** A value, valid three times in four, so that whole queries are valid often enough to reach the lists. */
const mostlyValid = (name: string, valid: fc.Arbitrary<string>, invalid: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 3, arbitrary: param(name, valid, true) }, { weight: 1, arbitrary: param(name, invalid, false) })

/** `YYYY-MM-DD` in digits: whether it is a real date is the server's to say. */
const dateShaped = /^\d{4}-\d{2}-\d{2}$/

/** Dates a filter refuses: not real, or not written `YYYY-MM-DD` (a future date is a fine bound). */
const badFilterDate = fc.oneof(
  fc.constantFrom("2021-02-30", "2023-02-29", "1900-02-29", "2021-04-31", "2021-13-01", "2021-00-10", "2021-01-00", "0000-01-01"),
  fc.oneof(badDate, hostileText).filter((value) => !dateShaped.test(value))
)

/** Names a prefix filter refuses: over 100 code points, a U+0000, a leading U+FEFF, empty. */
const badName = fc.oneof(
  text(101, 120),
  insertInto(text(1, 10), fc.constant("\u0000")),
  text(1, 10).map((value) => `\ufeff${value}`),
  fc.constant("")
)

/** Values of one filter, from its declared type. */
const filterParam = (name: string, filter: FuzzFilter, refs: Refs): fc.Arbitrary<QueryParam> => {
  switch (filter.type) {
    case "species":
      return mostlyValid(name, fc.constantFrom(...species), noneOf(species, hostileText))
    case "climate":
      return mostlyValid(name, fc.constantFrom(...climates), noneOf(climates, hostileText))
    case "uuid":
      return mostlyValid(name, fc.oneof(uuid, fc.constantFrom(...Object.values(refs).flat())), hostileText)
    case "date":
      return mostlyValid(name, fc.oneof(pastDate, fc.constantFrom("9999-12-31", "2999-01-01")), badFilterDate)
    case "string":
      return fc.oneof(
        { weight: 3, arbitrary: mostlyValid(name, text(1, 100), badName) },
        // Odd text that may or may not be a name (a lone surrogate arrives as U+FFFD): never a 5xx.
        { weight: 1, arbitrary: param(name, hostileText, undefined) }
      )
  }
}

/** A cursor as the server makes one (base64url of JSON), here with any content. */
export const cursorOf = (payload: unknown) => Buffer.from(json(payload), "utf8").toString("base64url")

/** Positions a forged cursor may carry: sort values of every type and none, and ids. */
export const cursorPosition = fc.record({
  value: fc.oneof(
    fc.constantFrom(
      "", "5", "5.5", "1001", "0x10", "NaN", "Infinity", "2019-04-12", "2021-02-30", "0050-03-01", "2026-01-05T10:00:00.000Z", "yesterday"
    ),
    hostileText
  ),
  id: fc.oneof(uuid, fc.constantFrom("not-a-uuid", "00000000-0000-0000-0000-000000000000"))
})

/**
 * A list's query string: page controls and the collection's filters with
 * valid and invalid values, unknown and special names, junk escapes; and
 * sometimes a cursor: random text, or one forged for this very sort and these
 * filters (so it reaches the position's checks and the database).
 */
export const listQuery = (collection: FuzzCollection, refs: Refs) => {
  const sorts = collection.sortFields.flatMap((field) => [field, `-${field}`])
  const stringFilters = Object.entries(collection.filters).filter(([, filter]) => filter.type === "string").map(([name]) => name)
  const params = fc.oneof(
    mostlyValid(
      "limit",
      fc.integer({ min: 1, max: 100 }).map(String),
      fc.oneof(fc.constantFrom("0", "101", "-1", "1.5", "1e400", "abc", "", " 5", "0x10"), hugeNumber)
    ),
    mostlyValid(
      "sort",
      fc.constantFrom(...sorts),
      noneOf(sorts, fc.oneof(fc.constantFrom("-", "--name", "NAME", "name,created_at", "id", "+name", ""), hostileText))
    ),
    param("cursor", fc.oneof(fc.base64String().map((s) => s.replace(/=/g, "")), fc.string(), fc.constant("a".repeat(5000))), false),
    ...Object.entries(collection.filters).map(([name, filter]) => filterParam(name, filter, refs)),
    // Names the list does not read: a 400 naming them (SPEC §3). An empty name (`=x`) is not a parameter at all.
    fc.constantFrom("foo", "__proto__", "constructor", "LIMIT", "limit[]", "species[]", "")
      .map((name): QueryParam => ({ name, value: "x", valid: name === "" ? undefined : false })),
    // Junk escapes: never a limit, sort, cursor, date, id or enum value; some decode to fine text ("%25" is "%").
    fc.tuple(fc.constantFrom(...["limit", "sort", "cursor", ...Object.keys(collection.filters)]), percentJunk).map(([name, value]): QueryParam => ({
      name,
      value,
      raw: true,
      valid: stringFilters.includes(name) ? undefined : false
    }))
  )
  return fc.record({ params: fc.array(params, { maxLength: 6 }), forgedCursor: fc.option(cursorPosition, { freq: 2, nil: undefined }) })
}

/** Path segments: ids that exist or not, in other spellings, web segments, junk escapes, Unicode, dots, long ones. */
export const pathSegment = (ids: ReadonlyArray<string>) =>
  fc.oneof(
    fc.constantFrom(...ids),
    uuid,
    uuid.map((id) => id.toUpperCase()),
    fc.webSegment(),
    percentJunk,
    text(1, 8).map(percentEncode),
    fc.constantFrom("..", ".", "", "~", "*", "animals", "habitats", "zookeepers", "v1", "v2", "docs", "healthz", "%76%31"),
    fc.string({ minLength: 200, maxLength: 1000 }).map(percentEncode)
  )

/**
 * Header values `fetch` can send (it refuses NUL, CR, LF and anything past
 * U+00FF, and trims spaces): printable ASCII, tabs, and Latin-1 (obs-text).
 */
export const headerText = fc.string({
  unit: fc.oneof(
    { weight: 5, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.constantFrom("\t", "\u00a0", "\u00e9", "\u00ff", "\u0080") }
  ),
  maxLength: 40
})

/** Values of the headers the API reads, realistic and not. */
export const headerValues = {
  accept: fc.oneof(
    fc.constantFrom(
      "application/json", "application/problem+json", "*/*", "application/*", "text/html", "application/xml", "*/*;q=0",
      "application/json;q=0", "application/json;q=0.0, text/html", "application/json;q=abc", "text/*, application/json;q=0.1", ""
    ),
    headerText
  ),
  "if-match": fc.oneof(
    fc.constantFrom("*", "\"1\"", "\"2\"", "W/\"1\"", "\"1\", \"2\"", "\"\"", "\"99999999999999999999\"", "\"-1\"", "1", ","),
    fc.constant(`"${"1".repeat(1100)}"`),
    headerText
  ),
  "if-none-match": fc.oneof(
    fc.constantFrom("*", "\"1\"", "W/\"1\"", "\"1\", \"2\"", "\"\"", ", ,"),
    fc.constant(`"${"1".repeat(1100)}"`),
    headerText
  ),
  "x-request-id": fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._-]{1,128}$/),
    fc.constantFrom("a".repeat(129), "with space", "semi;colon", "ünïcode", ""),
    headerText
  ),
  "content-type": fc.oneof(
    fc.constantFrom(
      "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/merge-patch+json", "text/plain",
      "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json-patch+json",
      "application/jsonx", "json", "application/json; charset=latin1", "application/json; charset=utf-16", ";", ""
    ),
    headerText
  )
} as const

// ---------------------------------------------------------------------------
// What every response must be
// ---------------------------------------------------------------------------

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
}

/**
 * Never a 5xx. No body where HTTP has none (HEAD, 204, 304). Every other
 * error an `application/problem+json` body whose `status` is the response's.
 */
export const assertWellFormed = (method: string, answer: Answer, context: string) => {
  const about = `${context} -> ${answer.status} ${answer.text.slice(0, 300)}`
  assert.isBelow(answer.status, 500, about)
  if (method === "HEAD" || answer.status === 204 || answer.status === 304) {
    assert.strictEqual(answer.text, "", about)
    return
  }
  if (answer.status < 400) return
  assert.strictEqual(answer.headers.get("content-type"), "application/problem+json", about)
  let problem: any
  assert.doesNotThrow(() => problem = JSON.parse(answer.text), about)
  assert.strictEqual(problem.status, answer.status, about)
  assert.isString(problem.title, about)
}
