/**
 * Where animals are kept: the shared resource repository, in SQL or in
 * memory, over the animals table. `layerMemory` alone knows no habitat (any
 * `habitat_id` is a 422); built with `HabitatsRepository.layerMemory`, the
 * two share one in-memory database.
 */
import type { MemoryDatabaseShape } from "../Repo/MemoryDatabase.ts"
import { RepositoryService } from "../Repo/RepositoryService.ts"
import type { Rule } from "../Repo/Table.ts"
import { HabitatId } from "../Shared/Ids.ts"
import {
  Animal,
  AnimalAlreadyExists,
  AnimalCreate,
  animalFilters,
  AnimalNotFound,
  AnimalPatch,
  HabitatFull,
  UnknownHabitat
} from "./Animal.ts"

/** How many animals live in the habitat `id` (in memory), leaving out the animal `except`. */
export const housed = (database: MemoryDatabaseShape, id: unknown, except?: string) => {
  let count = 0
  for (const animal of database.table("animals").rows.values()) if (animal.habitat_id === id && animal.id !== except) count++
  return count
}

/**
 * An animal created in, or moved to, a habitat that houses as many animals
 * as its capacity: refused (migration `0005_habitat_capacity`'s trigger on
 * `animals`).
 */
const habitatHasRoom: Rule<HabitatFull> = {
  constraint: "animals_habitat_capacity",
  onViolated: (detail) => HabitatFull.of(HabitatId.make(String(detail.habitat_id)), Number(detail.capacity)),
  violation: (database, animal, previous) => {
    const habitatId = animal.habitat_id
    if (typeof habitatId !== "string" || previous?.habitat_id === habitatId) return undefined
    const habitat = database.table("habitats").rows.get(habitatId)
    // No such habitat: the reference refuses the write (422).
    if (habitat === undefined) return undefined
    return housed(database, habitatId, animal.id) >= Number(habitat.capacity)
      ? { habitat_id: habitatId, capacity: habitat.capacity }
      : undefined
  }
}

export class AnimalsRepository extends RepositoryService<AnimalsRepository>()("zoo-api/Animals/AnimalsRepository", {
  name: "animals",
  filters: animalFilters,
  Resource: Animal,
  Create: AnimalCreate,
  Patch: AnimalPatch,
  NotFound: AnimalNotFound,
  IdTaken: AnimalAlreadyExists,
  // Every problem an animal's write can end in, so the repository's error type is their union.
  writeErrors: [UnknownHabitat, HabitatFull],
  deleteErrors: []
}, {
  columns: ["name", "species", "nickname", "habitat_id"],
  dates: ["date_of_birth"],
  textSortColumns: ["name"],
  references: [{ column: "habitat_id", table: "habitats", onMissing: UnknownHabitat.of }],
  rules: [habitatHasRoom]
}) {}
