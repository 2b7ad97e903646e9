/**
 * The animal resource: its identifier, its fields, the problems its
 * operations can end in, and the collection's contract.
 */
import { Schema } from "effect"
import { HabitatFull, HabitatId, UnknownHabitat } from "../Habitats/Habitat.ts"
import { CalendarDate, isName, PastDate } from "../Shared/Fields.ts"
import { type Filters, oneOfFilter, prefixFilter } from "../Shared/Listing.ts"
import { defineResource } from "../Shared/Resource.ts"
import { DisplayName, nameRules, ResourceId } from "../Shared/ResourceSchemas.ts"
import { careLink, ZookeeperId } from "../Zookeepers/Zookeeper.ts"

export const AnimalId = ResourceId("AnimalId", "Animal identifier (UUID)", "0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f")
export type AnimalId = typeof AnimalId.Type

export const Species = Schema.Literals(["lion", "tiger", "elephant", "monkey", "zebra", "panda"]).annotate({
  description: "Species of the animal"
})
export type Species = typeof Species.Type

/** What a list of animals can be filtered by; the query string, SQL and memory layers all read this. */
export const animalFilters = {
  species: oneOfFilter("species", Species, "Only these species (repeat the parameter for several)"),
  habitat_id: {
    kind: "eq",
    column: "habitat_id",
    schema: HabitatId,
    type: "uuid",
    description: "Only the animals living in this habitat"
  },
  zookeeper_id: {
    kind: "linked",
    column: "id",
    through: careLink,
    schema: ZookeeperId,
    type: "uuid",
    description: "Only the animals in this zookeeper's care"
  },
  born_after: {
    kind: "after",
    column: "date_of_birth",
    schema: CalendarDate,
    type: "date",
    description: "Born after this date (exclusive)"
  },
  born_before: {
    kind: "before",
    column: "date_of_birth",
    schema: CalendarDate,
    type: "date",
    description: "Born before this date (exclusive)"
  },
  name: prefixFilter("name", "Name starts with this text (case-insensitive)")
} as const satisfies Filters

export const animalSortFields = ["name", "date_of_birth", "created_at"] as const

export const animalsContract = defineResource({
  name: "animals",
  singular: "animal",
  description: "The animals living in the zoo",
  Id: AnimalId,
  fields: {
    name: DisplayName(5, "Leo the Lion"),
    date_of_birth: PastDate.annotate({ description: "Date of birth (YYYY-MM-DD), not in the future" }),
    species: Species,
    nickname: Schema.optionalKey(Schema.String.check(isName(1, 100)).annotate({
      description: `Optional nickname, 1 to 100 characters; ${nameRules}`,
      examples: ["Leo"]
    })),
    habitat_id: Schema.optionalKey(HabitatId.annotate({ description: "The habitat the animal lives in, if it has one" }))
  },
  filters: animalFilters,
  sortFields: animalSortFields,
  writeErrors: [UnknownHabitat, HabitatFull]
})

export const { Create: AnimalCreate, Patch: AnimalPatch, Resource: Animal } = animalsContract
export type Animal = typeof Animal.Type
export type AnimalCreate = typeof AnimalCreate.Type
export type AnimalPatch = typeof AnimalPatch.Type
