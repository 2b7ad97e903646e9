import { Layer } from "effect"
import { describe } from "vitest"
import { SqlRepositories } from "../../src/Repositories.ts"
import { postgresLayer, skipPostgres } from "../support/Databases.ts"
import { domainRulesContract } from "./DomainRulesContract.ts"

describe.skipIf(skipPostgres)("PostgreSQL (TEST_DATABASE_URL)", () => {
  domainRulesContract("PostgreSQL", SqlRepositories.pipe(Layer.provide(postgresLayer("domain_rules"))))
})
