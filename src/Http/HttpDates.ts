/**
 * RFC 3339 timestamps as HTTP-dates (RFC 9110 §5.6.7), for `Last-Modified`.
 * `Date#toUTCString` was a few percent of a GET, and a resource is read far
 * more often than it changes, so the dates of recent timestamps are kept:
 * per process, in this service's layer, emptied when full so it stays small.
 */
import { Context, Layer } from "effect"

/** How many dates are kept before the cache starts over. */
const capacity = 10_000

export class HttpDates extends Context.Service<HttpDates, {
  /** The HTTP-date of an RFC 3339 timestamp. */
  readonly of: (timestamp: string) => string
}>()("zoo-api/Http/HttpDates") {
  static readonly layer = Layer.sync(HttpDates, () => {
    const dates = new Map<string, string>()
    return HttpDates.of({
      of: (timestamp) => {
        let date = dates.get(timestamp)
        if (date === undefined) {
          if (dates.size >= capacity) dates.clear()
          date = new Date(timestamp).toUTCString()
          dates.set(timestamp, date)
        }
        return date
      }
    })
  })
}
