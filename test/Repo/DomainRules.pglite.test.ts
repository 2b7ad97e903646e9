import { Layer } from "effect"
import { SqlRepositories } from "../../src/Repositories.ts"
import { pgliteLayer } from "../support/Databases.ts"
import { domainRulesContract } from "./DomainRulesContract.ts"

domainRulesContract("PGlite", SqlRepositories.pipe(Layer.provide(pgliteLayer())))
