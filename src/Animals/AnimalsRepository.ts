/**
 * Where animals are kept: the shared resource repository, in SQL or in
 * memory, over the animals table. `layerMemory` alone knows no habitat (any
 * `habitat_id` is a 422); built with `HabitatsRepository.layerMemory`, the
 * two share one in-memory database.
 */
import { habitatsContract, UnknownHabitat } from "../Habitats/Habitat.ts"
import { habitatHasRoom } from "../Habitats/HabitatsRepository.ts"
import { RepositoryService } from "../Repo/RepositoryService.ts"
import type { Rule } from "../Repo/Table.ts"
import { animalsContract } from "./Animal.ts"

type AnimalWriteError = (typeof animalsContract.writeErrors)[number]["Type"]

export class AnimalsRepository extends RepositoryService<AnimalsRepository>()("zoo-api/Animals/AnimalsRepository", animalsContract, {
  columns: ["name", "species", "nickname", "habitat_id"],
  dates: ["date_of_birth"],
  textSortColumns: ["name"],
  references: [{ column: "habitat_id", table: habitatsContract.name, onMissing: UnknownHabitat.of }],
  // Every problem an animal's write can end in, so the repository's error type is their union.
  rules: [habitatHasRoom as Rule<AnimalWriteError>]
}) {}
