/**
 * The compiled JSON encoder of responses (`src/Http/JsonBody.ts`) writes what
 * the schema's own encoder writes — for every resource, and for the list
 * bodies of both versions — and refuses, when it is made, a schema it could
 * not encode by projection.
 */
import { Schema } from "effect"
import fc from "fast-check"
import { assert, describe, it } from "vitest"
import { Animal, AnimalPage } from "../src/Animals/Animal.ts"
import { Habitat, HabitatPage } from "../src/Habitats/Habitat.ts"
import { makeJsonEncoder } from "../src/Http/JsonBody.ts"
import { type Listable, listBody, listBodySchema } from "../src/Shared/Versions.ts"
import { Zookeeper, ZookeeperPage } from "../src/Zookeepers/Zookeeper.ts"
import { collectionNamed, type Refs, uuid, validBody } from "./support/Arbitraries.ts"

const seed = 20261126
const refs: Refs = { habitats: ["3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b"], animals: ["0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f"] }

const timestamp = fc.date({ min: new Date("2000-01-01T00:00:00.000Z"), max: new Date("2100-01-01T00:00:00.000Z"), noInvalidDate: true })
  .map((date) => date.toISOString())

/** What the properties need of a collection's contract. */
interface Contract extends Listable<Schema.Codec<unknown, unknown>> {
  readonly name: string
  readonly Resource: Schema.Codec<unknown, unknown> & { readonly fields: Schema.Struct.Fields }
}

const contracts: ReadonlyArray<Contract> = [
  { name: "animals", Resource: Animal, Page: AnimalPage },
  { name: "habitats", Resource: Habitat, Page: HabitatPage },
  { name: "zookeepers", Resource: Zookeeper, Page: ZookeeperPage }
]

for (const contract of contracts) {
  /** A stored resource: a valid body and what the server adds. */
  const stored = fc.record({
    body: validBody(collectionNamed(contract.name), refs, false),
    id: uuid,
    created_at: timestamp,
    updated_at: timestamp,
    version: fc.integer({ min: 1, max: 2_147_483_647 })
  }).map(({ body, ...server }) => ({ id: server.id, ...body, created_at: server.created_at, updated_at: server.updated_at, version: server.version }))

  describe(contract.name, () => {
    const encodeWithSchema = Schema.encodeUnknownSync(contract.Resource)
    const encode = makeJsonEncoder(contract.Resource)

    it("a resource: the schema's encoding, byte for byte", () => {
      fc.assert(
        fc.property(stored, (resource) => {
          assert.strictEqual(encode(resource as never), JSON.stringify(encodeWithSchema(resource)))
        }),
        { seed, numRuns: 200 }
      )
    })

    it("a list body of either version: the schema's encoding", () => {
      for (const version of [1, 2] as const) {
        const schema = listBodySchema(contract, version)
        const encodeList = makeJsonEncoder(schema)
        const encodeListWithSchema = Schema.encodeUnknownSync(schema)
        fc.assert(
          fc.property(fc.array(stored, { maxLength: 5 }), fc.option(fc.base64String({ minLength: 4, maxLength: 40 }), { nil: undefined }), (items, nextCursor) => {
            const body = listBody(version, { items, total: items.length + 3, nextCursor })
            assert.strictEqual(encodeList(body as never), JSON.stringify(encodeListWithSchema(body)))
          }),
          { seed, numRuns: 50 }
        )
      }
    })

    it("writes only the declared keys, in their order, and leaves out absent optional ones", () => {
      fc.assert(
        fc.property(stored, (resource) => {
          const written = JSON.parse(encode({ internal: "never sent", ...resource, __proto__: null })) as Record<string, unknown>
          const declared = Object.keys(contract.Resource.fields)
          assert.deepStrictEqual(Object.keys(written), declared.filter((key) => (resource as Record<string, unknown>)[key] !== undefined))
        }),
        { seed, numRuns: 50 }
      )
    })
  })
}

describe("schemas a projection cannot encode", () => {
  it("are refused when the encoder is made", () => {
    assert.throws(() => makeJsonEncoder(Schema.Struct({ count: Schema.NumberFromString })), /transformation/)
    assert.throws(() => makeJsonEncoder(Schema.Struct({ at: Schema.Date })), /not plain JSON data/)
    assert.throws(() => makeJsonEncoder(Schema.Record(Schema.String, Schema.Number)), /index signature/)
    assert.throws(() => makeJsonEncoder(Schema.Union([Schema.Struct({ a: Schema.String }), Schema.String])), /union of structures/)
  })
})
