/**
 * Where habitats are kept: the shared resource repository, in SQL or in
 * memory, over the habitats table.
 */
import { RepositoryService } from "../Repo/RepositoryService.ts"
import { HabitatFull, HabitatId, HabitatNameTaken, HabitatOccupied, HabitatOverCapacity, habitatsContract } from "./Habitat.ts"
import type { MemoryDatabaseShape } from "../Repo/MemoryDatabase.ts"
import type { Rule } from "../Repo/Table.ts"

/** How many animals live in the habitat `id` (in memory). */
const housed = (database: MemoryDatabaseShape, id: unknown, except?: string) => {
  let count = 0
  for (const animal of database.table("animals").rows.values()) if (animal.habitat_id === id && animal.id !== except) count++
  return count
}

/**
 * An animal created in, or moved to, a habitat that houses as many animals
 * as its capacity: refused (migration `0005_habitat_capacity`'s trigger on
 * `animals`). Declared here, beside the habitat it protects; the animals'
 * repository holds it.
 */
export const habitatHasRoom: Rule<HabitatFull> = {
  constraint: "animals_habitat_capacity",
  onViolated: (detail) => HabitatFull.of(HabitatId.make(String(detail.habitat_id)), Number(detail.capacity)),
  violation: (database, animal, previous) => {
    const habitatId = animal.habitat_id
    if (typeof habitatId !== "string" || previous?.habitat_id === habitatId) return undefined
    const habitat = database.table(habitatsContract.name).rows.get(habitatId)
    // No such habitat: the reference refuses the write (422).
    if (habitat === undefined) return undefined
    return housed(database, habitatId, animal.id) >= Number(habitat.capacity)
      ? { habitat_id: habitatId, capacity: habitat.capacity }
      : undefined
  }
}

/** A habitat's capacity lowered below the animals living in it: refused (the trigger on `habitats`). */
const capacityHoldsItsAnimals: Rule<HabitatOverCapacity> = {
  constraint: "habitats_capacity_occupancy",
  onViolated: (detail) => HabitatOverCapacity.of(HabitatId.make(String(detail.habitat_id)), Number(detail.capacity), Number(detail.animals)),
  violation: (database, habitat, previous) => {
    if (previous === undefined || Number(habitat.capacity) >= Number(previous.capacity)) return undefined
    const animals = housed(database, habitat.id)
    return animals > Number(habitat.capacity) ? { habitat_id: habitat.id, capacity: habitat.capacity, animals } : undefined
  }
}

export class HabitatsRepository extends RepositoryService<HabitatsRepository>()("zoo-api/Habitats/HabitatsRepository", habitatsContract, {
  columns: ["name", "climate", "capacity"],
  textSortColumns: ["name"],
  uniqueKeys: [{ constraint: "habitats_name_key", key: (habitat) => habitat.name, onTaken: (habitat) => HabitatNameTaken.of(habitat.name!) }],
  // Every problem a habitat's write can end in, so the repository's error type is their union.
  rules: [capacityHoldsItsAnimals as Rule<(typeof habitatsContract.writeErrors)[number]["Type"]>],
  // `animals.habitat_id` restricts deletes: a habitat keeps its animals.
  onDeleteRestricted: HabitatOccupied.of
}) {}
