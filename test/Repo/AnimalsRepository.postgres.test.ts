import { Layer } from "effect"
import { describe } from "vitest"
import { AnimalsRepository } from "../../src/Animals/AnimalsRepository.ts"
import { postgresLayer, skipPostgres } from "../support/Databases.ts"
import { animalsRepositoryContract } from "./AnimalsRepositoryContract.ts"

describe.skipIf(skipPostgres)("PostgreSQL (TEST_DATABASE_URL)", () => {
  animalsRepositoryContract("PostgreSQL", AnimalsRepository.layer.pipe(Layer.provide(postgresLayer("animals_contract"))))
})
