/**
 * Where animals are kept: the shared resource repository, in SQL or in
 * memory, configured for the animals table.
 */
import { Context, Effect, Layer } from "effect"
import { makeMemoryRepository } from "../Repo/MemoryRepository.ts"
import { makeSqlRepository } from "../Repo/SqlRepository.ts"
import type { ResourceRepository } from "../Shared/Repository.ts"
import { Animal, AnimalAlreadyExists, type AnimalCreate, animalFilters, AnimalNotFound, type AnimalPatch } from "./Animal.ts"

export class AnimalsRepository extends Context.Service<
  AnimalsRepository,
  ResourceRepository<Animal, AnimalCreate, AnimalPatch, AnimalNotFound, AnimalAlreadyExists, never, never>
>()("zoo-api/Animals/AnimalsRepository") {
  /** PostgreSQL or PGlite through `SqlClient`. */
  static readonly layer = Layer.effect(
    AnimalsRepository,
    Effect.map(
      makeSqlRepository({
        table: "animals",
        Resource: Animal,
        columns: ["id", "name", "species", "nickname"],
        dates: ["date_of_birth"],
        textSortColumns: ["name"],
        filters: animalFilters,
        toRow: (input: AnimalCreate) => ({
          name: input.name,
          date_of_birth: input.date_of_birth,
          species: input.species,
          nickname: input.nickname ?? null
        }),
        notFound: AnimalNotFound.of,
        idTaken: AnimalAlreadyExists.of
      }),
      AnimalsRepository.of
    )
  )

  /** A `Map`, for unit tests and for running without a database. */
  static readonly layerMemory = Layer.sync(AnimalsRepository, () =>
    AnimalsRepository.of(makeMemoryRepository({
      collection: "animals",
      filters: animalFilters,
      fields: ({ id: _id, ...fields }: AnimalCreate) => fields,
      notFound: AnimalNotFound.of,
      idTaken: AnimalAlreadyExists.of
    })))
}
