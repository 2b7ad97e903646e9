/** The repository contract on the in-memory repositories (a fresh in-memory database per collection). */
import { MemoryRepositories } from "../../src/Repositories.ts"
import { collections } from "../support/Collections.ts"
import { resourceRepositoryContract } from "./ResourceContract.ts"

for (const collection of collections) {
  resourceRepositoryContract(collection, "memory", () => MemoryRepositories)
}
