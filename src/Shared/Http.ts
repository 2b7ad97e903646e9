/**
 * HTTP helpers the resources share: entity tags and conditional headers
 * (HTTP-dates are the `HttpDates` service's, `src/Http/HttpDates.ts`).
 */

/** A strong ETag from the row version: it changes with every write. */
export const etagOf = (resource: { readonly version: number }): string => `"${resource.version}"`

const entityTags = (header: string) => header.split(",").map((tag) => tag.trim()).filter((tag) => tag.length > 0)

/**
 * `If-None-Match` (RFC 9110 §13.1.2), weak comparison: true when the client's
 * copy is current, so a GET answers 304.
 */
export const noneMatchHit = (header: string | undefined, etag: string): boolean =>
  header !== undefined &&
  entityTags(header).some((tag) => tag === "*" || tag.replace(/^W\//, "") === etag)

/**
 * `If-Match` (RFC 9110 §13.1.1) as the row versions a write may replace;
 * strong comparison, so weak tags never match. `*` and a missing header
 * mean unconditional (`undefined`); tags we did not make match nothing.
 */
export const ifMatchVersions = (header: string | undefined): ReadonlyArray<number> | undefined => {
  if (header === undefined || header.trim() === "*") return undefined
  return entityTags(header).flatMap((tag) => {
    // Only the tags we make: `"0"` or digits without a leading zero, so `"01"` is not `"1"`.
    const version = /^"(0|[1-9]\d{0,14})"$/.exec(tag)?.[1]
    return version === undefined ? [] : [Number(version)]
  })
}
