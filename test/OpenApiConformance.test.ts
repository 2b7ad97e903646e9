/**
 * The OpenAPI document describes what the service does (issue 14, items
 * 10, 11, 13). Every response this file receives is checked against the
 * document with Ajv (`test/support/OpenApiValidator.ts`): documented status,
 * declared headers, body schema. The walk below provokes every operation's
 * successes and its documented failures, on memory and PGlite; and the
 * document itself is read as a client would: `request_id` in every problem
 * schema, the text and e-mail rules stated as patterns a client can check
 * before sending, and agreeing with what the server accepts.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Ajv2020 } from "ajv/dist/2020.js"
import addFormats from "ajv-formats"
import { ByteSize, Duration, Effect, Layer } from "effect"
import { MemoryRepositories, type Repositories, SqlRepositories } from "../src/Repositories.ts"
import * as RateLimit from "../src/Http/RateLimit.ts"
import { pgliteLayer } from "./support/Databases.ts"
import { document, mismatches, validateResponses } from "./support/OpenApiValidator.ts"
import { jsonBody, rawRequest, request, TestServer } from "./support/TestServer.ts"

validateResponses()

const unique = () => globalThis.crypto.randomUUID().slice(0, 8)
const missing = "00000000-0000-4000-8000-000000000000"

type Response = { status: number; headers: Headers; text: string; json: () => any }
const expectStatus = (response: Response, status: number, what: string) => {
  assert.strictEqual(response.status, status, `${what}: ${response.text}`)
  return response
}
const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  request(path, {
    method,
    ...(body !== undefined && { body: JSON.stringify(body) }),
    headers: { ...(body !== undefined && { "content-type": "application/json" }), ...headers }
  })

/** A valid body of each collection, unique per call. */
const bodies: Record<string, () => Record<string, unknown>> = {
  animals: () => ({ name: `Nala ${unique()}`, date_of_birth: "2016-06-06", species: "lion", nickname: "Nal" }),
  habitats: () => ({ name: `Grove ${unique()}`, climate: "tropical", capacity: 3 }),
  zookeepers: () => ({ name: "Ria Keeper", email: `ria.${unique()}@zoo.example`, hired_on: "2021-01-01" })
}
const invalidBodies: Record<string, Record<string, unknown>> = {
  animals: { name: " Nala", date_of_birth: "2999-01-01", species: "dragon", extra: 1 },
  habitats: { name: "", climate: "volcanic", capacity: 0 },
  zookeepers: { name: "R\u202eia", email: "a..b@zoo.example", hired_on: "0000-01-01" }
}

