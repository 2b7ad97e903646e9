/**
 * Repositories as services: one class per collection (or link), with its SQL
 * layer (`layer`, over `SqlClient`) and its in-memory layer (`layerMemory`),
 * both made from one declaration of how the collection is stored.
 */
import { Context, Layer } from "effect"
import type { Filters } from "../Shared/Listing.ts"
import type { LinkRepository, ResourceRepository, Stored } from "./Repository.ts"
import { MemoryDatabase } from "./MemoryDatabase.ts"
import { makeMemoryLinks, makeMemoryRepository } from "./MemoryRepository.ts"
import { makeSqlLinks, makeSqlRepository } from "./SqlRepository.ts"
import type { LinkDefinition, ResourceTable } from "./Table.ts"

/** What a repository needs of a collection: its name, schemas and problems. */
export interface Collection<
  R extends Stored,
  Create,
  Patch,
  NotFound,
  IdTaken,
  WriteErrors extends ReadonlyArray<{ readonly Type: unknown }>,
  DeleteErrors extends ReadonlyArray<{ readonly Type: unknown }>
> {
  /** The collection's name, which is its table's. */
  readonly name: string
  readonly filters: Filters
  readonly Resource: { readonly Type: R }
  readonly Create: { readonly Type: Create }
  readonly Patch: { readonly Type: Patch }
  readonly NotFound: { readonly of: (id: string) => NotFound }
  readonly IdTaken: { readonly of: (id: string) => IdTaken }
  /** Every problem a write can end in beyond not-found: the repository's error type is their union. */
  readonly writeErrors: WriteErrors
  /** Every problem a delete can end in beyond not-found. */
  readonly deleteErrors: DeleteErrors
}

/** How a collection's table stores it, beyond what its definition says: columns and constraints. */
export type Storage<R extends Stored, WriteError, DeleteError> = Omit<
  ResourceTable<R, unknown, unknown, WriteError, DeleteError>,
  "table" | "filters" | "notFound" | "idTaken"
>

/**
 * The repository service of a collection:
 * `class HabitatsRepository extends RepositoryService<HabitatsRepository>()(key, collection, storage) {}`.
 * The in-memory layer provides its own `MemoryDatabase`; layers built
 * together share it (a layer is built once per build), so the collections of
 * one app refer to each other as in SQL.
 */
export const RepositoryService = <Self>() =>
<
  const Key extends string,
  R extends Stored,
  Create extends { readonly id?: string | undefined },
  Patch extends Record<string, unknown>,
  NotFound,
  IdTaken,
  const WriteErrors extends ReadonlyArray<{ readonly Type: unknown }>,
  const DeleteErrors extends ReadonlyArray<{ readonly Type: unknown }>
>(
  key: Key,
  collection: Collection<R, Create, Patch, NotFound, IdTaken, WriteErrors, DeleteErrors>,
  storage: Storage<R, WriteErrors[number]["Type"], DeleteErrors[number]["Type"]>
) => {
  type WriteError = WriteErrors[number]["Type"]
  type DeleteError = DeleteErrors[number]["Type"]
  const table: ResourceTable<R, NotFound, IdTaken, WriteError, DeleteError> = {
    ...storage,
    table: collection.name,
    filters: collection.filters,
    notFound: collection.NotFound.of,
    idTaken: collection.IdTaken.of
  }
  class Repository extends Context.Service<Self, ResourceRepository<R, Create, Patch, NotFound, IdTaken, WriteError, DeleteError>>()(key) {
    /** PostgreSQL or PGlite through `SqlClient`. */
    static readonly layer = Layer.effect(Repository, makeSqlRepository(table))

    /** In memory, for unit tests and for running without a database. */
    static readonly layerMemory = Layer.effect(Repository, makeMemoryRepository(table)).pipe(Layer.provide(MemoryDatabase.layer))
  }
  return Repository
}

/** The repository service of a many-to-many link; see {@link RepositoryService}. */
export const LinkService = <Self>() =>
<const Key extends string, OwnerNotFound, MemberNotFound>(key: Key, definition: LinkDefinition<OwnerNotFound, MemberNotFound>) => {
  class Links extends Context.Service<Self, LinkRepository<OwnerNotFound, MemberNotFound>>()(key) {
    /** PostgreSQL or PGlite through `SqlClient`. */
    static readonly layer = Layer.effect(Links, makeSqlLinks(definition))

    /** In memory, for unit tests and for running without a database. */
    static readonly layerMemory = Layer.effect(Links, makeMemoryLinks(definition)).pipe(Layer.provide(MemoryDatabase.layer))
  }
  return Links
}
