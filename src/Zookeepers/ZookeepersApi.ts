/**
 * The zookeepers endpoints, and the animals in each one's care (listed,
 * assigned, unassigned): `/v2/zookeepers` (current) and `/v1/zookeepers`
 * (deprecated), which differ only in the lists' bodies.
 */
import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import { RequiredScope, WriteAccess } from "../Auth/WriteAccess.ts"
import { DatabaseUnavailable, PreconditionFailed } from "../Errors.ts"
import { Idempotency, idempotencyHeaders } from "../Idempotency.ts"
import { Animal, animalFilters, AnimalNotFound, AnimalPage, animalSortFields } from "../Animals/Animal.ts"
import { AnimalId, ZookeeperId } from "../Shared/Ids.ts"
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
  Zookeeper,
  ZookeeperAlreadyExists,
  ZookeeperCreate,
  ZookeeperEmailTaken,
  zookeeperFilters,
  ZookeeperNotFound,
  ZookeeperPage,
  ZookeeperPatch,
  zookeeperSortFields
} from "./Zookeeper.ts"

/** The list's query string: page controls, sort and filters. */
const zookeepersQuery = { ...pageQuery(zookeeperSortFields), ...filterQuery(zookeeperFilters) }

/** The animals list's query string, but the zookeeper: the path names it. */
const careQuery = { ...pageQuery(animalSortFields), ...filterQuery(withoutFilter(animalFilters, "zookeeper_id")) }

// Every endpoint but the list is the same in both versions.
const capabilities = HttpApiEndpoint.options("capabilities", "/", { success: capabilitiesSuccess })
  .annotate(OpenApi.Summary, "What can be done with zookeepers")
  .annotate(OpenApi.Description, endpointDescriptions.capabilities)

const create = HttpApiEndpoint.post("create", "/", {
  headers: idempotencyHeaders,
  payload: ZookeeperCreate,
  success: createdSuccess(Zookeeper, "URL of the new zookeeper"),
  error: [ZookeeperAlreadyExists, ZookeeperEmailTaken, DatabaseUnavailable]
}).middleware(Idempotency)
  .middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Create a zookeeper")
  .annotate(OpenApi.Description, endpointDescriptions.create)

const get = HttpApiEndpoint.get("get", "/:id", {
  params: { id: ZookeeperId },
  headers: conditionalRead,
  success: [resourceSuccess(Zookeeper), notModified],
  error: [ZookeeperNotFound, DatabaseUnavailable]
}).annotate(OpenApi.Summary, "Get a zookeeper")
  .annotate(OpenApi.Description, endpointDescriptions.get)

const options = HttpApiEndpoint.options("options", "/:id", { params: { id: ZookeeperId }, success: optionsSuccess })
  .annotate(OpenApi.Summary, "Methods allowed on a zookeeper")
  .annotate(OpenApi.Description, endpointDescriptions.options)

const replace = HttpApiEndpoint.put("replace", "/:id", {
  params: { id: ZookeeperId },
  headers: conditionalWrite,
  payload: ZookeeperCreate,
  success: resourceSuccess(Zookeeper),
  error: [ZookeeperNotFound, PreconditionFailed, ZookeeperEmailTaken, DatabaseUnavailable]
}).middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Replace a zookeeper")
  .annotate(OpenApi.Description, endpointDescriptions.replace)

const patch = HttpApiEndpoint.patch("patch", "/:id", {
  params: { id: ZookeeperId },
  headers: { ...conditionalWrite, ...idempotencyHeaders },
  payload: mergePatch(ZookeeperPatch),
  success: resourceSuccess(Zookeeper),
  error: [ZookeeperNotFound, PreconditionFailed, ZookeeperEmailTaken, DatabaseUnavailable]
}).middleware(Idempotency)
  .middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Update a zookeeper (JSON Merge Patch)")
  .annotate(OpenApi.Description, endpointDescriptions.patch)

const remove = HttpApiEndpoint.delete("delete", "/:id", {
  params: { id: ZookeeperId },
  headers: conditionalWrite,
  success: HttpApiSchema.NoContent,
  error: [ZookeeperNotFound, PreconditionFailed, DatabaseUnavailable]
}).middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Delete a zookeeper")
  .annotate(OpenApi.Description, endpointDescriptions.delete)

