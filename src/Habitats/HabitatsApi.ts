/**
 * The habitats endpoints, and the animals living in each habitat:
 * `/v2/habitats` (current) and `/v1/habitats` (deprecated), which differ only
 * in the lists' bodies.
 */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { RequiredScope, WriteAccess } from "../Auth/WriteAccess.ts"
import { DatabaseUnavailable, PreconditionFailed } from "../Errors.ts"
import { Idempotency, idempotencyHeaders } from "../Idempotency.ts"
import { Animal, animalFilters, AnimalPage, animalSortFields } from "../Animals/Animal.ts"
import { HabitatId } from "../Shared/Ids.ts"
import { filterQuery, withoutFilter } from "../Shared/Listing.ts"
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
  Habitat,
  HabitatAlreadyExists,
  HabitatCreate,
  habitatFilters,
  HabitatNameTaken,
  HabitatNotFound,
  HabitatOccupied,
  HabitatOverCapacity,
  HabitatPage,
  HabitatPatch,
  habitatSortFields
} from "./Habitat.ts"

/** The list's query string: page controls, sort and filters. */
const habitatsQuery = { ...pageQuery(habitatSortFields), ...filterQuery(habitatFilters) }

/** The animals list's query string, but the habitat: the path names it. */
const habitatAnimalsQuery = { ...pageQuery(animalSortFields), ...filterQuery(withoutFilter(animalFilters, "habitat_id")) }

// Every endpoint but the list is the same in both versions.
const capabilities = HttpApiEndpoint.options("capabilities", "/", { success: capabilitiesSuccess })
  .annotate(OpenApi.Summary, "What can be done with habitats")
  .annotate(OpenApi.Description, endpointDescriptions.capabilities)

const create = HttpApiEndpoint.post("create", "/", {
  headers: idempotencyHeaders,
  payload: HabitatCreate,
  success: createdSuccess(Habitat, "URL of the new habitat"),
  error: [HabitatAlreadyExists, HabitatNameTaken, HabitatOverCapacity, DatabaseUnavailable]
}).middleware(Idempotency)
  .middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Create a habitat")
  .annotate(OpenApi.Description, endpointDescriptions.create)

const get = HttpApiEndpoint.get("get", "/:id", {
  params: { id: HabitatId },
  headers: conditionalRead,
  success: [resourceSuccess(Habitat), notModified],
  error: [HabitatNotFound, DatabaseUnavailable]
}).annotate(OpenApi.Summary, "Get a habitat")
  .annotate(OpenApi.Description, endpointDescriptions.get)

const options = HttpApiEndpoint.options("options", "/:id", { params: { id: HabitatId }, success: optionsSuccess })
  .annotate(OpenApi.Summary, "Methods allowed on a habitat")
  .annotate(OpenApi.Description, endpointDescriptions.options)

const replace = HttpApiEndpoint.put("replace", "/:id", {
  params: { id: HabitatId },
  headers: conditionalWrite,
  payload: HabitatCreate,
  success: resourceSuccess(Habitat),
  error: [HabitatNotFound, PreconditionFailed, HabitatNameTaken, HabitatOverCapacity, DatabaseUnavailable]
}).middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Replace a habitat")
  .annotate(OpenApi.Description, endpointDescriptions.replace)

const patch = HttpApiEndpoint.patch("patch", "/:id", {
  params: { id: HabitatId },
  headers: { ...conditionalWrite, ...idempotencyHeaders },
  payload: mergePatch(HabitatPatch),
  success: resourceSuccess(Habitat),
  error: [HabitatNotFound, PreconditionFailed, HabitatNameTaken, HabitatOverCapacity, DatabaseUnavailable]
}).middleware(Idempotency)
  .middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Update a habitat (JSON Merge Patch)")
  .annotate(OpenApi.Description, endpointDescriptions.patch)

const remove = HttpApiEndpoint.delete("delete", "/:id", {
  params: { id: HabitatId },
  headers: conditionalWrite,
  success: HttpApiSchema.NoContent,
  error: [HabitatNotFound, PreconditionFailed, HabitatOccupied, DatabaseUnavailable]
}).middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Delete a habitat")
  .annotate(OpenApi.Description, endpointDescriptions.delete)

/** `/v2/habitats`: list (the `{ items, next_cursor, total }` envelope), capabilities, create, get, replace, merge patch, delete; the animals of a habitat. */
export class HabitatsApi extends HttpApiGroup.make("habitats")
  .add(
    HttpApiEndpoint.get("list", "/", { query: habitatsQuery, success: listSuccess(HabitatPage), error: DatabaseUnavailable })
      .annotate(OpenApi.Summary, "List habitats")
      .annotate(OpenApi.Description, endpointDescriptions.list),
    capabilities,
    create,
    get,
    options,
    replace,
    patch,
    remove,
    HttpApiEndpoint.get("listAnimals", "/:id/animals", {
      params: { id: HabitatId },
      query: habitatAnimalsQuery,
      success: listSuccess(AnimalPage),
      error: [HabitatNotFound, DatabaseUnavailable]
    }).annotate(OpenApi.Summary, "List the animals of a habitat")
      .annotate(OpenApi.Description, "Pages, filters and sort as on `/v2/animals`. 404 if the habitat does not exist.")
  )
  .prefix("/v2/habitats")
  // Writes (the endpoints with WriteAccess) need this scope of a bearer token.
  .annotate(RequiredScope, "write:habitats")
  .annotateMerge(OpenApi.annotations({ title: "Habitats", description: "The habitats of the zoo, and the animals living in each" }))
{}

/** `/v1/habitats`, deprecated: the same endpoints, but the lists answer a bare array. */
export class HabitatsApiV1 extends HttpApiGroup.make("habitatsV1")
  .add(
    HttpApiEndpoint.get("list", "/", { query: habitatsQuery, success: listSuccess(PageRows(Habitat)), error: DatabaseUnavailable })
      .annotate(OpenApi.Summary, "List habitats")
      .annotate(OpenApi.Description, endpointDescriptions.list),
    capabilities,
    create,
    get,
    options,
    replace,
    patch,
    remove,
    HttpApiEndpoint.get("listAnimals", "/:id/animals", {
      params: { id: HabitatId },
      query: habitatAnimalsQuery,
      success: listSuccess(PageRows(Animal)),
      error: [HabitatNotFound, DatabaseUnavailable]
    }).annotate(OpenApi.Summary, "List the animals of a habitat")
      .annotate(OpenApi.Description, "Pages, filters and sort as on `/v1/animals`. 404 if the habitat does not exist.")
  )
  .prefix("/v1/habitats")
  .annotate(RequiredScope, "write:habitats")
  .annotateEndpointsMerge(OpenApi.annotations({ deprecated: true }))
  .annotateMerge(OpenApi.annotations({ title: "Habitats (v1, deprecated)", description: "The habitats of the zoo, and the animals living in each" }))
{}