const walkSuite = (name: string, repositories: Layer.Layer<Repositories, unknown>) =>
  layer(TestServer(repositories, { bodyLimit: ByteSize.kibibytes(4) }), { excludeTestServices: true, timeout: "120 seconds" })(
    `Responses as the document describes them: ${name}`,
    (it) => {
      it.effect("every operation: successes, conditional answers and documented failures", () =>
        Effect.gen(function*() {
          for (const version of [1, 2]) {
            for (const collection of ["animals", "habitats", "zookeepers"]) {
              const base = `/v${version}/${collection}`
              const created = expectStatus(yield* send("POST", base, bodies[collection]!()), 201, `POST ${base}`).json()
              yield* send("POST", base, { ...bodies[collection]!(), id: created.id }) // 409, id taken
              expectStatus(yield* send("POST", base, invalidBodies[collection]), 400, `POST ${base} invalid`)
              expectStatus(yield* request(base, { method: "POST", body: "{}", headers: { "content-type": "text/plain" } }), 415, "415")
              expectStatus(yield* rawRequest(base, { method: "POST", body: JSON.stringify(bodies[collection]!()), headers: { "content-type": "application/json" } }), 401, "401")
              expectStatus(yield* send("POST", base, { pad: "x".repeat(8000) }), 413, "413")
              expectStatus(yield* request(base, { headers: { accept: "text/html" } }), 406, "406")
              expectStatus(yield* send("DELETE", base), 405, "405")

              yield* send("POST", base, bodies[collection]!())
              const first = expectStatus(yield* request(`${base}?limit=1&sort=-created_at`), 200, "list")
              const next = /[?&]cursor=([^&>]+)/.exec(first.headers.get("link") ?? "")?.[1]
              assert.isDefined(next, `${base} has a next page`)
              expectStatus(yield* request(`${base}?limit=1&sort=-created_at&cursor=${next}`), 200, "next page")
              expectStatus(yield* request(`${base}?limit=1&sort=created_at&cursor=${next}`), 400, "cursor of another sort")
              expectStatus(yield* request(`${base}?limit=0&sort=nope&name=%00`), 400, "bad query")
              expectStatus(yield* request(base, { method: "HEAD" }), 200, "HEAD list")
              expectStatus(yield* request(base, { method: "OPTIONS" }), 200, "OPTIONS list")

              const item = `${base}/${created.id}`
              const got = expectStatus(yield* request(item), 200, "GET")
              expectStatus(yield* request(item, { headers: { "if-none-match": got.headers.get("etag")! } }), 304, "304")
              expectStatus(yield* request(item, { method: "HEAD" }), 200, "HEAD")
              expectStatus(yield* request(item, { method: "OPTIONS" }), 204, "OPTIONS")
              expectStatus(yield* request(`${base}/${missing}`), 404, "404")
              expectStatus(yield* request(`${base}/not-a-uuid`), 400, "bad id")
              const { created_at: _c, updated_at: _u, version: _v, id: _id, ...fields } = got.json()
              expectStatus(yield* send("PUT", item, fields), 200, "PUT")
              expectStatus(yield* send("PUT", item, fields, { "if-match": "\"99\"" }), 412, "412")
              expectStatus(yield* send("PUT", `${base}/${missing}`, fields), 404, "PUT 404")
              expectStatus(
                yield* request(item, { method: "PATCH", ...jsonBody({ name: `Renamed ${unique()}` }, "application/merge-patch+json") }),
                200,
                "PATCH"
              )
              expectStatus(yield* send("PATCH", item, { name: 5 }), 400, "PATCH 400")
              expectStatus(yield* send("DELETE", item), 204, "DELETE")
              expectStatus(yield* send("DELETE", item), 404, "DELETE 404")
            }

            // Relations and the rules between collections.
            const v = `/v${version}`
            const habitat = (yield* send("POST", `${v}/habitats`, { ...bodies.habitats!(), capacity: 1 })).json()
            const keeper = (yield* send("POST", `${v}/zookeepers`, bodies.zookeepers!())).json()
            const animal = expectStatus(yield* send("POST", `${v}/animals`, { ...bodies.animals!(), habitat_id: habitat.id }), 201, "into habitat").json()
            expectStatus(yield* send("POST", `${v}/animals`, { ...bodies.animals!(), habitat_id: habitat.id }), 409, "habitat full")
            expectStatus(yield* send("POST", `${v}/animals`, { ...bodies.animals!(), habitat_id: missing }), 422, "unknown habitat")
            expectStatus(yield* send("PATCH", `${v}/habitats/${habitat.id}`, { capacity: 2 }), 200, "capacity raised")
            expectStatus(yield* send("POST", `${v}/animals`, { ...bodies.animals!(), habitat_id: habitat.id }), 201, "room made")
            expectStatus(yield* send("PATCH", `${v}/habitats/${habitat.id}`, { capacity: 1 }), 409, "capacity below occupancy")
            expectStatus(yield* send("POST", `${v}/habitats`, { ...bodies.habitats!(), name: habitat.name }), 409, "name taken")
            expectStatus(yield* send("POST", `${v}/zookeepers`, { ...bodies.zookeepers!(), email: keeper.email }), 409, "email taken")
            expectStatus(yield* send("DELETE", `${v}/habitats/${habitat.id}`), 409, "occupied")
            expectStatus(yield* request(`${v}/habitats/${habitat.id}/animals`), 200, "habitat's animals")
            expectStatus(yield* request(`${v}/habitats/${missing}/animals`), 404, "unknown habitat's animals")
            expectStatus(yield* request(`${v}/habitats/${habitat.id}/animals`, { method: "OPTIONS" }), 204, "OPTIONS relation")
            expectStatus(yield* send("PUT", `${v}/zookeepers/${keeper.id}/animals/${animal.id}`), 204, "assign")
            expectStatus(yield* send("PUT", `${v}/zookeepers/${keeper.id}/animals/${missing}`), 404, "assign unknown")
            expectStatus(yield* request(`${v}/zookeepers/${keeper.id}/animals?sort=name`), 200, "keeper's animals")
            expectStatus(yield* send("DELETE", `${v}/zookeepers/${keeper.id}/animals/${animal.id}`), 204, "unassign")
            expectStatus(yield* request(`${v}/giraffes`), 404, "unknown path")
          }
          expectStatus(yield* request("/healthz"), 200, "healthz")
          expectStatus(yield* request("/readyz"), 200, "readyz")
        }))
    }
  )

