/**
 * The zookeeper resource: its fields, its representations, and the problems
 * its operations can end in. Which animals each one cares for is the animals'
 * `careLink` (`src/Animals/Animal.ts`).
 */
import { Schema } from "effect"
import { HttpApiError } from "effect/http-api"
import { problemType, resourceIdField } from "../Errors.ts"
import { PastDate } from "../Shared/Fields.ts"
import { ZookeeperId } from "../Shared/Ids.ts"
import { type Filters, prefixFilter } from "../Shared/Listing.ts"
import { DisplayName, mergePatchFields, storedFields } from "../Shared/ResourceSchemas.ts"
import { ListEnvelope } from "../Shared/Versions.ts"

export { ZookeeperId } from "../Shared/Ids.ts"

/** A character of an address's local part between dots (RFC 5322 `atext`). */
const atext = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
/** A DNS label: letters, digits and inner hyphens, at most 63 characters. */
const label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"

/**
 * The one rule for an email address, as the document states it and writes
 * are checked: an RFC 5321 mailbox in its common form, the dot-atom (no
 * leading, trailing or doubled dot in the local part, no quoted local part),
 * `@`, a domain of DNS labels with at least one dot; ASCII; at most 254
 * characters. It is the `email` format of JSON Schema validators
 * (ajv-formats' full mode is this expression), so `format: email` and the
 * `pattern` beside it accept exactly the same addresses.
 */
const emailPattern = new RegExp(`^${atext}+(?:\\.${atext}+)*@${label}(?:\\.${label})+$`, "u")
const Email = Schema.String.check(
  Schema.isMaxLength(254),
  Schema.isPattern(emailPattern, {
    expected: "an email address such as keeper@zoo.example (no leading, trailing or doubled dot before the @)",
    // `format` beside the pattern, at the top of the JSON Schema (as an annotation it would sit in an `allOf`).
    toJsonSchema: () => ({ pattern: emailPattern.source, format: "email" })
  })
).annotate({
  description:
    "Email address (`local@domain`: dot-separated parts without leading, trailing or doubled dots; a domain with a dot), kept as written; no two zookeepers share one, whatever the letter case",
  examples: ["sam.keeper@zoo.example"]
})

/** What a client writes of a zookeeper. */
const zookeeperFields = {
  name: DisplayName(2, "Sam Keeper"),
  email: Email,
  hired_on: PastDate.annotate({ description: "Hiring date (YYYY-MM-DD), not in the future" })
}

/** A zookeeper as every read returns it. */
export const Zookeeper = Schema.Struct({ id: ZookeeperId, ...zookeeperFields, ...storedFields }).annotate({
  identifier: "Zookeeper",
  description: "A zookeeper, as stored: the writable fields, and the id, timestamps and version the server sets"
})
export type Zookeeper = typeof Zookeeper.Type

/** The body of `POST` and `PUT`: the writable fields, and the id when the client chooses it. */
export const ZookeeperCreate = Schema.Struct({ id: Schema.optionalKey(ZookeeperId), ...zookeeperFields }).annotate({
  identifier: "ZookeeperCreate",
  description: "A zookeeper to create, or the full replacement of one"
})
export type ZookeeperCreate = typeof ZookeeperCreate.Type

/** The body of `PATCH`: every field optional; `null` is an error on a required one. */
export const ZookeeperPatch = Schema.Struct(mergePatchFields(zookeeperFields)).annotate({
  identifier: "ZookeeperPatch",
  description: "A JSON Merge Patch (RFC 7396) of a zookeeper: fields left out keep their value, null removes an optional one"
})
export type ZookeeperPatch = typeof ZookeeperPatch.Type

/** The `/v2` list body: `{ items, next_cursor, total }`. */
export const ZookeeperPage = ListEnvelope(Zookeeper, "ZookeeperPage")

/** What a list of zookeepers can be filtered by; the query string, SQL and memory layers all read this. */
export const zookeeperFilters = { name: prefixFilter("name", "Name starts with this text (case-insensitive)") } as const satisfies Filters

export const zookeeperSortFields = ["name", "hired_on", "created_at"] as const

/** No zookeeper has the id (404). */
export class ZookeeperNotFound extends HttpApiError.Problem<ZookeeperNotFound>()("ZookeeperNotFound", {
  type: problemType("zookeeper-not-found"),
  status: 404,
  title: "Resource not found"
}, resourceIdField) {
  static readonly of = (id: string) => new ZookeeperNotFound({ id, detail: `No zookeeper has the id ${id}` })
}

/** A create named a zookeeper id that is taken (409). */
export class ZookeeperAlreadyExists extends HttpApiError.Problem<ZookeeperAlreadyExists>()("ZookeeperAlreadyExists", {
  type: problemType("zookeeper-already-exists"),
  status: 409,
  title: "Resource already exists"
}, resourceIdField) {
  static readonly of = (id: string) => new ZookeeperAlreadyExists({ id, detail: `A zookeeper with the id ${id} already exists` })
}

/** Emails are unique, ignoring letter case: a write gave an email another zookeeper has (409). */
export class ZookeeperEmailTaken extends HttpApiError.Problem<ZookeeperEmailTaken>()("ZookeeperEmailTaken", {
  type: problemType("zookeeper-email-taken"),
  status: 409,
  title: "Value already taken"
}, {
  field: Schema.Literal("email").annotate({ description: "The unique field" }),
  value: Schema.String.annotate({ description: "The value the request gave it" })
}) {
  static readonly of = (value: string) =>
    new ZookeeperEmailTaken({ field: "email", value, detail: `Another zookeeper has the email ${value}` })
}

/** One of each of its own problems, shown as the example response in the OpenAPI document. */
export const zookeeperProblemExamples = [
  ZookeeperNotFound.of("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
  ZookeeperAlreadyExists.of("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
  ZookeeperEmailTaken.of("sam.keeper@zoo.example")
]
