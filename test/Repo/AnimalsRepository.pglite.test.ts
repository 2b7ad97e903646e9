import { Layer } from "effect"
import { AnimalsRepository } from "../../src/Animals/AnimalsRepository.ts"
import { pgliteLayer } from "../support/Databases.ts"
import { animalsRepositoryContract } from "./AnimalsRepositoryContract.ts"

animalsRepositoryContract("PGlite", AnimalsRepository.layer.pipe(Layer.provide(pgliteLayer())))
