/** The repository contract on SQL over PostgreSQL (TEST_DATABASE_URL): a schema of its own per collection. */
import { Layer } from "effect"
import { describe } from "vitest"
import { SqlRepositories } from "../../src/Repositories.ts"
import { collections } from "../support/Collections.ts"
import { postgresLayer, skipPostgres } from "../support/Databases.ts"
import { resourceRepositoryContract } from "./ResourceContract.ts"

describe.skipIf(skipPostgres)("PostgreSQL (TEST_DATABASE_URL)", () => {
  for (const collection of collections) {
    resourceRepositoryContract(
      collection,
      "PostgreSQL",
      () => SqlRepositories.pipe(Layer.provide(postgresLayer(`${collection.name}_contract`)))
    )
  }
})
