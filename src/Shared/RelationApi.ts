/**
 * The HTTP contract of relations between collections: the members of one
 * owner, listed exactly like the members' own collection
 * (`GET /v1/habitats/{id}/animals`), and many-to-many links made and removed
 * with `PUT` and `DELETE` (`/v1/zookeepers/{id}/animals/{animal_id}`).
 */
import type { Schema } from "effect"
import { HttpApiEndpoint, HttpApiSchema, OpenApi } from "effect/http-api"
import { DatabaseUnavailable } from "../Errors.ts"
import { filterQuery, type Filters, withoutFilter } from "./Listing.ts"
import { listSuccess, pageQuery } from "./ResourceApi.ts"
import { article } from "./Text.ts"

/** What a relation needs of the collection at one end: its name, id and not-found problem. */
export interface End<Id extends Schema.Top, NotFound extends Schema.Top> {
  readonly name: string
  readonly singular: string
  readonly Id: Id
  readonly NotFound: NotFound
}

/** What a members list needs of the members' collection: how it lists. */
export interface Listed<Resource extends Schema.Top, F extends Filters, Sort extends ReadonlyArray<string>> {
  readonly name: string
  readonly Resource: Resource
  readonly filters: F
  readonly sortFields: Sort
}

/**
 * `GET /v1/<owners>/{id}/<members>`: the members list with the filter `fixed`
 * set to the owner's id (and gone from the query). Same page, filter and sort
 * parameters and headers as the members' collection; 404 if the owner does
 * not exist.
 */
export const makeMembersEndpoint = <
  const Name extends string,
  OwnerId extends Schema.Top,
  OwnerNotFound extends Schema.Top,
  Resource extends Schema.Top,
  F extends Filters,
  const Sort extends ReadonlyArray<string>,
  Fixed extends keyof F & string
>(name: Name, owner: End<OwnerId, OwnerNotFound>, members: Listed<Resource, F, Sort>, fixed: Fixed) =>
  HttpApiEndpoint.get(name, `/v1/${owner.name}/:id/${members.name}`, {
    params: { id: owner.Id },
    query: { ...pageQuery(members.sortFields), ...filterQuery(withoutFilter(members.filters, fixed)) },
    success: listSuccess(members.Resource),
    // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
    error: [owner.NotFound, DatabaseUnavailable]
  }).annotate(OpenApi.Summary, `List the ${members.name} of ${article(owner.singular)}`)
    .annotate(OpenApi.Description, `Pages, filters and sort as on \`/v1/${members.name}\`. 404 if the ${owner.singular} does not exist.`)

/**
 * `PUT` and `DELETE /v1/<owners>/{id}/<members>/{<member>_id}`: link an owner
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
  const MemberParam extends string
>(
  operations: {
    readonly link: { readonly name: Link; readonly summary: string }
    readonly unlink: { readonly name: Unlink; readonly summary: string }
  },
  owner: End<OwnerId, OwnerNotFound>,
  member: End<MemberId, MemberNotFound> & { readonly param: MemberParam }
) => {
  const path = `/v1/${owner.name}/:id/${member.name}/:${member.param}` as const
  const options = {
    params: { id: owner.Id, [member.param]: member.Id } as { readonly id: OwnerId } & { readonly [K in MemberParam]: MemberId },
    success: HttpApiSchema.NoContent,
    error: [owner.NotFound, member.NotFound, DatabaseUnavailable]
  } as const
  const description = `Idempotent: 204 whether or not they were linked before. 404 if the ${owner.singular} or the ${member.singular} does not exist.`
  return [
    // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
    HttpApiEndpoint.put(operations.link.name, path, options)
      .annotate(OpenApi.Summary, operations.link.summary)
      .annotate(OpenApi.Description, description),
    // @ts-expect-error the stream-free check on `error` cannot resolve type parameters; every resource passes problem classes
    HttpApiEndpoint.delete(operations.unlink.name, path, options)
      .annotate(OpenApi.Summary, operations.unlink.summary)
      .annotate(OpenApi.Description, description)
  ] as const
}
