/**
 * The animals endpoints: `/v2/animals` (current) and `/v1/animals`
 * (deprecated), which differ only in the list's body.
 */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { RequiredScope, WriteAccess } from "../Auth/WriteAccess.ts"
import { DatabaseUnavailable, PreconditionFailed } from "../Errors.ts"
import { Idempotency, idempotencyHeaders } from "../Idempotency.ts"
import { AnimalId } from "../Shared/Ids.ts"
import { filterQuery } from "../Shared/Listing.ts"
import {
  capabilitiesSuccess,
  conditionalRead,
  conditionalWrite,
  createdSuccess,
  endpointDescriptions,
  listSuccess,
  mergePatch,
  notModified,
  optionsSuccess,
  pageQuery,
  resourceSuccess
} from "../Shared/ResourceApi.ts"
import { PageRows } from "../Shared/Versions.ts"
import {
  Animal,
  AnimalAlreadyExists,
  AnimalCreate,
  animalFilters,
  AnimalNotFound,
  AnimalPage,
  AnimalPatch,
  animalSortFields,
  HabitatFull,
  UnknownHabitat
} from "./Animal.ts"

/** The list's query string: page controls, sort and filters. */
export const animalsQuery = { ...pageQuery(animalSortFields), ...filterQuery(animalFilters) }

// Every endpoint but the list is the same in both versions.
const capabilities = HttpApiEndpoint.options("capabilities", "/", { success: capabilitiesSuccess })
  .annotate(OpenApi.Summary, "What can be done with animals")
  .annotate(OpenApi.Description, endpointDescriptions.capabilities)

const create = HttpApiEndpoint.post("create", "/", {
  headers: idempotencyHeaders,
  payload: AnimalCreate,
  success: createdSuccess(Animal, "URL of the new animal"),
  error: [AnimalAlreadyExists, UnknownHabitat, HabitatFull, DatabaseUnavailable]
}).middleware(Idempotency)
  .middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Create an animal")
  .annotate(OpenApi.Description, endpointDescriptions.create)

const get = HttpApiEndpoint.get("get", "/:id", {
  params: { id: AnimalId },
  headers: conditionalRead,
  success: [resourceSuccess(Animal), notModified],
  error: [AnimalNotFound, DatabaseUnavailable]
}).annotate(OpenApi.Summary, "Get an animal")
  .annotate(OpenApi.Description, endpointDescriptions.get)

const options = HttpApiEndpoint.options("options", "/:id", { params: { id: AnimalId }, success: optionsSuccess })
  .annotate(OpenApi.Summary, "Methods allowed on an animal")
  .annotate(OpenApi.Description, endpointDescriptions.options)

const replace = HttpApiEndpoint.put("replace", "/:id", {
  params: { id: AnimalId },
  headers: conditionalWrite,
  payload: AnimalCreate,
  success: resourceSuccess(Animal),
  error: [AnimalNotFound, PreconditionFailed, UnknownHabitat, HabitatFull, DatabaseUnavailable]
}).middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Replace an animal")
  .annotate(OpenApi.Description, endpointDescriptions.replace)

const patch = HttpApiEndpoint.patch("patch", "/:id", {
  params: { id: AnimalId },
  headers: { ...conditionalWrite, ...idempotencyHeaders },
  payload: mergePatch(AnimalPatch),
  success: resourceSuccess(Animal),
  error: [AnimalNotFound, PreconditionFailed, UnknownHabitat, HabitatFull, DatabaseUnavailable]
}).middleware(Idempotency)
  .middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Update an animal (JSON Merge Patch)")
  .annotate(OpenApi.Description, endpointDescriptions.patch)

const remove = HttpApiEndpoint.delete("delete", "/:id", {
  params: { id: AnimalId },
  headers: conditionalWrite,
  success: HttpApiSchema.NoContent,
  error: [AnimalNotFound, PreconditionFailed, DatabaseUnavailable]
}).middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Delete an animal")
  .annotate(OpenApi.Description, endpointDescriptions.delete)

/** `/v2/animals`: list (the `{ items, next_cursor, total }` envelope), capabilities, create, get, replace, merge patch, delete. */
export class AnimalsApi extends HttpApiGroup.make("animals")
  .add(
    HttpApiEndpoint.get("list", "/", { query: animalsQuery, success: listSuccess(AnimalPage), error: DatabaseUnavailable })
      .annotate(OpenApi.Summary, "List animals")
      .annotate(OpenApi.Description, endpointDescriptions.list),
    capabilities,
    create,
    get,
    options,
    replace,
    patch,
    remove
  )
  .prefix("/v2/animals")
  // Writes (the endpoints with WriteAccess) need this scope of a bearer token.
  .annotate(RequiredScope, "write:animals")
  .annotateMerge(OpenApi.annotations({ title: "Animals", description: "The animals living in the zoo" }))
{}

/** `/v1/animals`, deprecated: the same endpoints, but the list answers a bare array. */
export class AnimalsApiV1 extends HttpApiGroup.make("animalsV1")
  .add(
    HttpApiEndpoint.get("list", "/", { query: animalsQuery, success: listSuccess(PageRows(Animal)), error: DatabaseUnavailable })
      .annotate(OpenApi.Summary, "List animals")
      .annotate(OpenApi.Description, endpointDescriptions.list),
    capabilities,
    create,
    get,
    options,
    replace,
    patch,
    remove
  )
  .prefix("/v1/animals")
  .annotate(RequiredScope, "write:animals")
  .annotateEndpointsMerge(OpenApi.annotations({ deprecated: true }))
  .annotateMerge(OpenApi.annotations({ title: "Animals (v1, deprecated)", description: "The animals living in the zoo" }))
{}
