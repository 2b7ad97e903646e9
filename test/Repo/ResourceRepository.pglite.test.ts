/** The repository contract on SQL over PGlite: a migrated in-memory database per collection. */
import { Layer } from "effect"
import { SqlRepositories } from "../../src/Repositories.ts"
import { collections } from "../support/Collections.ts"
import { pgliteLayer } from "../support/Databases.ts"
import { resourceRepositoryContract } from "./ResourceContract.ts"

for (const collection of collections) {
  resourceRepositoryContract(collection, "PGlite", () => SqlRepositories.pipe(Layer.provide(pgliteLayer())))
}
