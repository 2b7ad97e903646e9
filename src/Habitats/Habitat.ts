/**
 * The habitat resource, where animals live: its fields, its representations,
 * and the problems its operations can end in.
 */
import { Schema } from "effect"
import { HttpApiError } from "effect/http-api"
import { HabitatCapacity } from "../Animals/Animal.ts"
import { problemType, resourceIdField } from "../Errors.ts"
import { IntBetween } from "../Shared/Fields.ts"
import { HabitatId } from "../Shared/Ids.ts"
import { type Filters, oneOfFilter, prefixFilter } from "../Shared/Listing.ts"
import { DisplayName, mergePatchFields, nameRules, storedFields } from "../Shared/ResourceSchemas.ts"
import { ListEnvelope } from "../Shared/Versions.ts"

export { HabitatId } from "../Shared/Ids.ts"

export const Climate = Schema.Literals(["tropical", "arid", "temperate", "polar", "aquatic"]).annotate({
  description: "The climate the habitat keeps"
})

/** What a client writes of a habitat. */
const habitatFields = {
  name: DisplayName(2, "Savanna").annotate({ description: `Name, 2 to 100 characters; no two habitats share one; ${nameRules}` }),
  climate: Climate,
  capacity: IntBetween(1, 1000).annotate({
    description: "How many animals it is made for, 1 to 1000",
    examples: [12]
  })
}

/** A habitat as every read returns it. */
export const Habitat = Schema.Struct({ id: HabitatId, ...habitatFields, ...storedFields }).annotate({
  identifier: "Habitat",
  description: "A habitat, as stored: the writable fields, and the id, timestamps and version the server sets"
})
export type Habitat = typeof Habitat.Type

/** The body of `POST` and `PUT`: the writable fields, and the id when the client chooses it. */
export const HabitatCreate = Schema.Struct({ id: Schema.optionalKey(HabitatId), ...habitatFields }).annotate({
  identifier: "HabitatCreate",
  description: "A habitat to create, or the full replacement of one"
})
export type HabitatCreate = typeof HabitatCreate.Type

/** The body of `PATCH`: every field optional; `null` is an error on a required one. */
export const HabitatPatch = Schema.Struct(mergePatchFields(habitatFields)).annotate({
  identifier: "HabitatPatch",
  description: "A JSON Merge Patch (RFC 7396) of a habitat: fields left out keep their value, null removes an optional one"
})
export type HabitatPatch = typeof HabitatPatch.Type

/** The `/v2` list body: `{ items, next_cursor, total }`. */
export const HabitatPage = ListEnvelope(Habitat, "HabitatPage")

/** What a list of habitats can be filtered by; the query string, SQL and memory layers all read this. */
export const habitatFilters = {
  climate: oneOfFilter("climate", Climate, "Only these climates (repeat the parameter for several)"),
  name: prefixFilter("name", "Name starts with this text (case-insensitive)")
} as const satisfies Filters

export const habitatSortFields = ["name", "capacity", "created_at"] as const

/** No habitat has the id (404). */
export class HabitatNotFound extends HttpApiError.Problem<HabitatNotFound>()("HabitatNotFound", {
  type: problemType("habitat-not-found"),
  status: 404,
  title: "Resource not found"
}, resourceIdField) {
  static readonly of = (id: string) => new HabitatNotFound({ id, detail: `No habitat has the id ${id}` })
}

/** A create named a habitat id that is taken (409). */
export class HabitatAlreadyExists extends HttpApiError.Problem<HabitatAlreadyExists>()("HabitatAlreadyExists", {
  type: problemType("habitat-already-exists"),
  status: 409,
  title: "Resource already exists"
}, resourceIdField) {
  static readonly of = (id: string) => new HabitatAlreadyExists({ id, detail: `A habitat with the id ${id} already exists` })
}

/** Habitat names are unique (exactly as written): a write gave a name another habitat has (409). */
export class HabitatNameTaken extends HttpApiError.Problem<HabitatNameTaken>()("HabitatNameTaken", {
  type: problemType("habitat-name-taken"),
  status: 409,
  title: "Value already taken"
}, {
  field: Schema.Literal("name").annotate({ description: "The unique field" }),
  value: Schema.String.annotate({ description: "The value the request gave it" })
}) {
  static readonly of = (value: string) => new HabitatNameTaken({ field: "name", value, detail: `Another habitat has the name ${value}` })
}

/** A habitat cannot be deleted while animals live in it (409). */
export class HabitatOccupied extends HttpApiError.Problem<HabitatOccupied>()("HabitatOccupied", {
  type: problemType("habitat-occupied"),
  status: 409,
  title: "Habitat still occupied"
}, resourceIdField) {
  static readonly of = (id: string) =>
    new HabitatOccupied({ id, detail: `The habitat ${id} still houses animals: move them to another habitat first` })
}

/** A habitat's capacity was lowered below the number of animals living in it (409). */
export class HabitatOverCapacity extends HttpApiError.Problem<HabitatOverCapacity>()("HabitatOverCapacity", {
  type: problemType("habitat-over-capacity"),
  status: 409,
  title: "Capacity below occupancy"
}, {
  habitat_id: HabitatId.annotate({ description: "The habitat written" }),
  capacity: HabitatCapacity.annotate({ description: "The capacity the request asked for" }),
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

/** One of each of its own problems, shown as the example response in the OpenAPI document. */
export const habitatProblemExamples = [
  HabitatNotFound.of("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"),
  HabitatAlreadyExists.of("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"),
  HabitatNameTaken.of("Savanna"),
  HabitatOccupied.of("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"),
  HabitatOverCapacity.of(HabitatId.make("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"), 10, 12)
]
