/**
 * The animal resource: its fields, its representations, and the problems its
 * operations can end in.
 */
import { Schema } from "effect"
import { HttpApiError } from "effect/http-api"
import { problemType, resourceIdField } from "../Errors.ts"
import { CalendarDate, IntBetween, isName, PastDate } from "../Shared/Fields.ts"
import { AnimalId, HabitatId, ZookeeperId } from "../Shared/Ids.ts"
import { type Filters, type LinkTable, oneOfFilter, prefixFilter } from "../Shared/Listing.ts"
import { DisplayName, mergePatchFields, nameRules, storedFields } from "../Shared/ResourceSchemas.ts"
import { ListEnvelope } from "../Shared/Versions.ts"

export { AnimalId } from "../Shared/Ids.ts"

export const Species = Schema.Literals(["lion", "tiger", "elephant", "monkey", "zebra", "panda"]).annotate({
  description: "Species of the animal"
})
export type Species = typeof Species.Type

/** What a client writes of an animal. */
const animalFields = {
  name: DisplayName(5, "Leo the Lion"),
  date_of_birth: PastDate.annotate({ description: "Date of birth (YYYY-MM-DD), not in the future" }),
  species: Species,
  nickname: Schema.optionalKey(Schema.String.check(isName(1, 100)).annotate({
    description: `Optional nickname, 1 to 100 characters; ${nameRules}`,
    examples: ["Leo"]
  })),
  habitat_id: Schema.optionalKey(HabitatId.annotate({ description: "The habitat the animal lives in, if it has one" }))
}

/** An animal as every read returns it. */
export const Animal = Schema.Struct({ id: AnimalId, ...animalFields, ...storedFields }).annotate({
  identifier: "Animal",
  description: "An animal, as stored: the writable fields, and the id, timestamps and version the server sets"
})
export type Animal = typeof Animal.Type

/** The body of `POST` and `PUT`: the writable fields, and the id when the client chooses it. */
export const AnimalCreate = Schema.Struct({ id: Schema.optionalKey(AnimalId), ...animalFields }).annotate({
  identifier: "AnimalCreate",
  description: "An animal to create, or the full replacement of one"
})
export type AnimalCreate = typeof AnimalCreate.Type

/** The body of `PATCH`: every field optional; `null` removes an optional field and is an error on a required one. */
export const AnimalPatch = Schema.Struct(mergePatchFields(animalFields)).annotate({
  identifier: "AnimalPatch",
  description: "A JSON Merge Patch (RFC 7396) of an animal: fields left out keep their value, null removes an optional one"
})
export type AnimalPatch = typeof AnimalPatch.Type

/** The `/v2` list body: `{ items, next_cursor, total }`. */
export const AnimalPage = ListEnvelope(Animal, "AnimalPage")

/**
 * Who cares for which animal: a zookeeper may care for many animals, and an
 * animal be in the care of many zookeepers.
 */
export const careLink = { table: "zookeeper_animals", owner: "zookeeper_id", member: "animal_id" } as const satisfies LinkTable

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

/** No animal has the id (404). */
export class AnimalNotFound extends HttpApiError.Problem<AnimalNotFound>()("AnimalNotFound", {
  type: problemType("animal-not-found"),
  status: 404,
  title: "Resource not found"
}, resourceIdField) {
  static readonly of = (id: string) => new AnimalNotFound({ id, detail: `No animal has the id ${id}` })
}

/** A create named an animal id that is taken (409). */
export class AnimalAlreadyExists extends HttpApiError.Problem<AnimalAlreadyExists>()("AnimalAlreadyExists", {
  type: problemType("animal-already-exists"),
  status: 409,
  title: "Resource already exists"
}, resourceIdField) {
  static readonly of = (id: string) => new AnimalAlreadyExists({ id, detail: `An animal with the id ${id} already exists` })
}

/** An animal was written with a `habitat_id` that names no habitat (422): well-formed, but it cannot be carried out. */
export class UnknownHabitat extends HttpApiError.Problem<UnknownHabitat>()("UnknownHabitat", {
  type: problemType("unknown-habitat"),
  status: 422,
  title: "Referenced resource not found"
}, resourceIdField) {
  static readonly of = (id: string) => new UnknownHabitat({ id, detail: `No habitat has the id ${id}` })
}

/** The capacity a habitat is made for, in every problem about it. */
export const HabitatCapacity = IntBetween(1, 1000).annotate({ description: "How many animals the habitat is made for", examples: [12] })

/** An animal was created, or moved, into a habitat that already houses as many animals as its capacity (409). */
export class HabitatFull extends HttpApiError.Problem<HabitatFull>()("HabitatFull", {
  type: problemType("habitat-full"),
  status: 409,
  title: "Habitat full"
}, {
  habitat_id: HabitatId.annotate({ description: "The habitat that has no room" }),
  capacity: HabitatCapacity
}) {
  static readonly of = (habitat_id: HabitatId, capacity: number) =>
    new HabitatFull({
      habitat_id,
      capacity,
      detail: `The habitat ${habitat_id} already houses ${capacity} animals, its capacity: choose another habitat, or raise its capacity first`
    })
}

/** One of each of its own problems, shown as the example response in the OpenAPI document. */
export const animalProblemExamples = [
  AnimalNotFound.of("0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f"),
  AnimalAlreadyExists.of("0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f"),
  UnknownHabitat.of("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"),
  HabitatFull.of(HabitatId.make("3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"), 12)
]
