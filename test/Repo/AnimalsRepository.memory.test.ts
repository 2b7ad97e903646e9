import { AnimalsRepository } from "../../src/Animals/AnimalsRepository.ts"
import { animalsRepositoryContract } from "./AnimalsRepositoryContract.ts"

animalsRepositoryContract("memory", AnimalsRepository.layerMemory)
