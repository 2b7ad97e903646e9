/**
 * The HTTP contract of relations between collections: the members of one
 * owner, listed exactly like the members' own collection
 * (`GET /v1/habitats/{id}/animals`), and many-to-many links made and removed
 * with `PUT` and `DELETE` (`/v1/zookeepers/{id}/animals/{animal_id}`); in
 * every version, as the version lists (`/v2/...` answers the envelope).
 */
import type { Schema } from "effect"
import { HttpApiEndpoint, HttpApiSchema, OpenApi } from "effect/http-api"
import { RequiredScope, WriteAccess, writeScope } from "../Auth/WriteAccess.ts"
import { DatabaseUnavailable } from "../Errors.ts"
import { Idempotency, idempotencyHeaders } from "./Idempotency.ts"
import { filterQuery, type Filters, withoutFilter } from "./Listing.ts"
import { listSuccess, pageQuery } from "./ResourceApi.ts"
import { article } from "./Text.ts"
import { type ApiVersion, type Listable, versionAnnotations, versionPath } from "./Versions.ts"

/** What a relation needs of the collection at one end: its name, id and not-found problem. */
export interface End<Id extends Schema.Top, NotFound extends Schema.Top> {
  readonly name: string
  readonly singular: string
  readonly Id: Id
  readonly NotFound: NotFound
}

/** What a members list needs of the members' collection: how it lists. */
export interface Listed<Resource extends Schema.Top, F extends Filters, Sort extends ReadonlyArray<string>>
  extends Listable<Resource>
{
  readonly name: string
  readonly filters: F
  readonly sortFields: Sort
}

/**
 * `GET /v<version>/<owners>/{id}/<members>`: the members list with the filter
 * `fixed` set to the owner's id (and gone from the query). Same page, filter
 * and sort parameters, body and headers as the members' collection in that
 * version; 404 if the owner does not exist.
 */
export const makeMembersEndpoint = <
  const Name extends string,
  OwnerId extends Schema.Top,
  OwnerNotFound extends Schema.Top,
  Resource extends Schema.Top,
  F extends Filters,
  const Sort extends ReadonlyArray<string>,
  Fixed extends keyof F & string,
  V extends ApiVersion
>(name: Name, owner: End<OwnerId, OwnerNotFound>, members: Listed<Resource, F, Sort>, fixed: Fixed, version: V) =>
  HttpApiEndpoint.get(name, versionPath(version, `/${owner.name}/:id/${members.name}`), {
    params: { id: owner.Id },
    query: { ...pageQuery(members.sortFields), ...filterQuery(withoutFilter(members.filters, fixed)) },
    success: listSuccess(members, version),
    // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
    error: [owner.NotFound, DatabaseUnavailable]
  }).annotate(OpenApi.Summary, `List the ${members.name} of ${article(owner.singular)}`)
    .annotate(OpenApi.Description, `Pages, filters and sort as on \`/v${version}/${members.name}\`. 404 if the ${owner.singular} does not exist.`)
    .annotateMerge(versionAnnotations(version))

/**
 * `PUT` and `DELETE /v<version>/<owners>/{id}/<members>/{<member>_id}`: link an owner
 * to a member, and unlink them. Both are idempotent (204 whether or not the
 * link was there) and 404 if either does not exist.
 */
export const makeLinkEndpoints = <
  const Link extends string,
  const Unlink extends string,
  OwnerId extends Schema.Top,
  OwnerNotFound extends Schema.Top,
  MemberId extends Schema.Top,
  MemberNotFound extends Schema.Top,
  const MemberParam extends string,
  V extends ApiVersion
>(
  operations: {
    readonly link: { readonly name: Link; readonly summary: string }
    readonly unlink: { readonly name: Unlink; readonly summary: string }
  },
  owner: End<OwnerId, OwnerNotFound>,
  member: End<MemberId, MemberNotFound> & { readonly param: MemberParam },
  version: V
) => {
  const path = versionPath(version, `/${owner.name}/:id/${member.name}/:${member.param}`)
  const options = {
    params: { id: owner.Id, [member.param]: member.Id } as { readonly id: OwnerId } & { readonly [K in MemberParam]: MemberId },
    headers: idempotencyHeaders,
    success: HttpApiSchema.NoContent,
    error: [owner.NotFound, member.NotFound, DatabaseUnavailable]
  } as const
  // A link is part of the owner: assigning an animal to a zookeeper writes the zookeeper.
  const scope = writeScope(owner.name)
  const description = `Idempotent: 204 whether or not they were linked before. 404 if the ${owner.singular} or the ${member.singular} does not exist.`
  return [
    // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
    HttpApiEndpoint.put(operations.link.name, path, options)
      .middleware(Idempotency)
      .middleware(WriteAccess)
      .annotate(RequiredScope, scope)
      .annotate(OpenApi.Summary, operations.link.summary)
      .annotate(OpenApi.Description, description)
      .annotateMerge(versionAnnotations(version)),
    // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
    HttpApiEndpoint.delete(operations.unlink.name, path, options)
      .middleware(Idempotency)
      .middleware(WriteAccess)
      .annotate(RequiredScope, scope)
      .annotate(OpenApi.Summary, operations.unlink.summary)
      .annotate(OpenApi.Description, description)
      .annotateMerge(versionAnnotations(version))
  ] as const
}