walkSuite("memory", MemoryRepositories)
walkSuite("PGlite", SqlRepositories.pipe(Layer.provide(pgliteLayer())))

layer(TestServer(MemoryRepositories, { rateLimit: RateLimit.layerMemory({ limit: 2, window: Duration.minutes(1) }) }), {
  excludeTestServices: true
})("Responses as the document describes them: rate limited", (it) => {
  it.effect("the RateLimit headers and the 429 with Retry-After", () =>
    Effect.gen(function*() {
      const statuses: Array<number> = []
      for (let i = 0; i < 3; i++) statuses.push((yield* request("/v2/animals")).status)
      assert.deepStrictEqual(statuses, [200, 200, 429])
    }))
})

describe("the response validator", () => {
  const exchange = (overrides: Partial<{ method: string; url: string; status: number; headers: Headers; text: string }>) => ({
    method: "GET",
    url: "http://127.0.0.1/v2/animals/0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f",
    status: 404,
    headers: new Headers({ "content-type": "application/problem+json" }),
    text: JSON.stringify({
      type: "/problems/animal-not-found",
      title: "Resource not found",
      status: 404,
      id: "x",
      request_id: "abc"
    }),
    ...overrides
  })
  it("passes a response the document describes, and names each way one departs from it", () => {
    assert.deepStrictEqual(mismatches(exchange({})), [])
    assert.match(mismatches(exchange({ status: 418 }))[0]!, /status 418 is not documented/)
    assert.match(mismatches(exchange({ text: JSON.stringify({ type: "/problems/animal-not-found", status: 404, id: "x", request_id: "a", extra: 1 }) }))[0]!, /additional properties/)
    assert.match(mismatches(exchange({ status: 200, headers: new Headers({ "content-type": "application/json" }), text: "{}" })).join(), /etag is required/)
    assert.match(mismatches(exchange({ url: "http://127.0.0.1/V2/ANIMALS", status: 200 }))[0]!, /no path of the document matches/)
  })
})

/** Every problem schema an `application/problem+json` response names, by response. */
const problemSchemas = () => {
  const found: Array<readonly [string, any]> = []
  const visit = (where: string, response: any) => {
    const resolved = response?.$ref ? document.components.responses[response.$ref.split("/").at(-1)] : response
    const schema = resolved?.content?.["application/problem+json"]?.schema
    for (const member of schema?.anyOf ?? (schema ? [schema] : [])) {
      found.push([`${where} ${member.$ref}`, document.components.schemas[member.$ref.split("/").at(-1)]])
    }
  }
  for (const [path, operations] of Object.entries<any>(document.paths)) {
    for (const [method, operation] of Object.entries<any>(operations)) {
      for (const [status, response] of Object.entries<any>(operation.responses ?? {})) visit(`${method.toUpperCase()} ${path} ${status}`, response)
    }
  }
  for (const [name, response] of Object.entries<any>(document.components.responses ?? {})) visit(`components.responses.${name}`, response)
  return found
}

