/**
 * Every repository the handlers need, wired once: in SQL for the service, in
 * memory for tests and for trying the API without a database.
 */
import { Layer } from "effect"
import { AnimalsRepository } from "./Animals/AnimalsRepository.ts"
import { HabitatsRepository } from "./Habitats/HabitatsRepository.ts"
import { Readiness } from "./Repo/Database.ts"
import { IdempotencyStore } from "./Repo/IdempotencyStore.ts"
import { AnimalCare, ZookeepersRepository } from "./Zookeepers/ZookeepersRepository.ts"

/** What the handlers need: every repository, the idempotency keys, and the readiness check. */
export type Repositories = AnimalsRepository | HabitatsRepository | ZookeepersRepository | AnimalCare | IdempotencyStore | Readiness

/** The SQL repositories (they need a `SqlClient`). */
export const SqlRepositories = Layer.mergeAll(
  AnimalsRepository.layer,
  HabitatsRepository.layer,
  ZookeepersRepository.layer,
  AnimalCare.layer,
  IdempotencyStore.layer,
  Readiness.layer
)

/**
 * In-memory repositories. Built together, they share one in-memory database,
 * so references between collections hold as in SQL.
 */
export const MemoryRepositories = Layer.mergeAll(
  AnimalsRepository.layerMemory,
  HabitatsRepository.layerMemory,
  ZookeepersRepository.layerMemory,
  AnimalCare.layerMemory,
  IdempotencyStore.layerMemory,
  Readiness.layerMemory
)
