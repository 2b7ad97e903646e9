/**
 * Where habitats are kept: the shared resource repository, in SQL or in
 * memory, over the habitats table.
 */
import { RepositoryService } from "../Repo/RepositoryService.ts"
import { HabitatNameTaken, HabitatOccupied, habitatsContract } from "./Habitat.ts"

export class HabitatsRepository extends RepositoryService<HabitatsRepository>()("zoo-api/Habitats/HabitatsRepository", habitatsContract, {
  columns: ["name", "climate", "capacity"],
  textSortColumns: ["name"],
  uniqueKeys: [{ constraint: "habitats_name_key", key: (habitat) => habitat.name, onTaken: (habitat) => HabitatNameTaken.of(habitat.name!) }],
  // `animals.habitat_id` restricts deletes: a habitat keeps its animals.
  onDeleteRestricted: HabitatOccupied.of
}) {}
