/**
 * A collection, declared once: its names, id, writable fields, filters, sort
 * fields and the problems its writes can end in. Everything every collection
 * has alike is made from that here: the three representations (create,
 * merge patch, stored), the v2 list envelope, the not-found and id-taken
 * problems, the list's query string. The result is the collection's contract (`makeResourceGroup`), and
 * what its repository and handlers are made from.
 */
import { Schema } from "effect"
import { AlreadyExistsProblem, NotFoundProblem } from "../Errors.ts"
import { filterQuery, type Filters } from "./Listing.ts"
import { pageQuery } from "./ResourceApi.ts"
import { resourceSchemas } from "./ResourceSchemas.ts"
import { article, capitalize } from "./Text.ts"
import { ListEnvelope } from "./Versions.ts"

export const defineResource = <
  const Name extends string,
  const Singular extends string,
  Id extends Schema.Top,
  const Fields extends Schema.Struct.Fields,
  const F extends Filters,
  const Sort extends ReadonlyArray<string>,
  const WriteErrors extends ReadonlyArray<Schema.Top> = readonly [],
  const DeleteErrors extends ReadonlyArray<Schema.Top> = readonly []
>(definition: {
  /** The collection's name and path segment, e.g. `animals`; also its table. */
  readonly name: Name
  /** Singular noun, e.g. `animal`: `Animal`, `AnimalNotFound` ... are named after it. */
  readonly singular: Singular
  /** What the collection holds, for the documentation. */
  readonly description: string
  readonly Id: Id
  readonly fields: Fields
  readonly filters: F
  readonly sortFields: Sort
  /** Problems of create, replace and patch beyond not-found and a taken id: unique fields taken, unknown references. */
  readonly writeErrors?: WriteErrors
  /** Problems of delete beyond not-found, e.g. still referenced. */
  readonly deleteErrors?: DeleteErrors
}) => {
  const Title = capitalize(definition.singular) as Capitalize<Singular>
  const schemas = resourceSchemas(Title, {
    singular: definition.singular,
    description: `${capitalize(article(definition.singular))}, as stored: the writable fields, and the id, timestamps and version the server sets`,
    Id: definition.Id,
    fields: definition.fields
  })
  const NotFound = NotFoundProblem(`${Title}NotFound`, definition.singular)
  const IdTaken = AlreadyExistsProblem(`${Title}AlreadyExists`, definition.singular)
  const exampleId = String(Schema.resolveAnnotations(definition.Id)?.examples?.[0] ?? "00000000-0000-4000-8000-000000000000")
  return {
    ...definition,
    ...schemas,
    /** The v2 list body: `{ items, next_cursor, total }`. */
    Page: ListEnvelope(schemas.Resource, `${Title}Page`),
    query: { ...pageQuery(definition.sortFields), ...filterQuery(definition.filters) },
    NotFound,
    IdTaken,
    writeErrors: definition.writeErrors ?? ([] as unknown as WriteErrors),
    deleteErrors: definition.deleteErrors ?? ([] as unknown as DeleteErrors),
    /** The not-found and id-taken problems about the id's example, for the OpenAPI document. */
    problemExamples: [NotFound.of(exampleId), IdTaken.of(exampleId)]
  }
}
