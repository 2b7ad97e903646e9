/**
 * The handlers of relations between collections: the members of one owner
 * (`/v2/habitats/{id}/animals`), declared in the owner's `*Api.ts`.
 */
import { Effect } from "effect"
import type { HttpServerRequest } from "effect/http"
import type { ListRequest, Page } from "../Repo/Repository.ts"
import type { ApiVersion } from "../Shared/Versions.ts"
import { makeListHandler, type ResourceDescription } from "./ResourceHttp.ts"

/**
 * `GET /v<version>/<owners>/{id}/<members>`: 404 unless the owner exists,
 * then the members' own list with the filter `fixed` set to the owner's id, so
 * pages, filters, sort, body and headers are exactly those of the members'
 * collection in that version.
 */
export const makeMembersHandler = <OwnerError, S extends ResourceDescription["Resource"], ListError, V extends ApiVersion>(
  owners: { readonly findById: (id: string) => Effect.Effect<unknown, OwnerError> },
  members: ResourceDescription<S>,
  list: (request: ListRequest) => Effect.Effect<Page<S["Type"]>, ListError>,
  fixed: string,
  version: V
) =>
  Effect.map(makeListHandler(members, list, version), (listMembers) => (request: {
    readonly params: { readonly id: string }
    readonly query: { readonly limit?: number; readonly cursor?: string; readonly sort?: string }
    readonly request: HttpServerRequest.HttpServerRequest
  }) => Effect.andThen(owners.findById(request.params.id), listMembers(request, { [fixed]: request.params.id })))