/** Assigning an animal to a zookeeper, and taking it back: both idempotent, both write the zookeeper. */
const careEndpoint = {
  params: { id: ZookeeperId, animal_id: AnimalId },
  headers: idempotencyHeaders,
  success: HttpApiSchema.NoContent,
  error: [ZookeeperNotFound, AnimalNotFound, DatabaseUnavailable]
} as const
const careDescription = "Idempotent: 204 whether or not they were linked before. 404 if the zookeeper or the animal does not exist."

const assignAnimal = HttpApiEndpoint.put("assignAnimal", "/:id/animals/:animal_id", careEndpoint)
  .middleware(Idempotency)
  .middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Put an animal in a zookeeper's care")
  .annotate(OpenApi.Description, careDescription)

const unassignAnimal = HttpApiEndpoint.delete("unassignAnimal", "/:id/animals/:animal_id", careEndpoint)
  .middleware(Idempotency)
  .middleware(WriteAccess)
  .annotate(OpenApi.Summary, "Take an animal out of a zookeeper's care")
  .annotate(OpenApi.Description, careDescription)

/** `/v2/zookeepers`: list (the `{ items, next_cursor, total }` envelope), capabilities, create, get, replace, merge patch, delete; the animals in a zookeeper's care. */
export class ZookeepersApi extends HttpApiGroup.make("zookeepers")
  .add(
    HttpApiEndpoint.get("list", "/", { query: zookeepersQuery, success: listSuccess(ZookeeperPage), error: DatabaseUnavailable })
      .annotate(OpenApi.Summary, "List zookeepers")
      .annotate(OpenApi.Description, endpointDescriptions.list),
    capabilities,
    create,
    get,
    options,
    replace,
    patch,
    remove,
    HttpApiEndpoint.get("listAnimals", "/:id/animals", {
      params: { id: ZookeeperId },
      query: careQuery,
      success: listSuccess(AnimalPage),
      error: [ZookeeperNotFound, DatabaseUnavailable]
    }).annotate(OpenApi.Summary, "List the animals of a zookeeper")
      .annotate(OpenApi.Description, "Pages, filters and sort as on `/v2/animals`. 404 if the zookeeper does not exist."),
    assignAnimal,
    unassignAnimal
  )
  .prefix("/v2/zookeepers")
  // Writes (the endpoints with WriteAccess) need this scope of a bearer token.
  .annotate(RequiredScope, "write:zookeepers")
  .annotateMerge(OpenApi.annotations({ title: "Zookeepers", description: "The zookeepers, and the animals in each one's care" }))
{}

/** `/v1/zookeepers`, deprecated: the same endpoints, but the lists answer a bare array. */
export class ZookeepersApiV1 extends HttpApiGroup.make("zookeepersV1")
  .add(
    HttpApiEndpoint.get("list", "/", { query: zookeepersQuery, success: listSuccess(PageRows(Zookeeper)), error: DatabaseUnavailable })
      .annotate(OpenApi.Summary, "List zookeepers")
      .annotate(OpenApi.Description, endpointDescriptions.list),
    capabilities,
    create,
    get,
    options,
    replace,
    patch,
    remove,
    HttpApiEndpoint.get("listAnimals", "/:id/animals", {
      params: { id: ZookeeperId },
      query: careQuery,
      success: listSuccess(PageRows(Animal)),
      error: [ZookeeperNotFound, DatabaseUnavailable]
    }).annotate(OpenApi.Summary, "List the animals of a zookeeper")
      .annotate(OpenApi.Description, "Pages, filters and sort as on `/v1/animals`. 404 if the zookeeper does not exist."),
    assignAnimal,
    unassignAnimal
  )
  .prefix("/v1/zookeepers")
  .annotate(RequiredScope, "write:zookeepers")
  .annotateEndpointsMerge(OpenApi.annotations({ deprecated: true }))
  .annotateMerge(OpenApi.annotations({ title: "Zookeepers (v1, deprecated)", description: "The zookeepers, and the animals in each one's care" }))
{}
