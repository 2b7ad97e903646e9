/**
 * Where habitats are kept: the shared resource repository, in SQL or in
 * memory, over the habitats table.
 */
import { housed } from "../Animals/AnimalsRepository.ts"
import { RepositoryService } from "../Repo/RepositoryService.ts"
import type { Rule } from "../Repo/Table.ts"
import {
  Habitat,
  HabitatAlreadyExists,
  HabitatCreate,
  habitatFilters,
  HabitatId,
  HabitatNameTaken,
  HabitatNotFound,
  HabitatOccupied,
  HabitatOverCapacity,
  HabitatPatch
} from "./Habitat.ts"

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

export class HabitatsRepository extends RepositoryService<HabitatsRepository>()("zoo-api/Habitats/HabitatsRepository", {
  name: "habitats",
  filters: habitatFilters,
  Resource: Habitat,
  Create: HabitatCreate,
  Patch: HabitatPatch,
  NotFound: HabitatNotFound,
  IdTaken: HabitatAlreadyExists,
  // Every problem a habitat's write can end in, so the repository's error type is their union.
  writeErrors: [HabitatNameTaken, HabitatOverCapacity],
  deleteErrors: [HabitatOccupied]
}, {
  columns: ["name", "climate", "capacity"],
  textSortColumns: ["name"],
  uniqueKeys: [{ constraint: "habitats_name_key", key: (habitat) => habitat.name, onTaken: (habitat) => HabitatNameTaken.of(habitat.name!) }],
  rules: [capacityHoldsItsAnimals],
  // `animals.habitat_id` restricts deletes: a habitat keeps its animals.
  onDeleteRestricted: HabitatOccupied.of
}) {}
