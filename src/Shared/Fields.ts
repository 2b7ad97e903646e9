/**
 * Field schemas every resource shares: dates, timestamps, row versions; and
 * bounded strings and integers, documented with their bounds at the top of
 * their JSON Schema (`maxLength`, `minimum`/`maximum`, `format`), where
 * OpenAPI linters (Spectral's OWASP rules) and code generators look.
 */
import { Schema } from "effect"

/**
 * Text every backend stores exactly as written: no U+0000 (PostgreSQL's
 * `text` cannot hold it: the write failed, a 500), no surrogate that is not
 * half of a pair (UTF-8 cannot encode one: PostgreSQL stored U+FFFD instead),
 * no leading U+FEFF (@effect/sql-pg 4.0.5 drops a leading byte-order mark
 * when it reads some text back: its fallback `TextDecoder` lacks `ignoreBOM`).
 * Refused, rather than lost. As the document states it: a JSON Schema
 * `pattern` is an ECMA-262 regular expression with the `u` flag (as JSON
 * Schema validators compile it), where `[\uD800-\uDFFF]` matches only a
 * surrogate that is not half of a pair.
 */
const storableText = /^(?!\uFEFF)[^\u0000\uD800-\uDFFF]*$/u

/** A character a name may hold: none of C0, DEL, C1, the bidirectional overrides and isolates, a lone surrogate. */
const nameCharacter = "\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069\\uD800-\\uDFFF"

/**
 * Text a person typed (every `name`, `nickname`): not blank, no
 * leading or trailing whitespace (U+FEFF is whitespace too), no control
 * characters (C0, DEL, C1), no bidirectional overrides or isolates
 * (U+202A–U+202E, U+2066–U+2069) that could make it read as something else.
 * One character that is not a space, or two with any allowed in between.
 */
const nameText = new RegExp(`^[^\\s${nameCharacter}](?:[^${nameCharacter}]*[^\\s${nameCharacter}])?$`, "u")

const controlCharacter = /[\u0000-\u001F\u007F-\u009F]/u
const bidiControl = /[\u202A-\u202E\u2066-\u2069]/u
const unpairedSurrogate = /[\uD800-\uDFFF]/u

/** Why `value` is not a name, in words, if it is not; every rule is also in {@link nameText}. */
const nameProblem = (value: string): string | undefined =>
  value.trim() === ""
    ? "Expected a name that is not blank"
    : value.trim() !== value
    ? "Expected a name without leading or trailing whitespace"
    : controlCharacter.test(value)
    ? "Expected a name without control characters (U+0000 to U+001F, U+007F to U+009F)"
    : bidiControl.test(value)
    ? "Expected a name without bidirectional overrides (U+202A to U+202E, U+2066 to U+2069)"
    : unpairedSurrogate.test(value)
    ? "Expected text without unpaired surrogates"
    : undefined

/**
 * `min` to `max` characters, counted as Unicode code points, as JSON Schema's
 * `minLength`/`maxLength` count them (effect documents `isBetweenCodePoints`
 * as an `allOf`, which linters do not read), and one more rule stated as the
 * `pattern` beside them. One filter, not several, so the document keeps its
 * flat `minLength`/`maxLength`/`pattern`.
 */
const isTextBetween = (min: number, max: number, pattern: RegExp, problem: (value: string) => string | undefined) => {
  const length = Schema.isBetweenCodePoints(min, max)
  return Schema.makeFilter<string>(
    (value, ast, options) => length.run(value, ast, options) !== undefined ? false : problem(value) ?? true,
    {
      expected: `a string with between ${min} and ${max} code points`,
      toJsonSchema: () => ({ minLength: min, maxLength: max, pattern: pattern.source })
    }
  )
}

/**
 * Text of `min` to `max` code points that every backend stores as written
 * ({@link storableText}); every text filter is bounded by this.
 */
export const isLengthBetween = (min: number, max: number) =>
  isTextBetween(
    min,
    max,
    storableText,
    (value) => storableText.test(value) ? undefined : "Expected text without U+0000, unpaired surrogates or a leading U+FEFF"
  )

/** A name of `min` to `max` code points ({@link nameText}): a 400 naming the field says which rule it broke. */
export const isName = (min: number, max: number) => isTextBetween(min, max, nameText, nameProblem)

const int32Max = 2_147_483_647

/** An integer from `minimum` to `maximum`, documented with both bounds and its `format` (`int32` when it fits, else `int64`). */
export const IntBetween = (minimum: number, maximum: number) =>
  Schema.Int.check(Schema.isBetween({ minimum, maximum }, {
    toJsonSchema: () => ({ minimum, maximum, format: minimum >= -int32Max - 1 && maximum <= int32Max ? "int32" : "int64" })
  }))

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/

/**
 * True when `y-m-d` names a day that exists (no 2023-02-30), from 0001-01-01
 * on: PostgreSQL has no year 0 (ISO 8601's 0000 is its 1 BC).
 */
const isRealDate = (value: string): boolean => {
  const match = isoDate.exec(value)
  if (match === null) return false
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])]
  // `setUTCFullYear`, not `Date.UTC`: the latter reads years 0-99 as 1900-1999.
  const date = new Date(0)
  date.setUTCFullYear(y, m - 1, d)
  return y >= 1 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
}

/** A calendar date, `YYYY-MM-DD`, that exists. Kept as its string: it is stored and sent as is. */
export const CalendarDate = Schema.String.check(
  Schema.makeFilter(isRealDate, {
    expected: "a real calendar date in the form YYYY-MM-DD",
    // The pattern says what `format: date` does not: PostgreSQL has no year 0000.
    toJsonSchema: () => ({ format: "date", maxLength: 10, pattern: "^(?!0000)\\d{4}-\\d{2}-\\d{2}$" })
  }, true) // abort: "not in the future" means nothing for a date that does not exist
).annotate({ examples: ["2019-04-12"] })

/** Today in UTC as `YYYY-MM-DD`; ISO dates compare correctly as strings. */
const todayUtc = (): string => new Date().toISOString().slice(0, 10)

/** A calendar date that is not in the future (UTC). */
export const PastDate = CalendarDate.check(
  Schema.makeFilter((value: string) => value <= todayUtc(), { expected: "a date that is not in the future" })
)

/** `Date#toISOString`'s form for years 0001 to 9999: what RFC 3339 allows and PostgreSQL stores (it has no year 0). */
const isoTimestamp = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/**
 * An RFC 3339 timestamp set by the server: UTC with milliseconds, exactly as
 * `Date#toISOString` writes it (and the SQL layer selects it), from year 0001
 * to 9999. Checked so that a forged cursor position cannot reach the database
 * as a timestamp it cannot read (year 0, `+275760-…`, `-000001-…`).
 */
export const Timestamp = Schema.String.check(
  Schema.makeFilter((value: string) => isoTimestamp.test(value) && new Date(value).toISOString() === value, {
    expected: "an RFC 3339 timestamp in UTC with milliseconds",
    toJsonSchema: () => ({})
  })
).annotate({
  description: "RFC 3339 timestamp, set by the server",
  format: "date-time",
  examples: ["2026-01-05T10:00:00.000Z"]
})

/** The row version: starts at 1, grows by one with every write; the ETag is made from it. An `integer` column. */
export const Version = IntBetween(1, int32Max).annotate({
  description: "Row version, incremented on every write",
  examples: [1]
})