describe("what the document states", () => {
  it("request_id is declared, and required, in every problem schema (each error body carries it)", () => {
    const schemas = problemSchemas()
    assert.isAbove(schemas.length, 100)
    for (const [where, schema] of schemas) {
      assert.strictEqual(schema.properties?.request_id?.type, "string", where)
      assert.include(schema.required ?? [], "request_id", where)
    }
  })

  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats.default(ajv)
  const schemaOf = (name: string, property: string) => {
    const schema = document.components.schemas[name].properties[property]
    return schema.anyOf?.find((member: any) => member.type === "string") ?? schema
  }
  const nameFilterOf = (path: string) => document.paths[path].get.parameters.find((p: any) => p.name === "name").schema

  /** Text a client may not send in a name, whatever its length; each must be refused by the document itself. */
  const refusedInNames = [
    "Leo\u0000 Lion", "Leo \ud800 Lion", "\ufeffLeo the Lion", " Leo the Lion", "Leo the Lion ", "      ",
    "Leo\u0007the Lion", "Leo\u0085the Lion", "Leo\u202ethe Lion", "Leo\u2066the Lion"
  ]
  /** Text the name filter may not carry: what no column can hold. */
  const refusedInFilters = ["ab\u0000", "\ud800ab", "\ufeffLeo"]

  it("every name and the name filter state their text rules as a pattern, and the pattern refuses what the server refuses", () => {
    const fields = [
      ["AnimalCreate", "name"], ["AnimalCreate", "nickname"], ["AnimalPatch", "name"], ["AnimalPatch", "nickname"],
      ["HabitatCreate", "name"], ["HabitatPatch", "name"], ["ZookeeperCreate", "name"], ["ZookeeperPatch", "name"]
    ] as const
    for (const [schema, property] of fields) {
      const field = schemaOf(schema, property)
      assert.isString(field.pattern, `${schema}.${property} states a pattern`)
      const validate = ajv.compile(field)
      for (const value of refusedInNames) assert.isFalse(validate(value), `${schema}.${property} refuses ${JSON.stringify(value)}`)
      for (const value of ["Leo the Lion", "Zoë  d'Arc", "大熊猫 Bao", "Leo 🦁"]) assert.isTrue(validate(value), `${schema}.${property} takes ${value}`)
    }
    for (const path of ["/v2/animals", "/v1/habitats", "/v2/zookeepers", "/v2/habitats/{id}/animals"]) {
      const validate = ajv.compile(nameFilterOf(path))
      for (const value of refusedInFilters) assert.isFalse(validate(value), `${path} ?name= refuses ${JSON.stringify(value)}`)
      assert.isTrue(validate("Leo "), `${path} ?name= takes a prefix ending in a space`)
    }
  })

  it("the capacity problems are named classes on the writes that can end in them, each with its example", () => {
    const examplesOf = (path: string, method: string) => {
      const content = document.paths[path][method].responses["409"].content["application/problem+json"]
      return content.examples === undefined ? [content.example.type] : Object.values<any>(content.examples).map((example) => example.value.type)
    }
    for (const version of [1, 2]) {
      assert.include(examplesOf(`/v${version}/animals`, "post"), "/problems/habitat-full")
      for (const method of ["put", "patch"]) {
        assert.include(examplesOf(`/v${version}/animals/{id}`, method), "/problems/habitat-full")
        assert.include(examplesOf(`/v${version}/habitats/{id}`, method), "/problems/habitat-over-capacity")
      }
    }
    assert.deepStrictEqual(document.components.schemas.HabitatFullEncoded.required.toSorted(), ["capacity", "habitat_id", "request_id", "type"])
  })

  it("dates state that year 0000 does not exist (PostgreSQL has no year 0)", () => {
    const validate = ajv.compile(schemaOf("AnimalCreate", "date_of_birth"))
    assert.isFalse(validate("0000-01-01"))
    assert.isTrue(validate("0001-01-01"))
  })
})

layer(TestServer(MemoryRepositories), { excludeTestServices: true })("the document and the server agree", (it) => {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats.default(ajv)
  const email = ajv.compile(document.components.schemas.ZookeeperCreate.properties.email)
  const name = ajv.compile(document.components.schemas.AnimalCreate.properties.name)

  it.effect("e-mail: one rule; the document's format and pattern accept exactly what the server stores, and nothing stored fails the read schema", () =>
    Effect.gen(function*() {
      const readSchema = ajv.compile(document.components.schemas.Zookeeper)
      for (
        const local of [".k", "a..b", "ab.", "k", "a.b", "o'neil", "x+tag", "a_b-c", "\"q\"", "k k", "ké", "a.", ".", "a..", "{x}"]
      ) {
        // Unique by its domain, so the local part is exactly the one under test.
        const address = `${local}@zoo-${unique()}.example`
        const response = yield* send("POST", "/v2/zookeepers", { name: "Sam Keeper", email: address, hired_on: "2020-02-02" })
        assert.strictEqual(response.status === 201, email(address), `${address}: server ${response.status}, document ${email(address)}`)
        if (response.status === 201) assert.isTrue(readSchema(response.json()), `${address} reads back valid`)
      }
    }))

  it.effect("names: what the document's pattern refuses the server refuses (400), and what it takes the server stores", () =>
    Effect.gen(function*() {
      for (const value of ["Leo the Lion", " Leo the Lion", "Leo\u202ethe Lion", "Leo\u0085the Lion", "\ufeffLeo the Lion", "Leo \ud83e\udd81 x", "Leo \ud83e x"]) {
        const response = yield* send("POST", "/v2/animals", { name: value, date_of_birth: "2019-01-01", species: "lion" })
        assert.strictEqual(response.status === 201, name(value), `${JSON.stringify(value)}: server ${response.status}, document ${name(value)}`)
      }
    }))
})
