import { MemoryRepositories } from "../../src/Http/App.ts"
import { domainRulesContract } from "./DomainRulesContract.ts"

domainRulesContract("memory", MemoryRepositories)
