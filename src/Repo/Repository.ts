/**
 * The repository interface every collection implements, in SQL and in memory.
 * It speaks the domain's language (ids, bodies, domain problems); HTTP
 * concerns (ETags, cursors, links) are translated at the edge.
 */
import type { Effect } from "effect"
import type { DatabaseUnavailable, PreconditionFailed } from "../Errors.ts"
import type { Position, Sort } from "../Shared/Listing.ts"

/** What every stored resource carries besides its own fields. */
export interface Stored {
  readonly id: string
  readonly created_at: string
  readonly updated_at: string
  readonly version: number
}

export interface ListRequest {
  readonly limit: number
  readonly sort: Sort
  /** Start after this row (keyset pagination); `undefined` for the first page. */
  readonly after: Position | undefined
  /** Filter values by filter name, already decoded. */
  readonly filters: Readonly<Record<string, unknown>>
}

export interface Page<R> {
  readonly items: ReadonlyArray<R>
  /** Rows matching the filters, over all pages. */
  readonly total: number
  readonly hasMore: boolean
  /** The last create, update or delete in the whole collection (RFC 3339), if any. */
  readonly lastModified: string | undefined
}

/**
 * The versions an `If-Match` accepts; `undefined` means unconditional. The
 * check happens in the same statement as the write, so of N writers holding
 * one version exactly one wins.
 */
export type ExpectedVersions = ReadonlyArray<number> | undefined

/**
 * `IdTaken`: a create with a client id that exists. `WriteError`: what any
 * write can hit (a unique field taken, a reference to nothing).
 */
export interface ResourceRepository<R extends Stored, Create, Patch, NotFound, IdTaken, WriteError, DeleteError> {
  readonly list: (request: ListRequest) => Effect.Effect<Page<R>, DatabaseUnavailable>
  readonly findById: (id: string) => Effect.Effect<R, NotFound | DatabaseUnavailable>
  /** Stores a new resource; the id is generated unless the body carries one. */
  readonly create: (input: Create) => Effect.Effect<R, IdTaken | WriteError | DatabaseUnavailable>
  /** Replaces every writable field; optional fields left out are removed. */
  readonly replace: (
    id: string,
    input: Create,
    expected?: ExpectedVersions
  ) => Effect.Effect<R, NotFound | PreconditionFailed | WriteError | DatabaseUnavailable>
  /** Applies a JSON Merge Patch: absent keeps, `null` removes, a value replaces. */
  readonly patch: (
    id: string,
    patch: Patch,
    expected?: ExpectedVersions
  ) => Effect.Effect<R, NotFound | PreconditionFailed | WriteError | DatabaseUnavailable>
  readonly remove: (
    id: string,
    expected?: ExpectedVersions
  ) => Effect.Effect<void, NotFound | PreconditionFailed | DeleteError | DatabaseUnavailable>
}

/**
 * A many-to-many link between two collections, e.g. zookeepers (owners) and
 * the animals in their care (members). Both calls are idempotent; both fail
 * with the owner's not-found problem if it does not exist, else with the
 * member's if that does not.
 */
export interface LinkRepository<OwnerNotFound, MemberNotFound> {
  readonly link: (owner: string, member: string) => Effect.Effect<void, OwnerNotFound | MemberNotFound | DatabaseUnavailable>
  readonly unlink: (owner: string, member: string) => Effect.Effect<void, OwnerNotFound | MemberNotFound | DatabaseUnavailable>
}
