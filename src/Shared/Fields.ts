/**
 * Field schemas every resource shares: dates, timestamps, row versions; and
 * bounded strings and integers, documented with their bounds at the top of
 * their JSON Schema (`maxLength`, `minimum`/`maximum`, `format`), where
 * OpenAPI linters (Spectral's OWASP rules) and code generators look.
 */
import { Schema } from "effect"

/**
 * U+0000, a surrogate that is not half of a pair (with the `u` flag, a pair
 * is one code point), or a leading U+FEFF (a byte-order mark).
 */
const unstorableCharacter = /^\ufeff|[\0\p{Cs}]/u

/**
 * `min` to `max` characters, counted as Unicode code points, as JSON Schema's
 * `minLength`/`maxLength` count them (effect documents `isBetweenCodePoints`
 * as an `allOf`, which linters do not read); every text field and text filter
 * is bounded by this.
 *
 * And text that every backend stores exactly as written: PostgreSQL's `text`
 * cannot hold U+0000 (the write failed, a 500), UTF-8 cannot encode an
 * unpaired surrogate (PostgreSQL stored U+FFFD instead of what was sent), and
 * @effect/sql-pg 4.0.5 drops a leading U+FEFF when it reads some text back
 * (its fallback `TextDecoder` lacks `ignoreBOM`): refused, rather than lost.
 * One filter, not two, so the document keeps its flat `minLength`/`maxLength`.
 */
export const isLengthBetween = (min: number, max: number) => {
  const length = Schema.isBetweenCodePoints(min, max)
  return Schema.makeFilter<string>(
    (value, ast, options) =>
      length.run(value, ast, options) !== undefined
        ? false
        : !unstorableCharacter.test(value) || "Expected text without U+0000, unpaired surrogates or a leading U+FEFF",
    {
      expected: `a string with between ${min} and ${max} code points`,
      toJsonSchema: () => ({ minLength: min, maxLength: max })
    }
  )
}

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
    toJsonSchema: () => ({ format: "date", maxLength: 10 })
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
