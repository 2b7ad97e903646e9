/**
 * Where animals are kept: the shared resource repository, in SQL or in
 * memory, over the animals table. `layerMemory` alone knows no habitat (any
 * `habitat_id` is a 422); built with `HabitatsRepository.layerMemory`, the
 * two share one in-memory database.
 */
import { habitatsContract, UnknownHabitat } from "../Habitats/Habitat.ts"
import { RepositoryService } from "../Repo/RepositoryService.ts"
import { animalsContract } from "./Animal.ts"

export class AnimalsRepository extends RepositoryService<AnimalsRepository>()("zoo-api/Animals/AnimalsRepository", animalsContract, {
  columns: ["name", "species", "nickname", "habitat_id"],
  dates: ["date_of_birth"],
  textSortColumns: ["name"],
  references: [{ column: "habitat_id", table: habitatsContract.name, onMissing: UnknownHabitat.of }]
}) {}
