/**
 * How a collection is stored, declared once per collection and read by both
 * repository implementations: the SQL one, against the schema the migrations
 * made, and the in-memory one, which mirrors that schema's keys and
 * references.
 */
import type { Filters, LinkTable } from "../Shared/Listing.ts"
import type { Stored } from "./Repository.ts"
import type { MemoryDatabaseShape } from "./MemoryDatabase.ts"

/** A create or replacement body, as the generic layers see it: writable fields by column, and maybe an id. */
export type Body = { readonly id?: string | undefined } & Readonly<Record<string, unknown>>

/** A JSON Merge Patch body, as the generic layers see it: columns to set, or to clear with `null`. */
export type MergePatchBody = Readonly<Record<string, unknown>>

/**
 * A row read back as the resource it stores. Not decoded: the row passed the
 * resource's schema when it was written, and the columns' types and
 * constraints hold it so; decoding every read was a tenth of a read's CPU.
 */
export const storedAs = <R extends Stored>(row: Readonly<Record<string, unknown>>): R => row as R

/** The writable fields of a stored resource: what a create or a replacement sets. */
export type Fields<R extends Stored> = Omit<R, keyof Stored>

/** A unique constraint besides the primary key, and the problem of a write that would break it. */
export interface UniqueKey<R extends Stored, WriteError> {
  readonly constraint: string
  /** The value the constraint compares: the in-memory layer's stand-in for the index. */
  readonly key: (fields: Fields<R>) => unknown
  /** The problem, given the fields written (in SQL, those of the statement: a patch's own). */
  readonly onTaken: (fields: Partial<Fields<R>>) => WriteError
}

/**
 * A foreign key the table holds, named `<table>_<column>_fkey` in the schema:
 * a write naming a row that does not exist ends in `onMissing`.
 */
export interface Reference<WriteError> {
  readonly column: string
  /** The referenced table; it is referenced by its `id`. */
  readonly table: string
  readonly onMissing: (id: string) => WriteError
}

/**
 * A rule across rows that the database enforces with a trigger, raising a
 * check violation named `constraint` with a JSON `DETAIL`; the in-memory
 * layer enforces it with `violation`, which makes the same detail.
 */
export interface Rule<WriteError> {
  readonly constraint: string
  /** The problem, from the violation's detail. */
  readonly onViolated: (detail: Readonly<Record<string, unknown>>) => WriteError
  /**
   * In memory: the detail of the violation if writing `row` (its writable
   * fields and id) over `previous` (absent for a create) breaks the rule.
   */
  readonly violation: (
    database: MemoryDatabaseShape,
    row: Readonly<Record<string, unknown>> & { readonly id: string },
    previous: Readonly<Record<string, unknown>> | undefined
  ) => Readonly<Record<string, unknown>> | undefined
}

export interface ResourceTable<R extends Stored, NotFound, IdTaken, WriteError = never, DeleteError = never> {
  /** Table name; also the collection's key in `collection_changes`. */
  readonly table: string
  /** The writable columns, named like the body's fields; an optional one left out is NULL. */
  readonly columns: ReadonlyArray<string>
  /** Writable `date` columns, read back as `YYYY-MM-DD`. */
  readonly dates?: ReadonlyArray<string>
  /** Text columns sorted by code point (`COLLATE "C"`), the order the in-memory layer has too. */
  readonly textSortColumns?: ReadonlyArray<string>
  readonly filters: Filters
  readonly notFound: (id: string) => NotFound
  /** A create named an id that exists: the primary key ({@link primaryKeyName}) refused it. */
  readonly idTaken: (id: string) => IdTaken
  readonly uniqueKeys?: ReadonlyArray<UniqueKey<R, WriteError>>
  readonly references?: ReadonlyArray<Reference<WriteError>>
  readonly rules?: ReadonlyArray<Rule<WriteError>>
  /** A `RESTRICT` foreign key of another table refused to delete the row: it is still referenced. */
  readonly onDeleteRestricted?: (id: string) => DeleteError
}

export const primaryKeyName = (table: string) => `${table}_pkey`

export const foreignKeyName = (table: string, column: string) => `${table}_${column}_fkey`

/** Every writable column, dates included. */
export const writableColumns = (table: ResourceTable<any, unknown, unknown, unknown, unknown>): ReadonlyArray<string> => [
  ...table.columns,
  ...(table.dates ?? [])
]

/** A collection a link table refers to, and the problem for an id it does not hold. */
export interface LinkedCollection<NotFound> {
  readonly table: string
  readonly notFound: (id: string) => NotFound
}

/** How a many-to-many link is stored: the link table, and the collections of its owners and members. */
export interface LinkDefinition<OwnerNotFound, MemberNotFound> {
  readonly link: LinkTable
  readonly owners: LinkedCollection<OwnerNotFound>
  readonly members: LinkedCollection<MemberNotFound>
}
