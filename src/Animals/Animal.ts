/**
 * The animal resource: its identifier, its representations on the wire and
 * the problems its operations can end in.
 */
import { Schema } from "effect"
import { HttpApiError } from "effect/http-api"
import { alreadyExists, notFound, resourceIdField } from "../Errors.ts"
import { CalendarDate, PastDate, Timestamp, Version } from "../Shared/Fields.ts"
import { filterQuery, type Filters } from "../Shared/Listing.ts"
import { pageQuery } from "../Shared/ResourceApi.ts"

export const AnimalId = Schema.String.check(Schema.isUUID()).pipe(
  Schema.brand("AnimalId"),
  Schema.annotate({
    description: "Animal identifier (UUID)",
    examples: ["0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f" as any]
  })
)
export type AnimalId = typeof AnimalId.Type

export const Species = Schema.Literals(["lion", "tiger", "elephant", "monkey", "zebra", "panda"]).annotate({
  description: "Species of the animal"
})
export type Species = typeof Species.Type

const Name = Schema.String.check(Schema.isBetweenCodePoints(5, 100)).annotate({
  description: "Display name, 5 to 100 characters (Unicode code points)",
  examples: ["Leo the Lion"]
})

const Nickname = Schema.String.check(Schema.isBetweenCodePoints(1, 100)).annotate({
  description: "Optional nickname, 1 to 100 characters",
  examples: ["Leo"]
})

const DateOfBirth = PastDate.annotate({ description: "Date of birth (YYYY-MM-DD), not in the future" })

/**
 * What a client writes. `optionalKey` (absent or a value, never `null`)
 * because `null` means something else in a merge patch: "remove the field".
 */
const writableFields = {
  name: Name,
  date_of_birth: DateOfBirth,
  species: Species,
  nickname: Schema.optionalKey(Nickname)
}

/** The body of `POST` and `PUT`: the writable fields, and the id when the client chooses it. */
export const AnimalCreate = Schema.Struct({
  id: Schema.optionalKey(AnimalId),
  ...writableFields
}).annotate({ identifier: "AnimalCreate", description: "An animal to create, or the full replacement of one" })
export type AnimalCreate = typeof AnimalCreate.Type

/**
 * The body of `PATCH` (JSON Merge Patch, RFC 7396): every field optional;
 * `null` removes an optional field and is an error on a required one.
 */
export const AnimalPatch = Schema.Struct({
  name: Schema.optionalKey(Name),
  date_of_birth: Schema.optionalKey(DateOfBirth),
  species: Schema.optionalKey(Species),
  nickname: Schema.optionalKey(Schema.NullOr(Nickname))
}).annotate({
  identifier: "AnimalPatch",
  description: "A JSON Merge Patch (RFC 7396) of an animal: fields left out keep their value, null removes the nickname"
})
export type AnimalPatch = typeof AnimalPatch.Type

/** The stored animal, as every read returns it. */
export const Animal = Schema.Struct({
  id: AnimalId,
  ...writableFields,
  created_at: Timestamp,
  updated_at: Timestamp,
  version: Version
}).annotate({ identifier: "Animal", description: "An animal living in the zoo" })
export type Animal = typeof Animal.Type

export class AnimalNotFound extends HttpApiError.Problem<AnimalNotFound>()(
  "AnimalNotFound",
  notFound("animal"),
  resourceIdField
) {
  static readonly of = (id: string) => new AnimalNotFound({ id, detail: `No animal has the id ${id}` })
}

export class AnimalAlreadyExists extends HttpApiError.Problem<AnimalAlreadyExists>()(
  "AnimalAlreadyExists",
  alreadyExists("animal"),
  resourceIdField
) {
  static readonly of = (id: string) => new AnimalAlreadyExists({ id, detail: `An animal with the id ${id} already exists` })
}

/** One of each problem, shown as the example response in the OpenAPI document. */
export const animalProblemExamples = [
  AnimalNotFound.of("0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f"),
  AnimalAlreadyExists.of("0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f")
]

/** What a list of animals can be filtered by; the query string, SQL and memory layers all read this. */
export const animalFilters = {
  species: {
    kind: "in",
    column: "species",
    schema: Species,
    type: "species",
    description: "Only these species (repeat the parameter for several)"
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
  name: {
    kind: "prefix",
    column: "name",
    schema: Schema.String.check(Schema.isMinLength(1)),
    type: "string",
    description: "Name starts with this text (case-insensitive)"
  }
} as const satisfies Filters

export const animalSortFields = ["name", "date_of_birth", "created_at"] as const

/** The animals collection as the shared resource contract sees it. */
export const animalsContract = {
  name: "animals",
  singular: "animal",
  description: "The animals living in the zoo",
  Id: AnimalId,
  Resource: Animal,
  Create: AnimalCreate,
  Patch: AnimalPatch,
  query: { ...pageQuery(animalSortFields), ...filterQuery(animalFilters) },
  NotFound: AnimalNotFound,
  IdTaken: AnimalAlreadyExists,
  writeErrors: [],
  deleteErrors: [],
  filters: animalFilters,
  sortFields: animalSortFields
} as const
