/**
 * Reading lists over HTTP in each API version: the rows of a page, and the
 * way to the next one — the `next` link in v1; in v2 the same query with
 * `cursor=<next_cursor>`, as a client reading the envelope would (after
 * checking that the envelope agrees with the headers).
 */
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import type { ApiVersion } from "../../src/Shared/Versions.ts"
import { request } from "./TestServer.ts"

export type Response = Effect.Success<ReturnType<typeof request>>

/** The targets of a `Link` header, by relation (v1 names `successor-version` beside `next`). */
export const linksOf = (response: Response): Record<string, string> =>
  Object.fromEntries(
    [...(response.headers.get("link") ?? "").matchAll(/<([^>]*)>;\s*rel="([^"]+)"/g)].map(([, target, rel]) => [rel!, target!])
  )

/** The target of `Link: <…>; rel="next"`, or undefined. */
export const nextOf = (response: Response): string | undefined => linksOf(response).next

export const listing = (version: ApiVersion) => ({
  items: (page: Response): Array<any> => (version === 1 ? page.json() : page.json().items),
  next: (path: string, page: Response): string | undefined => {
    if (version === 1) return nextOf(page)
    const body = page.json()
    assert.sameMembers(Object.keys(body), ["items", "next_cursor", "total"])
    assert.strictEqual(String(body.total), page.headers.get("x-total-count"))
    const link = nextOf(page)
    assert.strictEqual(body.next_cursor, link === undefined ? null : new URL(link, "http://x").searchParams.get("cursor"))
    if (body.next_cursor === null) return undefined
    const url = new URL(path, "http://x")
    url.searchParams.set("cursor", body.next_cursor)
    return `${url.pathname}${url.search}`
  }
})

/** Follows a list from `path` to its last page (bounded), checking every page; `between` runs before each next one. */
export const follow = <R = never>(
  version: ApiVersion,
  path: string,
  between: (page: number) => Effect.Effect<void, never, R> = () => Effect.void
) =>
  Effect.gen(function*() {
    const list = listing(version)
    const pages: Array<Response> = []
    let next: string | undefined = path
    while (next !== undefined) {
      assert.isBelow(pages.length, 50, "a bounded number of pages")
      const response: Response = yield* request(next)
      assert.strictEqual(response.status, 200, response.text)
      pages.push(response)
      next = list.next(next, response)
      if (next !== undefined) yield* between(pages.length)
    }
    return { pages, rows: pages.flatMap(list.items) }
  })
