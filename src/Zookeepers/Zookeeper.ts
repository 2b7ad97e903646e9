/**
 * The zookeeper resource, and the animals in each zookeeper's care: its
 * identifier, its fields, the problems its operations can end in, and the
 * collection's contract.
 */
import { Schema } from "effect"
import { FieldTakenProblem } from "../Errors.ts"
import { PastDate } from "../Shared/Fields.ts"
import { type Filters, type LinkTable, prefixFilter } from "../Shared/Listing.ts"
import { defineResource } from "../Shared/Resource.ts"
import { DisplayName, ResourceId } from "../Shared/ResourceSchemas.ts"

export const ZookeeperId = ResourceId("ZookeeperId", "Zookeeper identifier (UUID)", "7c9e6679-7425-40de-944b-e07fc1f90ae7")
export type ZookeeperId = typeof ZookeeperId.Type

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

/** Emails are unique, ignoring letter case. */
export const ZookeeperEmailTaken = FieldTakenProblem("ZookeeperEmailTaken", "zookeeper", "email")

/**
 * Who cares for which animal: a zookeeper has any number of animals in their
 * care, and an animal any number of zookeepers.
 */
export const careLink = { table: "zookeeper_animals", owner: "zookeeper_id", member: "animal_id" } as const satisfies LinkTable

export const zookeepersContract = defineResource({
  name: "zookeepers",
  singular: "zookeeper",
  description: "The zookeepers, and the animals in each one's care",
  Id: ZookeeperId,
  fields: {
    name: DisplayName(2, "Sam Keeper"),
    email: Email,
    hired_on: PastDate.annotate({ description: "Hiring date (YYYY-MM-DD), not in the future" })
  },
  filters: { name: prefixFilter("name", "Name starts with this text (case-insensitive)") } satisfies Filters,
  sortFields: ["name", "hired_on", "created_at"],
  writeErrors: [ZookeeperEmailTaken]
})

export const { Create: ZookeeperCreate, Patch: ZookeeperPatch, Resource: Zookeeper } = zookeepersContract
export type Zookeeper = typeof Zookeeper.Type
export type ZookeeperCreate = typeof ZookeeperCreate.Type
export type ZookeeperPatch = typeof ZookeeperPatch.Type

/** One of each of its own problems, shown as the example response in the OpenAPI document. */
export const zookeeperProblemExamples = [ZookeeperEmailTaken.of("sam.keeper@zoo.example")]
