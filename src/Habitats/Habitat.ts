/**
 * The habitat resource, where animals live: its identifier, its fields, the
 * problems its operations can end in, and the collection's contract.
 */
import { Schema } from "effect"
import { HttpApiError } from "effect/http-api"
import { FieldTakenProblem, problemType, ResourceProblem, UnknownReferenceProblem } from "../Errors.ts"
import { type Filters, oneOfFilter, prefixFilter } from "../Shared/Listing.ts"
import { defineResource } from "../Shared/Resource.ts"
import { DisplayName, nameRules, ResourceId } from "../Shared/ResourceSchemas.ts"
import { IntBetween } from "../Shared/Fields.ts"

export const HabitatId = ResourceId("HabitatId", "Habitat identifier (UUID)", "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b")
export type HabitatId = typeof HabitatId.Type

export const Climate = Schema.Literals(["tropical", "arid", "temperate", "polar", "aquatic"]).annotate({
  description: "The climate the habitat keeps"
})

/** Habitat names are unique (exactly as written). */
export const HabitatNameTaken = FieldTakenProblem("HabitatNameTaken", "habitat", "name")

/** A habitat cannot be deleted while animals live in it (409). */
export const HabitatOccupied = ResourceProblem("HabitatOccupied", {
  type: problemType("habitat-occupied"),
  status: 409,
  title: "Habitat still occupied"
}, (id) => `The habitat ${id} still houses animals: move them to another habitat first`)

/** The capacity a habitat is made for, in every problem about it. */
const Capacity = IntBetween(1, 1000).annotate({ description: "How many animals the habitat is made for", examples: [12] })

/** An animal was created, or moved, into a habitat that already houses as many animals as its capacity (409). */
export class HabitatFull extends HttpApiError.Problem<HabitatFull>()("HabitatFull", {
  type: problemType("habitat-full"),
  status: 409,
  title: "Habitat full"
}, {
  habitat_id: HabitatId.annotate({ description: "The habitat that has no room" }),
  capacity: Capacity
}) {
  static readonly of = (habitat_id: HabitatId, capacity: number) =>
    new HabitatFull({
      habitat_id,
      capacity,
      detail: `The habitat ${habitat_id} already houses ${capacity} animals, its capacity: choose another habitat, or raise its capacity first`
    })
}

/** A habitat's capacity was lowered below the number of animals living in it (409). */
export class HabitatOverCapacity extends HttpApiError.Problem<HabitatOverCapacity>()("HabitatOverCapacity", {
  type: problemType("habitat-over-capacity"),
  status: 409,
  title: "Capacity below occupancy"
}, {
  habitat_id: HabitatId.annotate({ description: "The habitat written" }),
  capacity: Capacity.annotate({ description: "The capacity the request asked for" }),
  animals: IntBetween(0, 2_147_483_647).annotate({ description: "How many animals live in the habitat", examples: [14] })
}) {
  static readonly of = (habitat_id: HabitatId, capacity: number, animals: number) =>
    new HabitatOverCapacity({
      habitat_id,
      capacity,
      animals,
      detail: `The habitat ${habitat_id} houses ${animals} animals: its capacity cannot be lowered to ${capacity}; move animals out first`
    })
}

/** An animal was written with a `habitat_id` that names no habitat (422). */
export const UnknownHabitat = UnknownReferenceProblem("UnknownHabitat", "habitat")

/** What a list of habitats can be filtered by; the query string, SQL and memory layers all read this. */
export const habitatFilters = {
  climate: oneOfFilter("climate", Climate, "Only these climates (repeat the parameter for several)"),
  name: prefixFilter("name", "Name starts with this text (case-insensitive)")
} as const satisfies Filters

export const habitatsContract = defineResource({
  name: "habitats",
  singular: "habitat",
  description: "The habitats of the zoo, and the animals living in each",
  Id: HabitatId,
  fields: {
    name: DisplayName(2, "Savanna").annotate({ description: `Name, 2 to 100 characters; no two habitats share one; ${nameRules}` }),
    climate: Climate,
    capacity: IntBetween(1, 1000).annotate({
      description: "How many animals it is made for, 1 to 1000",
      examples: [12]
    })
  },
  filters: habitatFilters,
  sortFields: ["name", "capacity", "created_at"],
  writeErrors: [HabitatNameTaken, HabitatOverCapacity],
  deleteErrors: [HabitatOccupied]
})

export const { Create: HabitatCreate, Patch: HabitatPatch, Resource: Habitat } = habitatsContract
export type Habitat = typeof Habitat.Type
export type HabitatCreate = typeof HabitatCreate.Type
export type HabitatPatch = typeof HabitatPatch.Type

/** One of each of its own problems, shown as the example response in the OpenAPI document. */
export const habitatProblemExamples = [
  HabitatNameTaken.of("Savanna"),
  HabitatOccupied.of("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"),
  UnknownHabitat.of("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"),
  HabitatFull.of(HabitatId.make("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"), 12),
  HabitatOverCapacity.of(HabitatId.make("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"), 10, 12)
]
