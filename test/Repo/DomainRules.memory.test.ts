import { MemoryRepositories } from "../../src/Repositories.ts"
import { domainRulesContract } from "./DomainRulesContract.ts"

domainRulesContract("memory", MemoryRepositories)
